/// Rectangles, lines and pasting: the few shapes the contact sheet and charts are made of.
///
/// Coordinates are pixels, (0, 0) the top-left corner, x to the right and y down. Everything is clipped to the image,
/// so shapes may start or end outside it. Colours are written as given (no blending), except by `paste` with an RGBA source.
extension Image {
    /// Fills the rectangle with its top-left corner at (x, y), clipped; an empty or negative size draws nothing.
    /// - Parameter color: one value per channel; see `resolveColor` for fewer or more values.
    public mutating func fillRectangle(x: Int, y: Int, width: Int, height: Int, color: [UInt8]) {
        let value = resolveColor(color)
        let left = max(x, 0), right = min(x + max(width, 0), self.width)
        let top = max(y, 0), bottom = min(y + max(height, 0), self.height)
        guard left < right, top < bottom else { return }
        for row in top..<bottom {
            var offset = (row * self.width + left) * channels
            for _ in left..<right {
                for channel in 0..<channels { pixels[offset + channel] = value[channel] }
                offset += channels
            }
        }
    }

    /// Draws a straight line from (x0, y0) to (x1, y1), both ends included, clipped.
    ///
    /// Bresenham's steps, each stamping a `thickness` x `thickness` square centred on the step (for even thicknesses
    /// the extra pixel goes to the right and below), so a horizontal line of thickness 3 at y covers rows y-1...y+1.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, color: [UInt8], thickness: Int = 1) {
        let size = max(thickness, 1), before = (size - 1) / 2
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1
        var x = x0, y = y0, error = dx + dy
        // Far-off ends would walk millions of invisible steps: a line wholly left, right, above or below is skipped.
        if max(x0, x1) + size < 0 || min(x0, x1) - size >= width || max(y0, y1) + size < 0 || min(y0, y1) - size >= height {
            return
        }
        while true {
            if size == 1 {
                setPixel(x: x, y: y, resolveColor(color))
            } else {
                fillRectangle(x: x - before, y: y - before, width: size, height: size, color: color)
            }
            if x == x1 && y == y1 { break }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += stepX }
            if doubled <= dx { error += dx; y += stepY }
        }
    }

    /// Copies `other` with its top-left corner at (x, y), clipped, converting channels to this image's count.
    ///
    /// Grey becomes RGB by repeating it, RGB becomes grey by luma (0.299 R + 0.587 G + 0.114 B), an opaque source
    /// into RGBA gets alpha 255, and an RGBA source is composited over what is already here ("over" operator).
    public mutating func paste(_ other: Image, x: Int, y: Int) {
        let left = max(x, 0), right = min(x + other.width, width)
        let top = max(y, 0), bottom = min(y + other.height, height)
        guard left < right, top < bottom else { return }
        if other.channels == channels && channels != 4 {
            // Same layout and nothing to composite: copy whole row spans.
            for row in top..<bottom {
                let from = ((row - y) * other.width + (left - x)) * channels
                let to = (row * width + left) * channels
                pixels.replaceSubrange(to..<to + (right - left) * channels,
                                       with: other.pixels[from..<from + (right - left) * channels])
            }
            return
        }
        let sourceChannels = other.channels, destinationChannels = channels, destinationWidth = width
        other.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { destination in
                for row in top..<bottom {
                    var from = ((row - y) * other.width + (left - x)) * sourceChannels
                    var to = (row * destinationWidth + left) * destinationChannels
                    for _ in left..<right {
                        let red = Int(source[from])
                        let green = sourceChannels == 1 ? red : Int(source[from + 1])
                        let blue = sourceChannels == 1 ? red : Int(source[from + 2])
                        let alpha = sourceChannels == 4 ? Int(source[from + 3]) : 255
                        Image.put(red, green, blue, alpha, into: destination, at: to, channels: destinationChannels)
                        from += sourceChannels
                        to += destinationChannels
                    }
                }
            }
        }
    }

    /// Writes an RGBA value (0...255 each, straight alpha) over the pixel at `offset` of a `channels`-channel buffer:
    /// converted to grey by luma for one channel, composited "over" what is there when alpha is below 255.
    @inline(__always)
    private static func put(_ red: Int, _ green: Int, _ blue: Int, _ alpha: Int,
                            into pixels: UnsafeMutableBufferPointer<UInt8>, at offset: Int, channels: Int) {
        // Integer "over" on an opaque destination: (source a + destination (255 - a)) / 255, rounded half down.
        func mix(_ value: Int, _ old: UInt8) -> UInt8 { UInt8((value * alpha + Int(old) * (255 - alpha) + 127) / 255) }
        switch channels {
        case 1:
            let grey = (299 * red + 587 * green + 114 * blue + 500) / 1000
            pixels[offset] = alpha == 255 ? UInt8(grey) : mix(grey, pixels[offset])
        case 3:
            if alpha == 255 {
                pixels[offset] = UInt8(red); pixels[offset + 1] = UInt8(green); pixels[offset + 2] = UInt8(blue)
            } else {
                pixels[offset] = mix(red, pixels[offset]); pixels[offset + 1] = mix(green, pixels[offset + 1])
                pixels[offset + 2] = mix(blue, pixels[offset + 2])
            }
        default:
            let old = Int(pixels[offset + 3])
            if alpha == 255 || old == 0 {
                pixels[offset] = UInt8(red); pixels[offset + 1] = UInt8(green); pixels[offset + 2] = UInt8(blue)
                pixels[offset + 3] = UInt8(alpha)
                return
            }
            // Over a translucent destination: out alpha = a + d (1 - a); colours weighted by a and d (1 - a).
            let sourceAlpha = Double(alpha) / 255, destinationAlpha = Double(old) / 255
            let outAlpha = sourceAlpha + destinationAlpha * (1 - sourceAlpha)
            for (channel, value) in [red, green, blue].enumerated() {
                let mixed = (Double(value) * sourceAlpha + Double(pixels[offset + channel]) * destinationAlpha * (1 - sourceAlpha)) / outAlpha
                pixels[offset + channel] = UInt8(min(max(mixed.rounded(), 0), 255))
            }
            pixels[offset + 3] = UInt8((outAlpha * 255).rounded())
        }
    }

    /// `color` as exactly `channels` values.
    ///
    /// Given 1 value (grey) or 3 (RGB): repeated or converted for this image, with alpha 255 on an RGBA image
    /// (so that text and shapes on RGBA are opaque). Otherwise: the first `channels` values, the first value repeated
    /// when there are fewer. An empty colour is black.
    func resolveColor(_ color: [UInt8]) -> [UInt8] {
        if color.isEmpty { return Image.convert([0], toChannels: channels) }
        if color.count == 1 || color.count == 3 { return Image.convert(color, toChannels: channels) }
        if color.count >= channels { return Array(color.prefix(channels)) }
        return Array(repeating: color[0], count: channels)
    }

    /// Writes one pixel if (x, y) is inside the image; `value` already has `channels` entries.
    @inline(__always)
    mutating func setPixel(x: Int, y: Int, _ value: [UInt8]) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let offset = (y * width + x) * channels
        for channel in 0..<channels { pixels[offset + channel] = value[channel] }
    }

    /// Mixes `value` (already `channels` entries) into pixel (x, y) with weight `coverage` in 0...1, if inside.
    mutating func blendPixel(x: Int, y: Int, _ value: [UInt8], coverage: Double) {
        guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
        let weight = min(coverage, 1)
        let offset = (y * width + x) * channels
        for channel in 0..<channels {
            let old = Double(pixels[offset + channel])
            pixels[offset + channel] = UInt8((old + (Double(value[channel]) - old) * weight).rounded())
        }
    }

    /// A pixel of 1 (grey), 3 (RGB) or 4 (RGBA) values as `channels` values, without compositing.
    static func convert(_ pixel: [UInt8], toChannels channels: Int) -> [UInt8] {
        switch (pixel.count, channels) {
        case (1, 1), (3, 3), (4, 4): return pixel
        case (1, 3): return [pixel[0], pixel[0], pixel[0]]
        case (1, 4): return [pixel[0], pixel[0], pixel[0], 255]
        case (3, 4): return pixel + [255]
        case (3, 1), (4, 1): return [luma(pixel)]
        case (4, 3): return Array(pixel.prefix(3))
        default: return Array(repeating: pixel.first ?? 0, count: channels)
        }
    }

    /// ITU-R BT.601 luma of an RGB(A) pixel, rounded: (299 R + 587 G + 114 B) / 1000.
    static func luma(_ pixel: [UInt8]) -> UInt8 {
        let red = 299 * Int(pixel[0]), green = 587 * Int(pixel[1]), blue = 114 * Int(pixel[2])
        return UInt8((red + green + blue + 500) / 1000)
    }
}
