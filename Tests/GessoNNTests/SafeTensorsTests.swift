import Foundation
import Testing
@testable import GessoNN

struct SafeTensorsTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gesso-st-\(getpid())-\(name)")
    }

    @Test func roundTripWithMetadata() throws {
        let url = Self.temporary("round.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let tensors = ["conv1.weight": Tensor(shape: [2, 1, 1, 3], scalars: [1, 2, 3, 4, 5, 6]), "b": Tensor([-1.5])]
        try SafeTensors.write(tensors, metadata: ["step": "12"], to: url)
        let (back, meta) = try SafeTensors.read(url)
        #expect(meta == ["step": "12"])
        #expect(back.keys.sorted() == ["b", "conv1.weight"])
        #expect(back["conv1.weight"]!.shape == [2, 1, 1, 3] && back["conv1.weight"]!.scalars == [1, 2, 3, 4, 5, 6])
        // The layout Python's safetensors expects: u64 header length, JSON, data aligned to 8 bytes.
        let data = try Data(contentsOf: url)
        let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect((8 + length) % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as? [String: Any])
        let entry = try #require(header["b"] as? [String: Any])
        #expect(entry["dtype"] as? String == "F32")
        #expect(entry["data_offsets"] as? [Int] == [0, 4])
        #expect(data.count == 8 + length + 7 * 4)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.contains("round.safetensors") && $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func readsOtherDataTypes() throws {
        // A hand-made file: F16 [1.0, -2.0], BF16 [0.5], I64 [7].
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"i":{"dtype":"I64","shape":[1],"data_offsets":[6,14]}}"#
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC0])  // F16 1.0, -2.0
        data.append(contentsOf: [0x00, 0x3F])              // BF16 0.5
        data.append(contentsOf: [7, 0, 0, 0, 0, 0, 0, 0])  // I64 7
        let (t, _) = try SafeTensors.decode(data, path: "hand.safetensors")
        #expect(t["h"]!.scalars == [1, -2] && t["b"]!.scalars == [0.5] && t["i"]!.scalars == [7])
    }

    @Test func damagedFilesNameTheFile() throws {
        let good = SafeTensors.encode(["w": Tensor([1, 2, 3, 4])])
        for (name, data) in [("empty", Data()), ("cut-header", good.prefix(20)), ("cut-data", good.prefix(good.count - 3)),
                             ("not-json", Data([16, 0, 0, 0, 0, 0, 0, 0]) + Data(repeating: 0x41, count: 16))] {
            let error = try #require(throws: CheckpointError.self) { try SafeTensors.decode(data, path: "/runs/x/\(name).safetensors") }
            #expect(error.description.hasPrefix("/runs/x/\(name).safetensors: "))
        }
        #expect(throws: CheckpointError.self) { try SafeTensors.read(URL(fileURLWithPath: "/nonexistent/w.safetensors")) }
    }
}
