import Foundation
import Testing
@testable import GessoNN

/// Reads the PyTorch checkpoints of Fixtures/torch (written by make_checkpoints.py there, with torch) in both of
/// torch's formats and compares every tensor with expected.json, the contiguous float32 copies torch made of them.
/// The comparison is exact: the reader only gathers and converts elements, and every value was chosen exact in
/// float32 (int64, float64, float16 and bfloat16 values convert without rounding, or round as torch's .to() does).
/// Damaged and hostile files must throw a `CheckpointError` whose message names the file and the problem.
@Suite struct TorchCheckpointTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/torch")

    struct Expected: Decodable {
        let name: String
        let shape: [Int]
        let values: [Float]
    }

    static func expected(_ key: String) throws -> [Expected] {
        let all = try JSONDecoder().decode([String: [Expected]].self,
                                           from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        return try #require(all[key])
    }

    /// The error decoding `data` throws, named as if it came from /runs/`name`.
    static func failure(_ data: Data, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let error = try #require(throws: CheckpointError.self, sourceLocation: sourceLocation) {
            try TorchCheckpoint.decode(data, path: "/runs/\(name)")
        }
        #expect(error.description.hasPrefix("/runs/\(name): "), sourceLocation: sourceLocation)
        return error.description
    }

    static func compare(_ got: [(name: String, tensor: Tensor)], _ want: [Expected],
                        sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.map(\.name) == want.map(\.name), sourceLocation: sourceLocation)
        for (tensor, expected) in zip(got.map(\.tensor), want) {
            #expect(tensor.shape == expected.shape, "\(expected.name)", sourceLocation: sourceLocation)
            if tensor.shape == expected.shape {
                #expect(tensor.scalars == expected.values, "\(expected.name)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: ["state-zip.pt", "state-legacy.pt"])
    func readsEveryKindOfTensor(_ file: String) throws {
        let got = try TorchCheckpoint.readInOrder(Self.folder.appendingPathComponent(file))
        Self.compare(got, try Self.expected("state"))
        // Independently of expected.json (make_checkpoints.py's values): the transposed view, the strided slice
        // with a storage offset, the int64 scalar, the empty tensor.
        let tensors = try TorchCheckpoint.read(Self.folder.appendingPathComponent(file))
        #expect(tensors["fc.weight"]?.shape == [3, 2] && tensors["fc.weight"]?.scalars == [1, 4, 2, 5, 3, 6])
        #expect(tensors["grid"]?.scalars == [-1.5, -0.5, 0.5, 1, 2, 3])  // big.view(4, 5)[1:3, ::2], big = i / 2 - 4
        #expect(tensors["bn.num_batches_tracked"]?.shape == [] && tensors["bn.num_batches_tracked"]?.scalars == [7])
        #expect(tensors["empty"]?.shape == [0])
    }

    @Test(arguments: ["nested-zip.pt", "nested-legacy.pt"])
    func readsTheStateDictOfATrainingCheckpoint(_ file: String) throws {
        // {"epoch": 3, "state_dict": {nn.Parameters}, "optimizer": {...}}: only the state dict's tensors.
        Self.compare(try TorchCheckpoint.readInOrder(Self.folder.appendingPathComponent(file)), try Self.expected("nested"))
    }

    @Test(arguments: ["state-zip.pt", "state-legacy.pt"])
    func truncatedFilesSayWhere(_ file: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(file))
        for cut in [60, data.count / 3, data.count / 2, data.count - 10] {
            let message = try Self.failure(data.prefix(cut), file)
            #expect(message.contains("truncated"), "cut at \(cut): \(message)")
        }
        // The legacy file's storages come last: a cut there names the storage and the offset.
        if file == "state-legacy.pt" {
            let message = try Self.failure(data.prefix(data.count - 10), file)
            #expect(message.contains("of storage") && message.contains("should be at byte"), "\(message)")
        }
    }

    /// Every proper prefix of a checkpoint throws, and damaged bytes anywhere throw or read, never crash: the reader
    /// bounds-checks every read. (Every byte is changed two ways: +1 and 0xFF.)
    @Test(arguments: ["state-zip.pt", "state-legacy.pt", "nested-legacy.pt"])
    func damagedBytesNeverCrash(_ file: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(file))
        for cut in 0..<data.count {
            #expect(throws: CheckpointError.self, "cut at \(cut)") { try TorchCheckpoint.decode(data.prefix(cut), path: file) }
        }
        var damaged = data
        for i in 0..<data.count {
            for change in [data[i] &+ 1, 0xFF] {
                damaged[i] = change
                _ = try? TorchCheckpoint.decode(damaged, path: file)
            }
            damaged[i] = data[i]
        }
    }

    @Test func otherFilesAreNotCheckpoints() throws {
        let safetensors = SafeTensors.encode(["w": Tensor([1, 2])])
        for (name, data) in [("empty.pt", Data()), ("text.pt", Data("hello, torch".utf8)), ("w.safetensors", safetensors),
                             ("number.pkl", Data([0x80, 0x02, 0x4B, 0x05, 0x2E]))] {  // a pickle of the int 5
            let message = try Self.failure(data, name)
            #expect(message.contains("is not a PyTorch checkpoint"), "\(message)")
        }
        #expect(throws: CheckpointError.self) { try TorchCheckpoint.read(URL(fileURLWithPath: "/nonexistent/model.pth")) }
    }

    @Test(arguments: [("evil-zip.pt", "os.system"), ("evil-legacy.pt", "os.system"),
                      ("module-zip.pt", "torch.nn.modules.linear.Linear")])
    func refusesUnexpectedGlobals(_ file: String, _ global: String) throws {
        let message = try Self.failure(try Data(contentsOf: Self.folder.appendingPathComponent(file)), file)
        #expect(message.contains("unexpected global \(global)") && message.contains("state dict"), "\(message)")
    }

    @Test func refusesCompressedEntries() throws {
        let message = try Self.failure(try Data(contentsOf: Self.folder.appendingPathComponent("deflated-zip.pt")), "d.pt")
        #expect(message.contains("compressed entry") && message.contains("zip -0"), "\(message)")
    }

    // MARK: Hand-made legacy files

    @Test func handMadeFileReadsWithAStorageView() throws {
        // Storage "0" holds 0...5; tensor a is [2, 2] with strides (1, 2) at offset 1; tensor b views the legacy
        // storage view (offset 2, 3 elements) from its element 1: [3, 4].
        let data = HandPickle.legacyFile([
            ("a", HandPickle.tensor(storage: "0", offset: 1, size: [2, 2], stride: [1, 2])),
            ("b", HandPickle.tensor(storage: "0", offset: 1, size: [2], stride: [1], view: (2, 3))),
        ], storages: [("0", [0, 1, 2, 3, 4, 5])])
        let got = try TorchCheckpoint.decode(data, path: "hand.pt")
        #expect(got.map(\.name) == ["a", "b"])
        #expect(got.first?.tensor.scalars == [1, 3, 2, 4] && got.last?.tensor.scalars == [3, 4])
    }

    @Test func viewsOutsideTheirStorageAreRefused() throws {
        // Last element 5, 4, offset 9 of an empty view, 2^62, 2^63 (overflows).
        for (size, stride, offset) in [([2, 3], [3, 1], 0), ([4], [1], 1), ([0], [1], 9), ([2], [Int.max / 2 + 1], 0),
                                       ([3], [Int.max / 2 + 1], 0)] {
            let data = HandPickle.legacyFile([("w", HandPickle.tensor(storage: "0", offset: offset, size: size, stride: stride))],
                                             storages: [("0", [1, 2, 3, 4])])
            let message = try Self.failure(data, "view.pt")
            #expect(message.contains("tensor w") && message.contains("reaches past the end of storage 0"), "\(message)")
        }
        // A huge stride along an axis of size 1 reaches nothing: valid, as in torch.
        let huge = HandPickle.legacyFile([("w", HandPickle.tensor(storage: "0", offset: 2, size: [1, 2], stride: [Int.max, 1]))],
                                         storages: [("0", [1, 2, 3, 4])])
        #expect(try TorchCheckpoint.decode(huge, path: "huge.pt").first?.tensor.scalars == [3, 4])
        // A storage view (legacy) reaching past its storage.
        let data = HandPickle.legacyFile([("w", HandPickle.tensor(storage: "0", offset: 0, size: [1], stride: [1], view: (3, 5)))],
                                         storages: [("0", [1, 2, 3, 4])])
        #expect(try Self.failure(data, "view.pt").contains("reaches past the end of storage 0"))
    }

    @Test func missingStoragesAndUnsupportedTypesAreNamed() throws {
        let missing = HandPickle.legacyFile([("w", HandPickle.tensor(storage: "7", offset: 0, size: [1], stride: [1]))],
                                            storages: [])
        let message = try Self.failure(missing, "missing.pt")
        #expect(message.contains("storage 7") && message.contains("missing"), "\(message)")
        let complex = HandPickle.legacyFile([("w", HandPickle.tensor(storage: "0", type: "ComplexFloatStorage", offset: 0,
                                                                     size: [1], stride: [1]))], storages: [])
        let unsupported = try Self.failure(complex, "complex.pt")
        #expect(unsupported.contains("torch.ComplexFloatStorage") && unsupported.contains("cannot read"), "\(unsupported)")
    }

    // MARK: Matching names and shapes

    @Test func weightMappingListsEveryDifference() throws {
        let tensors = ["a.weight": Tensor.zeros([2, 3]), "b.bias": Tensor.zeros([4]), "extra": Tensor.zeros([1]),
                       "also.extra": Tensor.zeros([])]
        try WeightMapping.match(tensors, to: ["a.weight": [2, 3], "b.bias": [4], "extra": [1], "also.extra": []], file: "m.pth")
        let error = try #require(throws: CheckpointError.self) {
            try WeightMapping.match(tensors, to: ["a.weight": [3, 2], "b.bias": [4], "c.weight": [5], "d.weight": [1]],
                                    file: "m.pth")
        }
        let message = error.description
        #expect(message.hasPrefix("m.pth: does not fit the model"), "\(message)")
        #expect(message.contains("2 missing (c.weight [5], d.weight [1])"), "\(message)")
        #expect(message.contains("2 unexpected (also.extra [], extra [1])"), "\(message)")
        #expect(message.contains("1 with another shape (a.weight: file [2, 3], model [3, 2])"), "\(message)")
    }
}

/// Hand-written pickles (protocol 2 opcodes) for damaged files; nothing here runs Python.
enum HandPickle {
    static func le(_ value: Int, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func string(_ s: String) -> [UInt8] { [0x58] + le(s.utf8.count, 4) + Array(s.utf8) }          // BINUNICODE
    static func int(_ i: Int) -> [UInt8] { Int32(exactly: i) != nil ? [0x4A] + le(i, 4) : [0x8A, 8] + le(i, 8) }  // BININT, LONG1
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }  // MARK ... TUPLE

    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', 0[, (view key, offset, count)]), offset, size,
    /// stride, False, OrderedDict())` as a pickle fragment.
    static func tensor(storage: String, type: String = "FloatStorage", offset: Int, size: [Int], stride: [Int],
                       view: (offset: Int, count: Int)? = nil) -> [UInt8] {
        let viewPart = view.map { [tuple([string("v"), int($0.offset), int($0.count)])] } ?? []
        let id = tuple([string("storage"), global("torch", type), string(storage), string("cpu"), int(0)] + viewPart)
        let hooks = global("collections", "OrderedDict") + [0x29, 0x52]  // EMPTY_TUPLE, REDUCE
        return global("torch._utils", "_rebuild_tensor_v2")
            + tuple([id + [0x51], int(offset), tuple(size.map(int)), tuple(stride.map(int)), [0x89], hooks]) + [0x52]
    }

    /// A legacy checkpoint: torch's three header pickles, the dict {name: tensor}, the list of storage keys, then
    /// each storage as an int64 count and float32 data.
    static func legacyFile(_ tensors: [(String, [UInt8])], storages: [(String, [Float])]) -> Data {
        let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        let version: [UInt8] = [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]  // 1001
        let info: [UInt8] = [0x80, 0x02, 0x7D, 0x2E]  // {}
        let state: [UInt8] = [0x80, 0x02, 0x7D, 0x28] + tensors.flatMap { string($0.0) + $0.1 } + [0x75, 0x2E]  // {...} SETITEMS
        let keys: [UInt8] = [0x80, 0x02, 0x5D, 0x28] + storages.flatMap { string($0.0) } + [0x65, 0x2E]  // [...] APPENDS
        var data = Data(magic + version + info + state + keys)
        for (_, values) in storages {
            data.append(contentsOf: le(values.count, 8))
            for value in values { data.append(contentsOf: le(Int(value.bitPattern), 4)) }
        }
        return data
    }
}
