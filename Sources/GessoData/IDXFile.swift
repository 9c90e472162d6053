import Foundation

/// An array of unsigned bytes in the IDX format of MNIST and Fashion-MNIST: bytes 0 0 8 (unsigned byte) and the
/// number of dimensions, then each dimension as a big-endian UInt32, then the values in row-major order.
struct IDXFile {
    var dimensions: [Int]
    var values: [UInt8]

    /// Reads an IDX file, gzip'd (`.gz`, detected by content) or plain.
    static func read(_ url: URL) throws -> IDXFile {
        let bytes = try readBytes(url)
        let isGzip = bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
        return try parse(isGzip ? Gzip.decompress(bytes, path: url.path) : bytes, path: url.path)
    }

    /// Parses the decompressed bytes of an IDX file; `path` names it in errors.
    static func parse(_ bytes: [UInt8], path: String) throws -> IDXFile {
        guard bytes.count >= 4 else {
            throw DataError(path: path, problem: "is too short to be an IDX file (\(bytes.count) bytes). Fetch it again.")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let first = bytes.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw DataError(path: path, problem: "is not an IDX file: it starts with the bytes \(first), where an IDX file "
                + "starts with 00 00 08 and its number of dimensions. Check that this is an MNIST-style -ubyte file.")
        }
        guard bytes[2] == 0x08 else {
            throw DataError(path: path, problem: String(format: "holds IDX values of type 0x%02x; Gesso reads only unsigned "
                + "bytes (type 0x08), as in MNIST and Fashion-MNIST.", bytes[2]))
        }
        let rank = Int(bytes[3])
        let headerSize = 4 + 4 * rank
        guard rank >= 1, bytes.count >= headerSize else {
            throw DataError(path: path, problem: "has a damaged IDX header (\(rank) dimensions in \(bytes.count) bytes). Fetch it again.")
        }
        let dimensions = (0..<rank).map { d in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * d + $1]) }
        }
        var expected = 1
        for d in dimensions {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DataError(path: path, problem: "has a damaged IDX header (dimensions \(dimensions)). Fetch it again.") }
            expected = product
        }
        let present = bytes.count - headerSize
        guard present >= expected else {
            throw DataError(path: path, problem: "ends early: its header promises \(dimensions.map(String.init).joined(separator: " x ")) "
                + "= \(expected) values but only \(present) are there. The download or copy was cut short: fetch it again.")
        }
        return IDXFile(dimensions: dimensions, values: Array(bytes[headerSize..<(headerSize + expected)]))
    }
}

/// The bytes of a file, or a DataError saying it is missing or unreadable.
func readBytes(_ url: URL, missing: String = "There is no file here.") throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: url.path) else { throw DataError(path: url.path, problem: missing) }
    do {
        return [UInt8](try Data(contentsOf: url))
    } catch {
        throw DataError(path: url.path, problem: "cannot be read (\(error.localizedDescription)). Check its permissions.")
    }
}
