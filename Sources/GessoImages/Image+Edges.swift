extension Image {
    /// A line drawing of the image: dark lines (0) where the brightness changes sharply, white (255) elsewhere, with
    /// `channels` channels (3 by default), the same size. How pix2pix's edges -> picture data sets are made.
    ///
    /// Brightness is the Rec. 601 luma of RGB (the value itself for grey); the change is the Sobel gradient's
    /// magnitude over 4 * 255 (so 1 is the largest change a 3x3 window can hold), borders clamped. A pixel is a line
    /// where that reaches `threshold`.
    public func edges(threshold: Double = 0.12, channels outChannels: Int = 3) -> Image {
        precondition(threshold > 0, "edges: threshold must be positive, got \(threshold)")
        let grey = converted(toChannels: 1)
        func at(_ x: Int, _ y: Int) -> Double {
            Double(grey.pixels[min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)])
        }
        var out = Image(width: width, height: height, channels: outChannels, fill: 255)
        for y in 0..<height {
            for x in 0..<width {
                let gx = (at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1)) - (at(x - 1, y - 1) + 2 * at(x - 1, y) + at(x - 1, y + 1))
                let gy = (at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1)) - (at(x - 1, y - 1) + 2 * at(x, y - 1) + at(x + 1, y - 1))
                guard (gx * gx + gy * gy).squareRoot() / (4 * 255) >= threshold else { continue }
                for c in 0..<outChannels { out.pixels[(y * width + x) * outChannels + c] = 0 }
            }
        }
        return out
    }
}
