import Foundation

/// A problem with a checkpoint or weights file; names the file and what to do.
public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) { self.path = path; self.problem = problem }
    public var description: String { "\(path): \(problem)" }
}

/// The safetensors format (readable by Python's `safetensors` and, through it, numpy and PyTorch): an 8-byte
/// little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}, "__metadata__": {..}}`,
/// then the raw little-endian data. Gesso writes F32 only and reads F32, F64, F16, BF16, I64 and I32.
public enum SafeTensors {
    /// The file's bytes for named tensors (sorted by name) and string metadata.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]]
            offset += t.count * 4
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces to keep the data 8-byte aligned
        var data = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        data.reserveCapacity(data.count + offset)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!)
                .assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        }
        return data
    }

    /// Writes atomically: a temporary file in the same folder, then a rename over the target.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }

    public static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw CheckpointError(path: url.path, problem: "cannot be read (\(error.localizedDescription)); check the path")
        }
        return try decode(data, path: url.path)
    }

    public static func decode(_ data: Data, path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ p: String) -> CheckpointError { CheckpointError(path: path, problem: p) }
        guard data.count >= 8 else { throw fail("too short to be a safetensors file (\(data.count) bytes); it may be truncated") }
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(data.count - 8) else {
            throw fail("header says \(length) bytes but the file has \(data.count - 8) after it: truncated or not safetensors")
        }
        let start = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<start)) as? [String: Any] else {
            throw fail("the header is not valid JSON: not a safetensors file, or damaged")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("entry \(name) lacks dtype, shape or data_offsets") }
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "F64", "I64": width = 8
            case "F16", "BF16": width = 2
            default: throw fail("tensor \(name) has dtype \(dtype), which Gesso cannot read (F32, F64, F16, BF16, I32, I64)")
            }
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == count * width,
                  start + offsets[1] <= data.count else {
                throw fail("tensor \(name) (\(dtype) \(shape)) points outside the file: truncated or damaged")
            }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let base = raw.baseAddress! + start + offsets[0]
                for i in 0..<count {
                    let p = base + i * width
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
                    case "I32": values[i] = Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
                    case "F64": values[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
                    case "I64": values[i] = Float(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
                    case "BF16": values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))) << 16)
                    default: values[i] = Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))))
                    }
                }
            }
            tensors[name] = Tensor(shape: shape, scalars: values)
        }
        return (tensors, metadata)
    }
}

/// Writes files so that a crash never leaves a half-written one: temporary file, then rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let tmp = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: tmp)
            // rename(2) replaces the target atomically within one file system.
            guard rename(tmp.path, url.path) == 0 else {
                throw CheckpointError(path: url.path, problem: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw CheckpointError(path: url.path, problem: "cannot be written (\(error.localizedDescription)); check that the " +
                                  "folder exists and there is space")
        }
    }
}
