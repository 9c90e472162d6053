import CTurboJPEG
import Foundation

// JPEG through TurboJPEG (libjpeg-turbo's turbojpeg.h, 2.x API). TurboJPEG reports errors through
// tjGetErrorStr2 and never calls libjpeg's default error handler (which would exit the process).

/// TurboJPEG's message for the last error on `handle` (or on the calling thread when `handle` is nil).
private func turboMessage(_ handle: tjhandle?) -> String {
    guard let message = tjGetErrorStr2(handle) else { return "no message" }
    return String(cString: message)
}

extension ImageFile {
    /// Decodes JPEG bytes: greyscale -> 1 channel, everything else -> 3 (RGB); CMYK and YCCK are converted to
    /// RGB here (TurboJPEG 2.1 cannot convert them itself). The EXIF orientation is applied. Warnings from
    /// libjpeg (a truncated file, corrupt entropy-coded data) are errors: the pixels would be partly invented.
    static func decodeJPEG(_ data: Data, path: String) throws -> Image {
        guard let handle = tjInitDecompress() else {
            throw ImageError(path: path, problem: "TurboJPEG could not start (\(turboMessage(nil)))")
        }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> Image in
            let bytes = raw.bindMemory(to: UInt8.self)
            let size = UInt(bytes.count)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, bytes.baseAddress, size, &width, &height, &subsampling, &colorspace) == 0 else {
                throw ImageError(path: path, problem: "not a readable JPEG (TurboJPEG: \(turboMessage(handle))); "
                                 + "the file is corrupt or truncated: export or download it again")
            }
            let isGrey = colorspace == Int32(TJCS_GRAY.rawValue)
            let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
            let pixelFormat = isGrey ? TJPF_GRAY : (isCMYK ? TJPF_CMYK : TJPF_RGB)
            let decodedChannels = isGrey ? 1 : (isCMYK ? 4 : 3)
            let count = try checkedByteCount(width: Int(width), height: Int(height), channels: decodedChannels,
                                             path: path, format: "JPEG")
            var pixels = [UInt8](repeating: 0, count: count)
            let status = pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, bytes.baseAddress, size, out.baseAddress, width, 0, height,
                              Int32(pixelFormat.rawValue), TJFLAG_STOPONWARNING)
            }
            guard status == 0 else {
                throw ImageError(path: path, problem: "corrupt or truncated JPEG (TurboJPEG: \(turboMessage(handle))); "
                                 + "export or download it again")
            }
            let segments = JPEGSegments(raw)
            if isCMYK {
                pixels = rgbFromCMYK(pixels, inverted: segments.hasAdobeMarker)
            }
            let image = Image(width: Int(width), height: Int(height), channels: isCMYK ? 3 : decodedChannels, pixels: pixels)
            return image.applyingEXIFOrientation(segments.orientation)
        }
    }

    /// Converts CMYK samples to RGB: R = (1 - C)(1 - K), and so on. Files with an Adobe APP14 marker (Photoshop,
    /// Pillow, libjpeg itself) store CMYK inverted, 255 meaning no ink: then R = C·K / 255 on the stored values.
    static func rgbFromCMYK(_ cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: cmyk.count / 4 * 3)
        for p in 0..<cmyk.count / 4 {
            var k = Int(cmyk[4 * p + 3])
            if !inverted { k = 255 - k }
            for c in 0..<3 {
                var ink = Int(cmyk[4 * p + c])
                if !inverted { ink = 255 - ink }
                rgb[3 * p + c] = UInt8((ink * k + 127) / 255)
            }
        }
        return rgb
    }

    /// Encodes an image as JPEG; `path` names the destination in errors.
    static func encodeJPEG(_ image: Image, quality: Int, path: String) throws -> Data {
        guard (1...100).contains(quality) else {
            throw ImageError(path: path, problem: "JPEG quality \(quality) is outside 1...100; 90 is a good default")
        }
        guard image.width > 0, image.height > 0 else {
            throw ImageError(path: path, problem: "cannot save an empty \(image.width)x\(image.height) image as JPEG; "
                             + "check the size it was made or cropped to")
        }
        guard image.width <= 65_535, image.height <= 65_535 else {
            throw ImageError(path: path, problem: "\(image.width)x\(image.height) is larger than JPEG allows "
                             + "(65535 per side); resize it or save it as PNG")
        }
        let source = image.channels == 4 ? image.converted(toChannels: 3) : image
        let pixelFormat = source.channels == 1 ? TJPF_GRAY : TJPF_RGB
        let subsampling = source.channels == 1 ? TJSAMP_GRAY : TJSAMP_420
        guard let handle = tjInitCompress() else {
            throw ImageError(path: path, problem: "TurboJPEG could not start (\(turboMessage(nil)))")
        }
        defer { tjDestroy(handle) }
        var jpeg: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { if let jpeg { tjFree(jpeg) } }
        let status = source.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(source.width), 0, Int32(source.height),
                        Int32(pixelFormat.rawValue), &jpeg, &size, Int32(subsampling.rawValue), Int32(quality), 0)
        }
        guard status == 0, let jpeg else {
            throw ImageError(path: path, problem: "TurboJPEG could not encode the image (\(turboMessage(handle)))")
        }
        return Data(bytes: jpeg, count: Int(size))
    }
}
