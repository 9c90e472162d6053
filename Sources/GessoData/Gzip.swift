import CZlib
import Foundation

/// gzip decompression through zlib's `inflate` (windowBits 16 + MAX_WBITS: gzip header and trailer).
enum Gzip {
    /// The contents of a gzip file; `path` names it in errors.
    static func decompress(_ data: [UInt8], path: String) throws -> [UInt8] {
        guard data.count >= 2, data[0] == 0x1f, data[1] == 0x8b else {
            throw DataError(path: path, problem: "is not a gzip file (it should start with the bytes 1f 8b). "
                + "It may be damaged or only partly downloaded: fetch it again.")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(path: path, problem: "zlib could not start decompressing (out of memory?).")
        }
        defer { inflateEnd(&stream) }

        // The trailer's last four bytes give the size modulo 2^32: a first guess, capped in case the file is damaged.
        let n = data.count
        let stated = n >= 18 ? Int(data[n - 4]) | Int(data[n - 3]) << 8 | Int(data[n - 2]) << 16 | Int(data[n - 1]) << 24 : 0
        var output = [UInt8](repeating: 0, count: max(1 << 16, min(stated, 1 << 28)))
        var produced = 0
        var status = Z_OK
        data.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
                output.withUnsafeMutableBufferPointer { out in
                    let room = min(out.count - produced, Int(UInt32.max))
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(room)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                }
                if status != Z_OK { break }
                // Z_OK with input left and room left cannot stall: inflate made progress.
                if stream.avail_in == 0 && produced < output.count { status = Z_BUF_ERROR; break }
            }
        }
        switch status {
        case Z_STREAM_END:
            output.removeSubrange(produced...)
            return output
        case Z_BUF_ERROR:
            throw DataError(path: path, problem: "ends early: the download or copy was cut short. Fetch the file again.")
        case Z_MEM_ERROR:
            throw DataError(path: path, problem: "is too large to decompress in the memory available.")
        default:
            let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DataError(path: path, problem: "is damaged (\(detail)). Fetch the file again.")
        }
    }
}
