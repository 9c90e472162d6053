import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes PNG and JPEG files. The codecs are libpng's simplified API (`ImageFile+PNG.swift`) and
/// TurboJPEG (`ImageFile+JPEG.swift`); JPEG header segments (EXIF orientation, the Adobe marker) are parsed
/// in `ImageFile+EXIF.swift`.
///
/// What a decoded image holds:
/// - PNG: grey -> 1 channel; grey+alpha -> 4 (RGBA, grey copied to R, G and B); RGB -> 3; RGBA -> 4;
///   palette -> 3, or 4 when it has transparency; 16-bit samples are scaled to 8 bits.
/// - JPEG: greyscale -> 1 channel; YCbCr, RGB, CMYK and YCCK -> 3 (RGB); the EXIF orientation is applied,
///   so the pixels are the way the picture is meant to be seen.
///
/// Every failure throws an `ImageError` that names the file (or "(image in memory)" for `encodePNG` and
/// `encodeJPEG`) and says what to do.
public enum ImageFile {
    /// The path that errors name when an image being encoded has no file yet.
    static let inMemory = "(image in memory)"

    /// The most bytes a decoded image may take (2 GiB): larger headers are refused before any allocation,
    /// because a corrupt or hostile header can claim an enormous size.
    static let maximumDecodedBytes = 1 << 31

    /// Reads a PNG or JPEG file; the format is recognised by content, not by extension.
    ///
    /// Throws `ImageError` naming the file for a missing or unreadable file, a zero-byte file, an unknown
    /// format, or a corrupt or truncated image.
    public static func read(_ url: URL) throws -> Image {
        let path = url.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ImageError(path: path, problem: "no such file; check the path and the current folder")
        }
        guard !isFolder.boolValue else {
            throw ImageError(path: path, problem: "is a folder, not an image file; name a .png or .jpg file inside it")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError(path: path, problem: "could not be read (\(error.localizedDescription)); check its permissions")
        }
        return try decode(data, path: path)
    }

    /// Decodes the bytes of a PNG or JPEG file; `path` is only used to name the file in errors.
    public static func decode(_ data: Data, path: String) throws -> Image {
        guard !data.isEmpty else {
            throw ImageError(path: path, problem: "the file is empty (0 bytes), perhaps an interrupted download or copy; "
                             + "fetch or export it again")
        }
        let magic = [UInt8](data.prefix(12))
        if magic.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return try decodePNG(data, path: path)
        }
        if magic.starts(with: [0xFF, 0xD8, 0xFF]) {
            return try decodeJPEG(data, path: path)
        }
        let start = magic.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
        let kind = otherFormatName(magic).map { ": it looks like \($0)" } ?? ""
        throw ImageError(path: path, problem: "not a PNG or JPEG image (it starts with bytes \(start)\(kind)); "
                         + "convert it to PNG or JPEG")
    }

    /// Encodes an image as PNG (8 bits per sample; 1 channel grey, 3 RGB, 4 RGBA). Throws for an empty image.
    public static func encodePNG(_ image: Image) throws -> Data {
        try encodePNG(image, path: inMemory)
    }

    /// Encodes an image as JPEG at `quality` 1...100: grey as a greyscale JPEG, colour with 4:2:0 chroma
    /// subsampling. JPEG has no alpha: an RGBA image is composited on white first.
    /// Throws for an empty image or a quality outside 1...100.
    public static func encodeJPEG(_ image: Image, quality: Int = 90) throws -> Data {
        try encodeJPEG(image, quality: quality, path: inMemory)
    }

    /// Writes an image in the format its extension names (`.png`, `.jpg` or `.jpeg`, any letter case), atomically:
    /// the bytes go to a temporary file in the same folder, which is then renamed over `url`, so a reader never
    /// sees half a file and an interrupted write leaves any earlier file intact. `quality` applies to JPEG only.
    public static func write(_ image: Image, to url: URL, quality: Int = 90) throws {
        let path = url.path
        let data: Data
        switch url.pathExtension.lowercased() {
        case "png": data = try encodePNG(image, path: path)
        case "jpg", "jpeg": data = try encodeJPEG(image, quality: quality, path: path)
        default:
            let found = url.pathExtension.isEmpty ? "no extension" : "the extension '.\(url.pathExtension)'"
            throw ImageError(path: path, problem: "has \(found); name the file .png, .jpg or .jpeg to choose the format")
        }
        try writeAtomically(data, to: url)
    }

    /// Writes bytes to a temporary file in the target's folder, then renames it over the target, so a reader never
    /// sees half a file and an interrupted write leaves any earlier file intact. Errors name the target.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw ImageError(path: path, problem: "could not write a temporary file in \(folder.path) "
                             + "(\(error.localizedDescription)); check that the folder exists and is writable")
        }
        // rename(2) replaces the destination in one step when both are in the same folder.
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ImageError(path: path, problem: "could not move the finished file into place (\(reason)); "
                             + "check that the name is not a folder and the folder is writable")
        }
    }

    /// Names a few common formats that Gesso does not read, for a clearer error.
    static func otherFormatName(_ magic: [UInt8]) -> String? {
        if magic.starts(with: Array("GIF8".utf8)) { return "a GIF image" }
        if magic.starts(with: Array("BM".utf8)) { return "a BMP image" }
        if magic.starts(with: [0x49, 0x49, 0x2A, 0x00]) || magic.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "a TIFF image" }
        if magic.count >= 12 && magic.starts(with: Array("RIFF".utf8)) && Array(magic[8..<12]) == Array("WEBP".utf8) {
            return "a WebP image"
        }
        if magic.count >= 12 && Array(magic[4..<12]) == Array("ftypheic".utf8) { return "a HEIC image" }
        return nil
    }

    /// Refuses sizes whose pixels would not fit in memory, and empty ones (what TurboJPEG reports for a header
    /// cut short); returns the byte count otherwise.
    static func checkedByteCount(width: Int, height: Int, channels: Int, path: String, format: String) throws -> Int {
        guard width > 0, height > 0 else {
            throw ImageError(path: path, problem: "corrupt or truncated \(format): its header gives \(width)x\(height) "
                             + "pixels; export or download it again")
        }
        let (pixels, overflow1) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: channels)
        guard !overflow1, !overflow2, bytes <= maximumDecodedBytes else {
            throw ImageError(path: path, problem: "the \(format) header says \(width)x\(height) pixels, more than Gesso "
                             + "decodes (2 GiB); if that is right, shrink the image with another tool first")
        }
        return bytes
    }
}
