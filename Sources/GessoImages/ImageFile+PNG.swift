import CPNG
import Foundation

// PNG through libpng's simplified API (png.h, "simplified API"). Its `PNG_FORMAT_*` macros are expressions
// that do not import into Swift, so the format is spelt with the flag values from png.h.
private let formatFlagAlpha: UInt32 = 0x01   // PNG_FORMAT_FLAG_ALPHA
private let formatFlagColor: UInt32 = 0x02   // PNG_FORMAT_FLAG_COLOR
private let imageVersion: UInt32 = 1         // PNG_IMAGE_VERSION
/// PNG_IMAGE_FLAG_16BIT_sRGB: a 16-bit file without gAMA or sRGB chunk holds sRGB-encoded samples (as every
/// other reader assumes), so reducing it to 8 bits is a plain rescale, not a linear-to-sRGB conversion.
private let imageFlag16BitSRGB: UInt32 = 0x04

/// The simplified-API format for 1 (grey), 3 (RGB) or 4 (RGBA) channels of 8 bits.
private func pngFormat(channels: Int) -> UInt32 {
    switch channels {
    case 1: return 0
    case 3: return formatFlagColor
    default: return formatFlagColor | formatFlagAlpha
    }
}

/// libpng's message for the last warning or error (a NUL-terminated char[64] inside `png_image`).
private func pngMessage(_ png: png_image) -> String {
    withUnsafeBytes(of: png.message) { bytes in
        String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

extension ImageFile {
    /// Decodes PNG bytes: grey -> 1 channel, grey+alpha and RGBA -> 4, RGB -> 3, palette -> 3 or 4 (with a tRNS
    /// chunk), 16 bits -> 8 bits.
    static func decodePNG(_ data: Data, path: String) throws -> Image {
        var png = png_image()
        png.version = imageVersion
        defer { png_image_free(&png) }  // safe after success too: libpng frees once and clears `opaque`
        return try data.withUnsafeBytes { bytes -> Image in
            // libpng keeps reading from `bytes` until png_image_finish_read, so both calls stay in this closure.
            guard png_image_begin_read_from_memory(&png, bytes.baseAddress, bytes.count) != 0 else {
                throw ImageError(path: path, problem: "not a readable PNG (libpng: \(pngMessage(png))); "
                                 + "the file is corrupt or truncated: export or download it again")
            }
            let hasAlpha = png.format & formatFlagAlpha != 0
            let hasColor = png.format & formatFlagColor != 0
            let channels = hasAlpha ? 4 : (hasColor ? 3 : 1)
            let width = Int(png.width), height = Int(png.height)
            let count = try checkedByteCount(width: width, height: height, channels: channels, path: path, format: "PNG")
            png.format = pngFormat(channels: channels)
            png.flags |= imageFlag16BitSRGB
            var pixels = [UInt8](repeating: 0, count: count)
            let finished = pixels.withUnsafeMutableBytes { out in
                png_image_finish_read(&png, nil, out.baseAddress, Int32(width * channels), nil)
            }
            guard finished != 0 else {
                throw ImageError(path: path, problem: "corrupt or truncated PNG (libpng: \(pngMessage(png))); "
                                 + "export or download it again")
            }
            return Image(width: width, height: height, channels: channels, pixels: pixels)
        }
    }

    /// Encodes an image as an 8-bit PNG; `path` names the destination in errors.
    static func encodePNG(_ image: Image, path: String) throws -> Data {
        guard image.width > 0, image.height > 0 else {
            throw ImageError(path: path, problem: "cannot save an empty \(image.width)x\(image.height) image as PNG; "
                             + "check the size it was made or cropped to")
        }
        guard image.width <= Int(Int32.max) / image.channels, image.height <= Int(Int32.max) else {
            throw ImageError(path: path, problem: "\(image.width)x\(image.height) is too large for PNG; resize it first")
        }
        var png = png_image()
        png.version = imageVersion
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = pngFormat(channels: image.channels)
        defer { png_image_free(&png) }
        let rowStride = Int32(image.width * image.channels)
        return try image.pixels.withUnsafeBytes { pixels -> Data in
            // First call without a buffer: libpng compresses to count the bytes needed.
            var size: png_alloc_size_t = 0
            guard png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, rowStride, nil) != 0 else {
                throw ImageError(path: path, problem: "libpng could not encode the image (\(pngMessage(png)))")
            }
            var data = Data(count: Int(size))
            let written = data.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&png, out.baseAddress, &size, 0, pixels.baseAddress, rowStride, nil)
            }
            guard written != 0 else {
                throw ImageError(path: path, problem: "libpng could not encode the image (\(pngMessage(png)))")
            }
            return Data(data.prefix(Int(size)))
        }
    }
}
