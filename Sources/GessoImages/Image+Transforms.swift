import Foundation
import TensorCore

/// How `Image.resized` computes a new pixel from the old ones.
public enum ResizeFilter: Sendable {
    /// Linear interpolation between the 2x2 nearest source pixels, pixel centres at half-integers
    /// (TensorFlow's `half_pixel_centers=True`, OpenCV's `INTER_LINEAR`). Good for enlarging and mild shrinking;
    /// shrinking by more than 2 skips pixels and aliases.
    case bilinear
    /// The average of the source pixels each new pixel covers, weighted by the area covered (a box filter,
    /// OpenCV's `INTER_AREA`). For shrinking: shrinking by a whole factor averages whole blocks exactly.
    case area
}

extension Image {
    /// The image resampled to `width` x `height` (both at least 1), with the same channels.
    /// The same size returns the image unchanged.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter = .bilinear) -> Image {
        precondition(newWidth >= 1 && newHeight >= 1,
                     "resized: target \(newWidth)x\(newHeight) must be at least 1x1 (image is \(width)x\(height))")
        precondition(width >= 1 && height >= 1, "resized: cannot resize an empty \(width)x\(height) image")
        if newWidth == width && newHeight == height { return self }
        switch filter {
        case .bilinear: return resizedBilinear(width: newWidth, height: newHeight)
        case .area: return resizedArea(width: newWidth, height: newHeight)
        }
    }

    private func resizedBilinear(width newWidth: Int, height newHeight: Int) -> Image {
        /// For each output coordinate: the two source neighbours and the weight of the second.
        func taps(_ outCount: Int, _ inCount: Int) -> [(Int, Int, Float)] {
            let scale = Float(inCount) / Float(outCount)
            return (0..<outCount).map { o in
                let position = max((Float(o) + 0.5) * scale - 0.5, 0)
                let lower = min(Int(position), inCount - 1)
                let upper = min(lower + 1, inCount - 1)
                return (lower, upper, position - Float(lower))
            }
        }
        let xs = taps(newWidth, width), ys = taps(newHeight, height)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
        for (y, (y0, y1, fy)) in ys.enumerated() {
            for (x, (x0, x1, fx)) in xs.enumerated() {
                for c in 0..<channels {
                    let p00 = Float(pixels[(y0 * width + x0) * channels + c]), p01 = Float(pixels[(y0 * width + x1) * channels + c])
                    let p10 = Float(pixels[(y1 * width + x0) * channels + c]), p11 = Float(pixels[(y1 * width + x1) * channels + c])
                    // a + (b - a) f keeps a constant region exactly constant.
                    let top = p00 + (p01 - p00) * fx, bottom = p10 + (p11 - p10) * fx
                    out[(y * newWidth + x) * channels + c] = UInt8((top + (bottom - top) * fy).rounded())
                }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: out)
    }

    private func resizedArea(width newWidth: Int, height newHeight: Int) -> Image {
        /// For each output coordinate: the source pixels its span [o·s, (o+1)·s) covers, with the length covered.
        func spans(_ outCount: Int, _ inCount: Int) -> [[(Int, Double)]] {
            let scale = Double(inCount) / Double(outCount)
            return (0..<outCount).map { o in
                let start = Double(o) * scale, end = min(Double(o + 1) * scale, Double(inCount))
                let first = Int(start.rounded(.down)), last = min(Int(end.rounded(.up)), inCount)
                return (first..<last).compactMap { i in
                    let covered = min(Double(i + 1), end) - max(Double(i), start)
                    return covered > 0 ? (i, covered) : nil
                }
            }
        }
        let xs = spans(newWidth, width), ys = spans(newHeight, height)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * channels)
        var sums = [Double](repeating: 0, count: channels)
        for (y, rows) in ys.enumerated() {
            for (x, columns) in xs.enumerated() {
                for c in 0..<channels { sums[c] = 0 }
                var total = 0.0
                for (sy, wy) in rows {
                    for (sx, wx) in columns {
                        let weight = wy * wx, base = (sy * width + sx) * channels
                        total += weight
                        for c in 0..<channels { sums[c] += weight * Double(pixels[base + c]) }
                    }
                }
                for c in 0..<channels {
                    out[(y * newWidth + x) * channels + c] = UInt8(min((sums[c] / total).rounded(), 255))
                }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: out)
    }

    /// The `width` x `height` rectangle whose top-left pixel is (`x`, `y`); it must lie inside the image.
    public func cropped(x: Int, y: Int, width newWidth: Int, height newHeight: Int) -> Image {
        precondition(x >= 0 && y >= 0 && newWidth >= 0 && newHeight >= 0 && x + newWidth <= width && y + newHeight <= height,
                     "cropped: rectangle at (\(x), \(y)) of \(newWidth)x\(newHeight) does not fit in a \(width)x\(height) image")
        var out = [UInt8]()
        out.reserveCapacity(newWidth * newHeight * channels)
        for row in y..<(y + newHeight) {
            let start = (row * width + x) * channels
            out.append(contentsOf: pixels[start..<(start + newWidth * channels)])
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: out)
    }

    /// The central `width` x `height` rectangle (when the margin is odd, the extra pixel is on the right or bottom).
    public func centerCropped(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(newWidth <= width && newHeight <= height,
                     "centerCropped: \(newWidth)x\(newHeight) is larger than the \(width)x\(height) image")
        return cropped(x: (width - newWidth) / 2, y: (height - newHeight) / 2, width: newWidth, height: newHeight)
    }

    /// A `width` x `height` rectangle at a uniformly random position (data augmentation). Draws x, then y, as
    /// `generator.next() % choices` (the bias is below 2^-40 for any image size), so a seed gives the same crops
    /// on every toolchain.
    public func randomCropped(width newWidth: Int, height newHeight: Int, using generator: inout RandomGenerator) -> Image {
        precondition(newWidth >= 0 && newHeight >= 0 && newWidth <= width && newHeight <= height,
                     "randomCropped: \(newWidth)x\(newHeight) does not fit in the \(width)x\(height) image")
        let x = Int(generator.next() % UInt64(width - newWidth + 1))
        let y = Int(generator.next() % UInt64(height - newHeight + 1))
        return cropped(x: x, y: y, width: newWidth, height: newHeight)
    }

    /// The mirror image: the left column becomes the right one.
    public func flippedHorizontally() -> Image {
        var out = pixels
        for y in 0..<height {
            for x in 0..<width {
                let from = (y * width + (width - 1 - x)) * channels, to = (y * width + x) * channels
                for c in 0..<channels { out[to + c] = pixels[from + c] }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    /// Upside down: the top row becomes the bottom one.
    public func flippedVertically() -> Image {
        var out = [UInt8]()
        out.reserveCapacity(pixels.count)
        let rowBytes = width * channels
        for y in stride(from: height - 1, through: 0, by: -1) {
            out.append(contentsOf: pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    /// The image with 1 (grey), 3 (RGB) or 4 (RGBA) channels.
    ///
    /// Grey from RGB is round(0.299 R + 0.587 G + 0.114 B) (ITU-R BT.601, as PIL and TensorFlow); grey to colour
    /// copies the value; adding alpha makes it opaque (255); dropping alpha composites on white:
    /// round((c·a + 255·(255 - a)) / 255).
    public func converted(toChannels newChannels: Int) -> Image {
        precondition([1, 3, 4].contains(newChannels), "converted: \(newChannels) channels requested; use 1, 3 or 4")
        if newChannels == channels { return self }
        let count = width * height
        var out = [UInt8](repeating: 0, count: count * newChannels)
        for p in 0..<count {
            // The pixel as opaque-or-not RGB plus alpha.
            var r, g, b, a: Int
            if channels == 1 {
                r = Int(pixels[p]); g = r; b = r; a = 255
            } else {
                r = Int(pixels[p * channels]); g = Int(pixels[p * channels + 1]); b = Int(pixels[p * channels + 2])
                a = channels == 4 ? Int(pixels[p * channels + 3]) : 255
            }
            if newChannels != 4 && a != 255 {
                // Composite on white; + 127 rounds the division by 255 (all terms are non-negative).
                r = (r * a + 255 * (255 - a) + 127) / 255
                g = (g * a + 255 * (255 - a) + 127) / 255
                b = (b * a + 255 * (255 - a) + 127) / 255
            }
            switch newChannels {
            case 1:
                // Integer weights summing to 1000; + 500 rounds halves up, as rounding the float formula would.
                out[p] = UInt8((299 * r + 587 * g + 114 * b + 500) / 1000)
            case 3:
                out[3 * p] = UInt8(r); out[3 * p + 1] = UInt8(g); out[3 * p + 2] = UInt8(b)
            default:
                out[4 * p] = UInt8(r); out[4 * p + 1] = UInt8(g); out[4 * p + 2] = UInt8(b); out[4 * p + 3] = UInt8(a)
            }
        }
        return Image(width: width, height: height, channels: newChannels, pixels: out)
    }
}
