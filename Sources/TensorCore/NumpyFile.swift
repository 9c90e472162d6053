import Foundation

/// What went wrong reading or writing a `.npy` file; the message names the file and what to do.
public struct NumpyFileError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// NumPy's `.npy` format (versions 1-3): float32/float64/int32/int64 in either byte order, C or Fortran order.
public enum NumpyFile {
    /// Reads a `.npy` file into a Float32 tensor.
    public static func read(_ url: URL) throws -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw NumpyFileError(path: url.path, problem: "cannot be read (\(error.localizedDescription)); check the path")
        }
        return try decode(data, path: url.path)
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws -> Tensor {
        func fail(_ p: String) -> NumpyFileError { NumpyFileError(path: path, problem: p) }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file (wrong magic number); save arrays with numpy.save")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else { throw fail("unsupported .npy version \(major)") }
        guard data.count >= headerStart + headerLength,
              let header = String(data: data.subdata(in: headerStart..<headerStart + headerLength), encoding: .utf8)
        else { throw fail("truncated or unreadable header") }

        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), let q1 = descrField.firstIndex(of: "'"),
              let q2 = descrField[descrField.index(after: q1)...].firstIndex(of: "'") else { throw fail("header has no dtype") }
        let descr = String(descrField[descrField.index(after: q1)..<q2])
        let fortran = field("fortran_order")?.hasPrefix("True") ?? false
        guard let shapeField = field("shape"), let open = shapeField.firstIndex(of: "("),
              let close = shapeField.firstIndex(of: ")") else { throw fail("header has no shape") }
        let shape = try shapeField[shapeField.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { s -> Int in guard let v = Int(s), v >= 0 else { throw fail("bad shape entry '\(s)'") }; return v }
        let count = shape.reduce(1, *)
        let big = descr.hasPrefix(">")
        let kind = descr.dropFirst()
        let width: Int
        switch kind {
        case "f4", "i4": width = 4
        case "f8", "i8": width = 8
        default: throw fail("dtype '\(descr)' is not supported (use float32, float64, int32 or int64)")
        }
        let start = headerStart + headerLength
        guard data.count >= start + count * width else {
            throw fail("truncated: \(count) elements of \(width) bytes need \(count * width) bytes, found \(data.count - start)")
        }
        var values = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + start
            for i in 0..<count {
                var bits8: UInt64 = 0
                memcpy(&bits8, base + i * width, width)
                if width == 4 {
                    var b = UInt32(truncatingIfNeeded: bits8)
                    if big { b = b.byteSwapped }
                    values[i] = kind == "f4" ? Float(bitPattern: b) : Float(Int32(bitPattern: b))
                } else {
                    if big { bits8 = bits8.byteSwapped }
                    values[i] = kind == "f8" ? Float(Double(bitPattern: bits8)) : Float(Int64(bitPattern: bits8))
                }
            }
        }
        if fortran && shape.count > 1 {
            let reversed = Tensor(shape: shape.reversed(), scalars: values)
            return reversed.transposed(Array((0..<shape.count).reversed()))
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// The `.npy` bytes of a tensor (version 1.0, little-endian float32, C order).
    public static func encode(_ t: Tensor) -> Data {
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        t.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!)
            .assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        return data
    }
}
