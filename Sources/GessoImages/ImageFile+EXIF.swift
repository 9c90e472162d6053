import Foundation

/// What Gesso needs from a JPEG's header segments (the markers before the first scan): the EXIF orientation
/// and whether an Adobe APP14 marker is present (it means CMYK is stored inverted).
///
/// Layout (ITU T.81, Annex B): SOI `FF D8`, then segments `FF xx` + 2-byte big-endian length (counting itself)
/// + payload, up to SOS `FF DA`. EXIF lives in APP1 `FF E1` whose payload starts `Exif\0\0` followed by a TIFF
/// structure: byte order `II` (little-endian) or `MM` (big-endian), the number 42, the offset of IFD0; IFD0 is
/// an entry count and 12-byte entries (tag, type, count, value). Orientation is tag 0x0112, a SHORT.
///
/// Anything malformed is ignored (orientation 1, no Adobe marker): a broken EXIF block should not stop an
/// image from loading, and TurboJPEG judges the image data itself.
struct JPEGSegments {
    /// 1...8 as EXIF defines it; 1 (as stored) when absent or invalid.
    var orientation = 1
    var hasAdobeMarker = false

    init(_ bytes: UnsafeRawBufferPointer) {
        var i = 2  // after SOI
        var foundOrientation = false
        while i + 1 < bytes.count {
            guard bytes[i] == 0xFF else { return }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte before a marker
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
            if marker == 0xDA || marker == 0xD9 { return }  // start of scan or end of image: no more header
            guard i + 3 < bytes.count else { return }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let payloadStart = i + 4, payloadEnd = i + 2 + length
            guard length >= 2, payloadEnd <= bytes.count else { return }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<payloadEnd])
            if marker == 0xE1, !foundOrientation, payload.starts(with: Array("Exif\0\0".utf8)) {
                if let value = Self.exifOrientation(UnsafeRawBufferPointer(rebasing: payload[6...])) {
                    orientation = value
                    foundOrientation = true
                }
            }
            if marker == 0xEE, payload.starts(with: Array("Adobe".utf8)) {
                hasAdobeMarker = true
            }
            i = payloadEnd
        }
    }

    /// The orientation tag of IFD0 in a TIFF structure, or nil if absent, out of range or malformed.
    static func exifOrientation(_ tiff: UnsafeRawBufferPointer) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true   // "II"
        case (0x4D, 0x4D): littleEndian = false  // "MM"
        default: return nil
        }
        func read(_ offset: Int, bytes: Int) -> Int? {
            guard offset >= 0, offset + bytes <= tiff.count else { return nil }
            var value = 0
            for k in 0..<bytes {
                let byte = Int(tiff[littleEndian ? offset + bytes - 1 - k : offset + k])
                value = value << 8 | byte
            }
            return value
        }
        guard read(2, bytes: 2) == 42, let ifd = read(4, bytes: 4), let entries = read(ifd, bytes: 2) else { return nil }
        for e in 0..<entries {
            let entry = ifd + 2 + 12 * e
            guard let tag = read(entry, bytes: 2) else { return nil }
            if tag == 0x0112 {
                // Type 3 is SHORT: the value sits in the first two bytes of the 4-byte value field.
                guard read(entry + 2, bytes: 2) == 3, let value = read(entry + 8, bytes: 2), (1...8).contains(value) else {
                    return nil
                }
                return value
            }
        }
        return nil
    }
}

extension Image {
    /// The image as it is meant to be seen given an EXIF orientation (1...8; anything else leaves it as is).
    ///
    /// EXIF says where the stored 0th row and 0th column belong: 2 flip left-right, 3 rotate 180°, 4 flip
    /// top-bottom, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    /// 5...8 swap width and height.
    func applyingEXIFOrientation(_ orientation: Int) -> Image {
        guard (2...8).contains(orientation) else { return self }
        let w = width, h = height
        let swaps = orientation >= 5
        let outWidth = swaps ? h : w, outHeight = swaps ? w : h
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                // The stored pixel (sx, sy) that lands at (x, y).
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (w - 1 - x, y)
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                case 4: (sx, sy) = (x, h - 1 - y)
                case 5: (sx, sy) = (y, x)
                case 6: (sx, sy) = (y, h - 1 - x)
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                default: (sx, sy) = (w - 1 - y, x)  // 8
                }
                let from = (sy * w + sx) * channels, to = (y * outWidth + x) * channels
                for c in 0..<channels { out[to + c] = pixels[from + c] }
            }
        }
        return Image(width: outWidth, height: outHeight, channels: channels, pixels: out)
    }
}
