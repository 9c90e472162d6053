import Foundation

/// PyTorch checkpoints (`torch.save(model.state_dict(), path)`) read in Swift, without running their pickle code.
///
/// Both of torch's formats:
/// - the zip archive of torch >= 1.6: `<prefix>/data.pkl` (the pickled state dict) and `<prefix>/data/<key>`, the raw
///   little-endian bytes of each storage (entries stored uncompressed, as torch writes them);
/// - the legacy format (torch < 1.6, or `_use_new_zipfile_serialization=False`): a pickle of torch's magic number,
///   one of the protocol version (1001), one of system information, the state dict's pickle, a pickle of the
///   storage keys, then each storage in that order as an int64 element count and the raw data.
///
/// In the pickle a tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, a strided view of
/// a storage named by a persistent id `('storage', torch.FloatStorage, key, location, numel)`; several tensors may
/// view one storage. Only a whitelist of globals is accepted (OrderedDict, the tensor and parameter rebuilders, the
/// storage types); anything else is an error naming it, so a checkpoint can never run code.
///
/// Every tensor comes back contiguous, row-major, in Float32 (float64, float16, bfloat16, the integer types and
/// bool are converted; a scalar has shape []). A dict that holds its state dict under "state_dict" or "model" gives
/// the inner dict; nested dicts of tensors give dotted names ("generator.conv.weight"); other values (epochs,
/// optimizer settings) are skipped.
public enum TorchCheckpoint {
    /// The tensors by name.
    public static func read(_ url: URL) throws -> [String: Tensor] {
        Dictionary(try readInOrder(url).map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The tensors in the order the file lists them (a state dict's order: the model's layers in turn).
    public static func readInOrder(_ url: URL) throws -> [(name: String, tensor: Tensor)] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CheckpointError(path: url.path, problem: "cannot be read (\(error.localizedDescription)); check the path")
        }
        return try decode(data, path: url.path)
    }

    /// The tensors of a checkpoint's bytes, in file order; `path` names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> [(name: String, tensor: Tensor)] {
        try data.withUnsafeBytes { bytes in
            let file: File
            if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
                file = try readZip(bytes, path: path)
            } else if bytes.first == 0x80 {
                file = try readLegacy(bytes, path: path)
            } else {
                throw notACheckpoint(bytes, path: path, "it is neither a zip archive nor a pickle")
            }
            return try stateDict(file.root, path: path).map { name, view -> (name: String, tensor: Tensor) in
                guard let storage = file.storages[view.storage.key] else {
                    throw CheckpointError(path: path, problem: "tensor \(name) uses storage \(view.storage.key), which is " +
                                          "missing from the file: it is damaged or truncated; save it again")
                }
                return (name: name, tensor: try materialise(view, name: name, storage: storage, path: path))
            }
        }
    }

    // MARK: - The two formats

    /// A storage's raw bytes, as the file holds them.
    struct LoadedStorage {
        let type: TorchStorageType
        let bytes: UnsafeRawBufferPointer
        var count: Int { bytes.count / type.width }
    }

    /// The pickled object and the storages its tensors view.
    struct File {
        let root: PickleValue
        let storages: [String: LoadedStorage]
    }

    static func notACheckpoint(_ bytes: UnsafeRawBufferPointer, path: String, _ why: String) -> CheckpointError {
        let start = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        return CheckpointError(path: path, problem: "is not a PyTorch checkpoint: \(why) (it starts with bytes " +
                               "\(bytes.isEmpty ? "none: the file is empty" : start)); give a file written by torch.save")
    }

    static func readZip(_ bytes: UnsafeRawBufferPointer, path: String) throws -> File {
        let archive = try ZipArchive(bytes, path: path)
        let prefix = archive.entries.first.map { String($0.name.prefix { $0 != "/" }) + "/" } ?? ""
        guard let pickle = archive[prefix + "data.pkl"] else {
            let names = archive.entries.prefix(6).map(\.name).joined(separator: ", ")
            throw CheckpointError(path: path, problem: "is a zip archive but not a torch.save checkpoint: it has no " +
                                  "\(prefix)data.pkl (its entries: \(names)); give a file written by torch.save")
        }
        if archive[prefix + "constants.pkl"] != nil {
            throw CheckpointError(path: path, problem: "is a TorchScript archive (torch.jit.save), not a state dict; " +
                                  "save one with torch.save(model.state_dict(), path)")
        }
        if let order = archive[prefix + "byteorder"], try archive.contents(order).elementsEqual("big".utf8) {
            throw CheckpointError(path: path, problem: "was saved on a big-endian machine; Gesso reads little-endian " +
                                  "checkpoints only (load and save it again on a little-endian one)")
        }
        let catalog = StorageCatalog(path: path)
        var machine = pickleMachine(ByteReader(try archive.contents(pickle), path: path, part: " of \(pickle.name)"), catalog)
        let root = try machine.run()
        var storages: [String: LoadedStorage] = [:]
        for (key, reference) in catalog.references {
            guard let entry = archive[prefix + "data/" + key] else {
                throw CheckpointError(path: path, problem: "storage \(key) (\(prefix)data/\(key)) is missing from the " +
                                      "archive: the file is damaged; save it again")
            }
            storages[key] = LoadedStorage(type: reference.type, bytes: try archive.contents(entry))
        }
        return File(root: root, storages: storages)
    }

    /// Torch's magic number 0x1950a86a20f9469cfc6c as a pickle's LONG1 bytes (little-endian two's complement).
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func readLegacy(_ bytes: UnsafeRawBufferPointer, path: String) throws -> File {
        let catalog = StorageCatalog(path: path)
        var machine = pickleMachine(ByteReader(bytes, path: path), catalog)
        let magic: PickleValue
        do { magic = try machine.run() } catch let error as CheckpointError {
            throw notACheckpoint(bytes, path: path, "it does not start with torch's magic number (it \(error.problem))")
        }
        guard case .bigInt(legacyMagic) = magic else {
            throw notACheckpoint(bytes, path: path, "it is a pickle without torch's magic number")
        }
        guard case .int(1001) = try machine.run() else {
            throw CheckpointError(path: path, problem: "has a legacy format version other than 1001, which Gesso reads; " +
                                  "load it in torch and save it again with torch.save")
        }
        if case .dict(let info) = try machine.run(), case .bool(false)? = info["little_endian"] {
            throw CheckpointError(path: path, problem: "was saved on a big-endian machine; Gesso reads little-endian " +
                                  "checkpoints only (load and save it again on a little-endian one)")
        }
        let root = try machine.run()
        guard case .list(let keys) = try machine.run() else {
            throw machine.reader.error("has no list of storage keys after its state dict: it is damaged; save it again")
        }
        var reader = machine.reader
        var storages: [String: LoadedStorage] = [:]
        for key in keys.items {
            guard case .string(let key) = key, let reference = catalog.references[key] else {
                throw reader.error("lists storage \(key.kind), which no tensor uses: the file is damaged; save it again")
            }
            let count = Int(Int64(bitPattern: try reader.uint(8, "the element count of storage \(key)")))
            let width = reference.type.width
            guard count >= 0 else { throw reader.error("gives storage \(key) a negative size: it is damaged; save it again") }
            guard count <= reader.remaining / width else {
                let size = count.multipliedReportingOverflow(by: width)
                throw reader.truncated("the data of storage \(key)", size.overflow ? Int.max : size.partialValue)
            }
            storages[key] = LoadedStorage(type: reference.type, bytes: try reader.take(count * width, "storage \(key)"))
        }
        return File(root: root, storages: storages)
    }

    // MARK: - The pickle's globals

    /// The storages a pickle's persistent ids name, with their types.
    final class StorageCatalog {
        let path: String
        var references: [String: TorchStorageReference] = [:]
        init(path: String) { self.path = path }
    }

    /// The only globals a checkpoint may name; anything else is refused before it could be called.
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    ]

    static func pickleMachine(_ reader: ByteReader, _ catalog: StorageCatalog) -> PickleMachine {
        let path = catalog.path
        func problem(_ what: String) -> CheckpointError {
            CheckpointError(path: path, problem: "\(what); Gesso reads only plain tensor state dicts, saved with " +
                            "torch.save(model.state_dict(), path)")
        }
        return PickleMachine(reader: reader, global: { module, name in
            // Storage types are names only (checked where a persistent id uses them); nothing is ever imported.
            guard allowedGlobals.contains("\(module).\(name)") || module == "torch" && name.hasSuffix("Storage") else {
                throw problem("unexpected global \(module).\(name) in the pickle (it is refused, never run)")
            }
            return .global(module: module, name: name)
        }, call: { callable, arguments in
            guard case .global(let module, let name) = callable else { throw problem("the pickle calls \(callable.kind)") }
            switch "\(module).\(name)" {
            case "collections.OrderedDict" where arguments.isEmpty:
                return .dict(PickleDict())
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
                guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1],
                      let shape = integers(arguments[2]), let strides = integers(arguments[3]), shape.count == strides.count
                else { throw problem("a tensor is rebuilt from \(arguments.map(\.kind)), not (storage, offset, size, stride)") }
                return .tensor(TorchTensorView(storage: storage, offset: offset, shape: shape, strides: strides))
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
                guard case .tensor? = arguments.first else {
                    throw problem("a parameter is rebuilt from \(arguments.first?.kind ?? "nothing")")
                }
                return arguments[0]
            default:
                throw problem("the pickle calls \(module).\(name) with \(arguments.count) arguments")
            }
        }, persistentLoad: { id in
            // ('storage', torch.FloatStorage, key, location, numel[, (view key, view offset, view numel) or None])
            guard case .tuple(let fields) = id, fields.count >= 5, case .string("storage") = fields[0],
                  case .global("torch", let typeName) = fields[1], case .string(let key) = fields[2],
                  case .int = fields[4] else {  // its size: the length of the data it gets is what counts
                throw problem("the pickle refers to \(id.kind), not a torch storage")
            }
            guard let type = TorchStorageType(rawValue: typeName) else {
                throw CheckpointError(path: path, problem: "storage \(key) has type torch.\(typeName), which Gesso cannot " +
                                      "read (\(TorchStorageType.supported)); convert the tensor in torch before saving")
            }
            var reference = TorchStorageReference(key: key, type: type, view: nil)
            if fields.count > 5, case .tuple(let view) = fields[5] {
                guard view.count == 3, case .int(let offset) = view[1], case .int(let viewCount) = view[2],
                      offset >= 0, viewCount >= 0 else { throw problem("storage \(key) has a damaged view") }
                reference = TorchStorageReference(key: key, type: type, view: (offset, viewCount))
            }
            if let known = catalog.references[key], known.type != type {
                throw CheckpointError(path: path, problem: "storage \(key) is read both as torch.\(known.type.rawValue) and " +
                                      "torch.\(typeName): the file is damaged")
            }
            catalog.references[key] = reference
            return .storage(reference)
        })
    }

    /// A tuple or list of ints (a size or a stride).
    static func integers(_ value: PickleValue) -> [Int]? {
        let items: [PickleValue]
        switch value {
        case .tuple(let t): items = t
        case .list(let l): items = l.items
        default: return nil
        }
        let ints = items.compactMap { if case .int(let i) = $0 { return i } else { return nil } }
        return ints.count == items.count ? ints : nil
    }

    // MARK: - From the pickle to named tensors

    /// The named tensor views of the pickled object: its "state_dict" or "model" dict if it has one, otherwise the
    /// object itself; nested dicts give dotted names.
    static func stateDict(_ root: PickleValue, path: String) throws -> [(String, TorchTensorView)] {
        guard case .dict(var dict) = root else {
            throw CheckpointError(path: path, problem: "holds \(root.kind), not a dict of named tensors; save one with " +
                                  "torch.save(model.state_dict(), path)")
        }
        for key in ["state_dict", "model"] {
            if case .dict(let inner)? = dict[key] { dict = inner; break }
        }
        var named: [(String, TorchTensorView)] = []
        var seen = Set<String>()
        func collect(_ dict: PickleDict, prefix: String, depth: Int) throws {
            for (key, value) in dict.entries {
                guard let key = key.keyName else { continue }
                switch value {
                case .tensor(let view):
                    guard seen.insert(prefix + key).inserted else {
                        throw CheckpointError(path: path, problem: "names two tensors \(prefix + key); the file is damaged")
                    }
                    named.append((prefix + key, view))
                case .dict(let inner) where depth < 16:
                    try collect(inner, prefix: prefix + key + ".", depth: depth + 1)
                default:
                    continue
                }
            }
        }
        try collect(dict, prefix: "", depth: 0)
        guard !named.isEmpty else {
            let keys = dict.entries.prefix(8).compactMap { $0.key.keyName }.joined(separator: ", ")
            throw CheckpointError(path: path, problem: "holds no tensors (its keys: \(keys)); give a state dict saved " +
                                  "with torch.save(model.state_dict(), path)")
        }
        return named
    }

    /// The view as a contiguous Float32 tensor, after checking that every element it reaches lies in its storage.
    static func materialise(_ view: TorchTensorView, name: String, storage: LoadedStorage, path: String) throws -> Tensor {
        let reference = view.storage
        func damaged(_ what: String) -> CheckpointError {
            CheckpointError(path: path, problem: "tensor \(name) (size \(view.shape), stride \(view.strides), storage " +
                            "offset \(view.offset)) \(what): the file is damaged or truncated; save it again")
        }
        guard view.shape.allSatisfy({ $0 >= 0 }), view.strides.allSatisfy({ $0 >= 0 }), view.offset >= 0 else {
            throw damaged("has a negative size, stride or offset")
        }
        // Elements, and the last element the view reaches, with overflow checks: the numbers come from the file.
        var count = 1, last = view.offset, overflow = false
        for size in view.shape {
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            count = c
            overflow = overflow || o1
        }
        // More elements than its storage needs zero strides (an expanded view): allowed up to 2^26 elements.
        let (start, available) = reference.view ?? (0, storage.count)
        guard !overflow, count <= max(available, 1 << 26) else {
            throw damaged("has more elements than its storage and than Gesso expands a view to (2^26)")
        }
        if count > 0 {
            for (size, stride) in zip(view.shape, view.strides) {
                let (step, o1) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(step)
                last = sum
                overflow = overflow || o1 || o2
            }
        }
        // A legacy storage view (rare) must lie in its storage, and the tensor in the view.
        guard start <= storage.count, available <= storage.count - start, !overflow,
              count == 0 ? view.offset <= available : last < available else {
            throw damaged("reaches past the end of storage \(reference.key), which holds \(storage.count) elements of " +
                          "torch.\(reference.type.rawValue)" + (reference.view.map {
                              " (the tensor views \($0.count) of them from element \($0.offset))" } ?? ""))
        }
        var values = [Float](repeating: 0, count: count)
        guard count > 0, let base = storage.bytes.baseAddress else { return Tensor(shape: view.shape, scalars: values) }
        let width = storage.type.width, type = storage.type
        let shape = view.shape, strides = view.strides
        let inner = shape.last ?? 1, innerStride = strides.last ?? 0
        values.withUnsafeMutableBufferPointer { out in
            // An odometer over the outer axes; the last axis is the inner loop.
            var index = [Int](repeating: 0, count: max(shape.count - 1, 0))
            var position = start + view.offset
            for row in 0..<count / inner {
                var p = position
                for i in 0..<inner {
                    out[row * inner + i] = type.load(base + p * width)
                    p &+= innerStride
                }
                var axis = index.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    position &+= strides[axis]  // wrapping: past the last index a huge stride may overflow, unused
                    if index[axis] < shape[axis] { break }
                    position &-= strides[axis] &* shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return Tensor(shape: view.shape, scalars: values)
    }
}

/// torch's typed storages (`torch.FloatStorage`, ...) that Gesso converts to Float.
enum TorchStorageType: String {
    case float = "FloatStorage", double = "DoubleStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage"
    case long = "LongStorage", int = "IntStorage", short = "ShortStorage", char = "CharStorage", byte = "ByteStorage"
    case bool = "BoolStorage"

    static let supported = "float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8 and bool"

    var width: Int {
        switch self {
        case .double, .long: return 8
        case .float, .int: return 4
        case .half, .bfloat16, .short: return 2
        case .char, .byte, .bool: return 1
        }
    }

    /// The little-endian element at `p`, as a Float.
    func load(_ p: UnsafeRawPointer) -> Float {
        switch self {
        case .float: return Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .double: return Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        case .half: return Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))))
        case .bfloat16: return Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))) << 16)
        case .long: return Float(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
        case .int: return Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
        case .short: return Float(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
        case .char: return Float(p.load(as: Int8.self))
        case .byte: return Float(p.load(as: UInt8.self))
        case .bool: return p.load(as: UInt8.self) != 0 ? 1 : 0
        }
    }
}

/// A persistent id `('storage', type, key, location, numel[, view])`: a storage and, in legacy files, the part of
/// it a storage view covers (in elements).
struct TorchStorageReference {
    let key: String
    let type: TorchStorageType
    let view: (offset: Int, count: Int)?
}

/// `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`: a strided view of a storage, in elements.
struct TorchTensorView {
    let storage: TorchStorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// The entries of a zip archive, read through its central directory (zip64 included), for torch's format.
struct ZipArchive {
    struct Entry {
        let name: String
        let flags: UInt64
        let method: UInt64
        let compressedSize: Int
        let size: Int
        let localHeader: Int
    }

    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]

    subscript(name: String) -> Entry? { byName[name].map { entries[$0] } }

    static func value(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ width: Int) -> UInt64 {
        (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        self.bytes = bytes
        self.path = path
        func damaged(_ what: String) -> CheckpointError {
            CheckpointError(path: path, problem: "is a damaged zip archive (\(what)); save or download it again")
        }
        // The end-of-central-directory record: 22 bytes and a comment of up to 65535 at the end of the file.
        let lowest = max(0, bytes.count - 22 - 65535)
        guard let end = stride(from: bytes.count - 22, through: lowest, by: -1).first(where: {
            Self.value(bytes, at: $0, 4) == 0x0605_4B50
        }) else {
            throw CheckpointError(path: path, problem: "is truncated: it starts as a zip archive (torch's format since " +
                                  "1.6) but its end, the zip's central directory, is missing; save or download it again")
        }
        var count = Self.value(bytes, at: end + 10, 2), offset = Self.value(bytes, at: end + 16, 4)
        if count == 0xFFFF || offset == 0xFFFF_FFFF {
            // zip64: a locator just before the record points at the zip64 end-of-central-directory record.
            var reader = ByteReader(bytes, path: path)
            reader.offset = max(0, end - 20)
            guard end >= 20, try reader.uint(4, "the zip64 locator") == 0x0706_4B50 else { throw damaged("no zip64 locator") }
            reader.offset += 4
            reader.offset = min(try reader.length(8, "the zip64 record offset"), bytes.count)
            guard try reader.uint(4, "the zip64 end record") == 0x0606_4B50 else { throw damaged("no zip64 end record") }
            reader.offset += 28
            count = try reader.uint(8, "the zip64 entry count")
            reader.offset += 8
            offset = try reader.uint(8, "the zip64 central directory offset")
        }
        var reader = ByteReader(bytes, path: path, part: " (the zip's central directory)")
        reader.offset = Int(clamping: min(offset, UInt64(bytes.count)))
        for _ in 0..<count {
            let header = try reader.take(46, "a central directory entry")
            guard Self.value(header, at: 0, 4) == 0x0201_4B50 else { throw damaged("a central directory entry is wrong") }
            let nameBytes = try reader.take(Int(Self.value(header, at: 28, 2)), "an entry's name")
            let extra = try reader.take(Int(Self.value(header, at: 30, 2)), "an entry's extra fields")
            _ = try reader.take(Int(Self.value(header, at: 32, 2)), "an entry's comment")
            // Sizes and offset; 0xFFFFFFFF means "in the zip64 extra field", in this order.
            var fields = [Self.value(header, at: 24, 4), Self.value(header, at: 20, 4), Self.value(header, at: 42, 4)]
            var at = 0
            while at + 4 <= extra.count {
                let id = Self.value(extra, at: at, 2), size = Int(Self.value(extra, at: at + 2, 2))
                if id == 1 {
                    var field = at + 4
                    for i in fields.indices where fields[i] == 0xFFFF_FFFF && field + 8 <= min(at + 4 + size, extra.count) {
                        fields[i] = Self.value(extra, at: field, 8)
                        field += 8
                    }
                }
                at += 4 + size
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if byName[name] == nil { byName[name] = entries.count }
            entries.append(Entry(name: name, flags: Self.value(header, at: 8, 2), method: Self.value(header, at: 10, 2),
                                 compressedSize: Int(clamping: fields[1]), size: Int(clamping: fields[0]),
                                 localHeader: Int(clamping: fields[2])))
        }
    }

    /// An entry's bytes; only stored (uncompressed) entries, which is how torch writes them.
    func contents(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        var reader = ByteReader(bytes, path: path)
        reader.offset = min(entry.localHeader, bytes.count)
        let header = try reader.take(30, "the local header of \(entry.name)")
        guard Self.value(header, at: 0, 4) == 0x0403_4B50 else {
            throw CheckpointError(path: path, problem: "is a damaged zip archive (the header of \(entry.name) is wrong); " +
                                  "save or download it again")
        }
        _ = try reader.take(Int(Self.value(header, at: 26, 2) + Self.value(header, at: 28, 2)), "the name of \(entry.name)")
        guard entry.flags & 1 == 0 else {
            throw CheckpointError(path: path, problem: "has an encrypted entry \(entry.name); Gesso reads torch.save's files")
        }
        guard entry.method == 0, entry.compressedSize == entry.size else {
            throw CheckpointError(path: path, problem: "has a compressed entry \(entry.name) (zip method \(entry.method)); " +
                                  "torch.save stores entries uncompressed, and Gesso reads only those: load and save it " +
                                  "again with torch.save, or re-zip it without compression (zip -0)")
        }
        return try reader.take(entry.size, "the data of \(entry.name)")
    }
}

/// Checks named tensors against the names and shapes a model expects, listing every difference in one error.
public enum WeightMapping {
    /// Throws a `CheckpointError` naming `file` that lists all missing, unexpected and mis-shaped tensors.
    public static func match(_ tensors: [String: Tensor], to expected: [String: [Int]], file: String) throws {
        let missing = expected.filter { tensors[$0.key] == nil }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let unexpected = tensors.filter { expected[$0.key] == nil }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shape)" }
        let misShaped = expected.sorted { $0.key < $1.key }.compactMap { name, shape -> String? in
            guard let tensor = tensors[name], tensor.shape != shape else { return nil }
            return "\(name): file \(tensor.shape), model \(shape)"
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("\(missing.count) missing (\(missing.joined(separator: ", ")))") }
        if !unexpected.isEmpty { parts.append("\(unexpected.count) unexpected (\(unexpected.joined(separator: ", ")))") }
        if !misShaped.isEmpty { parts.append("\(misShaped.count) with another shape (\(misShaped.joined(separator: "; ")))") }
        guard parts.isEmpty else {
            throw CheckpointError(path: file, problem: "does not fit the model: " + parts.joined(separator: "; ") +
                                  ". Check that the checkpoint is for this architecture and its options, or rename its tensors")
        }
    }
}
