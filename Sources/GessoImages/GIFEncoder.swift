import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes animated GIF89a files, so that a sequence of images (a latent-space interpolation, samples over training)
/// can be watched as an animation.
///
/// Layout: a logical screen the size of the frames, one global 256-colour table, a NETSCAPE2.0 block (loop forever)
/// unless `loop` is false, then per frame a graphic control extension (its delay; disposal "leave in place", no
/// transparency) and a full-screen image, LZW-compressed with 8-bit minimum code size, codes of 9 to 12 bits, and a
/// clear code whenever the 4096-entry table is full.
///
/// Colours: grey frames are copied to R, G and B; RGBA frames are composited on white, as `converted(toChannels: 3)`.
/// - At most 256 distinct colours over all frames: the palette is exactly those colours; the round trip is lossless.
/// - More: a median cut over the colours of all frames, each weighted by its pixel count. The box with the widest range
///   in any channel is split at the weighted median of that channel, until there are 256 boxes; a box's palette colour
///   is its weighted mean. Each pixel takes its nearest palette colour (Euclidean distance in RGB), so its error is at
///   most its distance to its box's mean, which lies inside the box.
/// - `dither` (off by default; used only when the palette is not exact): ordered dithering, a 4x4 Bayer offset in
///   -15...15 added to R, G and B before the nearest colour is chosen, trading banding for a fine regular pattern.
public enum GIFEncoder {
    /// The bytes of an animated GIF: every frame shown `delay` hundredths of a second (0...65535; many viewers
    /// show 0 or 1 as 10), looping forever unless `loop` is false.
    ///
    /// Throws `ImageError` for no frames, frames of different sizes, an empty frame or one over 65535 pixels a
    /// side, or a delay outside 0...65535.
    public static func encode(_ frames: [Image], delay: Int = 10, loop: Bool = true, dither: Bool = false) throws -> Data {
        try encode(frames, delay: delay, loop: loop, dither: dither, path: ImageFile.inMemory)
    }

    /// Writes an animated GIF (see `encode`) atomically: the bytes go to a temporary file in the same folder, which is
    /// then renamed over `url`, so a reader never sees half a file and an interrupted write leaves any earlier one intact.
    public static func write(_ frames: [Image], to url: URL, delay: Int = 10, loop: Bool = true, dither: Bool = false) throws {
        let path = url.path
        let data = try encode(frames, delay: delay, loop: loop, dither: dither, path: path)
        try ImageFile.writeAtomically(data, to: url)
    }

    static func encode(_ frames: [Image], delay: Int, loop: Bool, dither: Bool, path: String) throws -> Data {
        guard let first = frames.first else {
            throw ImageError(path: path, problem: "no frames to write; pass at least one image")
        }
        let (width, height) = (first.width, first.height)
        for (i, frame) in frames.enumerated() where frame.width != width || frame.height != height {
            throw ImageError(path: path, problem: "frame \(i) is \(frame.width)x\(frame.height) but frame 0 is "
                             + "\(width)x\(height); resize all frames to one size")
        }
        guard width > 0, height > 0, width <= 65535, height <= 65535 else {
            throw ImageError(path: path, problem: "the frames are \(width)x\(height); a GIF needs 1 to 65535 pixels a side")
        }
        guard (0...65535).contains(delay) else {
            throw ImageError(path: path, problem: "a delay of \(delay) is outside 0...65535 hundredths of a second")
        }
        let rgbFrames = frames.map { $0.converted(toChannels: 3) }
        let (palette, exact) = makePalette(rgbFrames)

        var out = Array("GIF89a".utf8)
        out += littleEndian(width) + littleEndian(height)
        out += [0xF7, 0, 0]  // global table of 2^(7+1) colours, 8 bits per primary; background 0; square pixels
        for colour in palette + Array(repeating: 0, count: 256 - palette.count) {
            out += [UInt8(colour >> 16), UInt8(colour >> 8 & 0xFF), UInt8(colour & 0xFF)]
        }
        if loop {  // application extension NETSCAPE2.0, sub-block 1: loop count 0 = forever
            out += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
        }
        var nearestIndex = [UInt32: UInt8]()  // colour -> palette index, shared by all frames
        for frame in rgbFrames {
            out += [0x21, 0xF9, 0x04, 0x04] + littleEndian(delay) + [0x00, 0x00]  // graphic control extension
            out += [0x2C, 0, 0, 0, 0] + littleEndian(width) + littleEndian(height) + [0x00]  // image descriptor
            var indices = [UInt8](repeating: 0, count: width * height)
            for p in 0..<indices.count {
                var rgb = (Int(frame.pixels[3 * p]), Int(frame.pixels[3 * p + 1]), Int(frame.pixels[3 * p + 2]))
                if dither && !exact {
                    let offset = 2 * bayer4x4[(p / width % 4) * 4 + p % width % 4] - 15
                    rgb = (clamp(rgb.0 + offset), clamp(rgb.1 + offset), clamp(rgb.2 + offset))
                }
                let colour = UInt32(rgb.0 << 16 | rgb.1 << 8 | rgb.2)
                if let index = nearestIndex[colour] {
                    indices[p] = index
                } else {
                    let index = nearest(colour, in: palette)
                    nearestIndex[colour] = index
                    indices[p] = index
                }
            }
            out.append(8)  // LZW minimum code size
            let compressed = lzwCompress(indices, minimumCodeSize: 8)
            for start in stride(from: 0, to: compressed.count, by: 255) {  // sub-blocks of at most 255 bytes
                let end = min(start + 255, compressed.count)
                out.append(UInt8(end - start))
                out += compressed[start..<end]
            }
            out.append(0)  // block terminator
        }
        out.append(0x3B)  // trailer
        return Data(out)
    }

    /// The global palette as 0xRRGGBB colours (at most 256), and whether it holds every colour of the frames exactly.
    static func makePalette(_ rgbFrames: [Image]) -> (colours: [UInt32], exact: Bool) {
        var counts = [UInt32: Int]()
        for frame in rgbFrames {
            for p in stride(from: 0, to: frame.pixels.count, by: 3) {
                let colour = UInt32(frame.pixels[p]) << 16 | UInt32(frame.pixels[p + 1]) << 8 | UInt32(frame.pixels[p + 2])
                counts[colour, default: 0] += 1
            }
        }
        let distinct = counts.keys.sorted()  // sorted, because a dictionary's order changes from run to run
        if distinct.count <= 256 { return (distinct, true) }

        // Median cut. A box is a list of (colour, pixel count) with its widest channel and that channel's range.
        typealias Box = (entries: [(colour: UInt32, count: Int)], channel: Int, range: Int)
        func box(_ entries: [(colour: UInt32, count: Int)]) -> Box {
            var widest = (channel: 0, range: -1)
            for channel in 0..<3 {
                let values = entries.map { component($0.colour, channel) }
                let range = values.max()! - values.min()!  // entries is never empty
                if range > widest.range { widest = (channel, range) }
            }
            return (entries, widest.channel, widest.range)
        }
        var boxes = [box(distinct.map { ($0, counts[$0]!) })]
        while boxes.count < 256 {
            let i = boxes.indices.max { boxes[$0].range < boxes[$1].range }!
            let (entries, channel, range) = boxes[i]
            if range == 0 { break }  // every box holds one colour (cannot happen with more than 256 colours)
            let sorted = entries.sorted {
                (component($0.colour, channel), $0.colour) < (component($1.colour, channel), $1.colour)
            }
            // The weighted median: the lower half takes colours until it holds half the pixels; both halves keep one.
            let total = sorted.reduce(0) { $0 + $1.count }
            var cut = 0, running = 0
            while cut < sorted.count - 1 && (cut == 0 || 2 * running < total) {
                running += sorted[cut].count
                cut += 1
            }
            boxes[i] = box(Array(sorted[..<cut]))
            boxes.append(box(Array(sorted[cut...])))
        }
        let means = boxes.map { box -> UInt32 in
            let total = box.entries.reduce(0) { $0 + $1.count }
            var mean: UInt32 = 0
            for channel in 0..<3 {
                let sum = box.entries.reduce(0) { $0 + component($1.colour, channel) * $1.count }
                mean |= UInt32((sum + total / 2) / total) << UInt32(16 - 8 * channel)  // rounded
            }
            return mean
        }
        return (means, false)
    }

    /// LZW-compresses palette indices the way GIF wants: a clear code first, codes of `minimumCodeSize + 1` up to 12
    /// bits packed least significant bit first, a clear code whenever the table reaches 4096 entries, and an
    /// end-of-information code last.
    static func lzwCompress(_ indices: [UInt8], minimumCodeSize: Int) -> [UInt8] {
        let clearCode = 1 << minimumCodeSize, endCode = clearCode + 1
        var bytes = [UInt8](), bitBuffer = 0, bitCount = 0
        func emit(_ code: Int, bits: Int) {
            bitBuffer |= code << bitCount
            bitCount += bits
            while bitCount >= 8 {
                bytes.append(UInt8(bitBuffer & 0xFF))
                bitBuffer >>= 8
                bitCount -= 8
            }
        }
        var table = [Int: Int]()  // prefix code << 8 | next index -> code of that string
        var codeSize = minimumCodeSize + 1, nextCode = endCode + 1
        emit(clearCode, bits: codeSize)
        guard let firstIndex = indices.first else {
            emit(endCode, bits: codeSize)
            return bytes + (bitCount > 0 ? [UInt8(bitBuffer & 0xFF)] : [])
        }
        var prefix = Int(firstIndex)  // the code of the longest string seen so far that is in the table
        for index in indices.dropFirst() {
            let key = prefix << 8 | Int(index)
            if let code = table[key] {
                prefix = code
                continue
            }
            emit(prefix, bits: codeSize)
            // A decoder adds its entry for a code only when it reads the next one, so it holds `nextCode` entries
            // now and widens when that reaches 2^codeSize; the encoder widens at the same point.
            if nextCode == 1 << codeSize && codeSize < 12 { codeSize += 1 }
            if nextCode == 4096 {
                emit(clearCode, bits: codeSize)
                table.removeAll(keepingCapacity: true)
                codeSize = minimumCodeSize + 1
                nextCode = endCode + 1
            } else {
                table[key] = nextCode
                nextCode += 1
            }
            prefix = Int(index)
        }
        emit(prefix, bits: codeSize)
        if nextCode == 1 << codeSize && codeSize < 12 { codeSize += 1 }
        emit(endCode, bits: codeSize)
        if bitCount > 0 { bytes.append(UInt8(bitBuffer & 0xFF)) }
        return bytes
    }

    /// The index of the palette colour nearest to `colour` (squared Euclidean distance in RGB; the first on a tie).
    static func nearest(_ colour: UInt32, in palette: [UInt32]) -> UInt8 {
        var best = 0, bestDistance = Int.max
        for (i, candidate) in palette.enumerated() {
            var distance = 0
            for channel in 0..<3 {
                let d = component(colour, channel) - component(candidate, channel)
                distance += d * d
            }
            if distance < bestDistance { (best, bestDistance) = (i, distance) }
        }
        return UInt8(best)
    }

    /// The 4x4 Bayer threshold matrix, values 0...15, row-major.
    static let bayer4x4 = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

    /// Channel 0 (R), 1 (G) or 2 (B) of a 0xRRGGBB colour.
    static func component(_ colour: UInt32, _ channel: Int) -> Int { Int(colour >> UInt32(16 - 8 * channel) & 0xFF) }

    static func clamp(_ value: Int) -> Int { min(max(value, 0), 255) }

    static func littleEndian(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
}
