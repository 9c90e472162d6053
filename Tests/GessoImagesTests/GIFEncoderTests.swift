import Foundation
import Testing
@testable import GessoImages

/// A GIF read back by `decodeGIF`: just enough of GIF89a for what `GIFEncoder` writes (a global colour table,
/// extensions, full-screen frames without local tables or interlacing).
struct DecodedGIF {
    var width = 0, height = 0
    var palette: [[UInt8]] = []  // RGB triples, the whole global table
    var loopsForever = false     // a NETSCAPE2.0 block with loop count 0
    var delays: [Int] = []       // from each graphic control extension
    var frames: [Image] = []     // RGB, one per image descriptor (0x2C)
    var clearCodes: [Int] = []   // clear codes read in each frame's LZW stream, the leading one included
    var widestCode = 0           // the most bits any code was read with
}

struct GIFDecodeFailure: Error, CustomStringConvertible {
    let description: String
}

/// Decodes a GIF independently of `GIFEncoder`: walks the blocks and LZW-decodes each frame.
func decodeGIF(_ data: Data) throws -> DecodedGIF {
    let bytes = [UInt8](data)
    var at = 0
    func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard at + count <= bytes.count else { throw GIFDecodeFailure(description: "truncated at byte \(at)") }
        defer { at += count }
        return bytes[at..<(at + count)]
    }
    func byte() throws -> Int { Int(try take(1).first!) }
    func word() throws -> Int { let b = try take(2); return Int(b[b.startIndex]) | Int(b[b.startIndex + 1]) << 8 }
    func subBlocks() throws -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        while true {
            let size = try byte()
            if size == 0 { return blocks }
            blocks.append(Array(try take(size)))
        }
    }

    guard Array(try take(6)) == Array("GIF89a".utf8) else { throw GIFDecodeFailure(description: "no GIF89a signature") }
    var gif = DecodedGIF()
    gif.width = try word()
    gif.height = try word()
    let packed = try byte()
    _ = try take(2)  // background index, aspect ratio
    guard packed & 0x80 != 0 else { throw GIFDecodeFailure(description: "no global colour table") }
    let table = try take(3 * (1 << ((packed & 7) + 1)))
    gif.palette = stride(from: table.startIndex, to: table.endIndex, by: 3).map { Array(table[$0..<($0 + 3)]) }
    while true {
        switch try byte() {
        case 0x21:
            let label = try byte()
            let blocks = try subBlocks()
            if label == 0xFF && blocks.first == Array("NETSCAPE2.0".utf8) {
                gif.loopsForever = blocks.count > 1 && blocks[1] == [1, 0, 0]
            } else if label == 0xF9, let block = blocks.first, block.count == 4 {
                gif.delays.append(Int(block[1]) | Int(block[2]) << 8)
            }
        case 0x2C:
            let (left, top, width, height, flags) = (try word(), try word(), try word(), try word(), try byte())
            guard left == 0, top == 0, width == gif.width, height == gif.height, flags == 0 else {
                throw GIFDecodeFailure(description: "frame at \(left),\(top) \(width)x\(height) flags \(flags) not supported")
            }
            let minimumCodeSize = try byte()
            let (indices, clears, widest) = try lzwDecode(Array(try subBlocks().joined()), minimumCodeSize: minimumCodeSize)
            guard indices.count == width * height else {
                throw GIFDecodeFailure(description: "frame \(gif.frames.count) has \(indices.count) pixels, want \(width * height)")
            }
            gif.frames.append(Image(width: width, height: height, channels: 3,
                                    pixels: indices.flatMap { gif.palette[Int($0)] }))
            gif.clearCodes.append(clears)
            gif.widestCode = max(gif.widestCode, widest)
        case 0x3B:
            guard at == bytes.count else { throw GIFDecodeFailure(description: "\(bytes.count - at) bytes after the trailer") }
            return gif
        case let other:
            throw GIFDecodeFailure(description: "unexpected block 0x\(String(other, radix: 16)) at byte \(at - 1)")
        }
    }
}

/// Textbook GIF LZW decoding: codes read least significant bit first, widened when the table reaches 2^width
/// entries (up to 12 bits), the table reset by a clear code. Returns the indices, the clear codes seen and the widest code.
func lzwDecode(_ data: [UInt8], minimumCodeSize: Int) throws -> (indices: [UInt8], clears: Int, widest: Int) {
    let clearCode = 1 << minimumCodeSize, endCode = clearCode + 1
    let roots = (0..<clearCode).map { [UInt8($0)] } + [[], []]  // the two special codes hold no string
    var table = roots, width = minimumCodeSize + 1, widest = width
    var out: [UInt8] = [], previous: [UInt8]? = nil, clears = 0
    var bit = 0
    while true {
        guard bit + width <= 8 * data.count else { throw GIFDecodeFailure(description: "LZW data ends without an end code") }
        var code = 0
        for i in 0..<width where data[(bit + i) / 8] >> UInt8((bit + i) % 8) & 1 == 1 { code |= 1 << i }
        bit += width
        widest = max(widest, width)
        if code == clearCode {
            (table, width, previous, clears) = (roots, minimumCodeSize + 1, nil, clears + 1)
            continue
        }
        if code == endCode { return (out, clears, widest) }
        let entry: [UInt8]
        if code < table.count {
            entry = table[code]
        } else if code == table.count, let previous {
            entry = previous + [previous[0]]  // the string being defined by this very code
        } else {
            throw GIFDecodeFailure(description: "code \(code) with only \(table.count) table entries")
        }
        out += entry
        if let previous, table.count < 4096 { table.append(previous + [entry[0]]) }
        if table.count == 1 << width && width < 12 { width += 1 }
        previous = entry
    }
}

/// SplitMix64, so that the noise is the same on every run and machine.
struct SeededBytes {
    var state: UInt64
    mutating func next() -> UInt8 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8((z ^ (z >> 31)) & 0xFF)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in next() } }
}

@Suite struct GIFEncoderTests {
    /// A 3-frame 64x48 animation: red across, green down, blue stepping 0, 127, 254 over the frames (12288 colours).
    static let gradient: [Image] = (0..<3).map { frame in
        var pixels: [UInt8] = []
        for y in 0..<48 {
            for x in 0..<64 { pixels += [UInt8(x * 255 / 63), UInt8(y * 255 / 47), UInt8(frame * 127)] }
        }
        return Image(width: 64, height: 48, channels: 3, pixels: pixels)
    }

    static func squaredDistance(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        zip(a, b).reduce(0) { $0 + (Int($1.0) - Int($1.1)) * (Int($1.0) - Int($1.1)) }
    }

    @Test func headerScreenAndTrailer() throws {
        let bytes = [UInt8](try GIFEncoder.encode([Image(width: 300, height: 2, channels: 3, fill: 9)]))
        #expect(Array(bytes.prefix(6)) == Array("GIF89a".utf8))
        #expect(Array(bytes[6..<10]) == [0x2C, 0x01, 0x02, 0x00], "logical screen 300x2, little-endian")
        #expect(bytes[10] == 0xF7, "global table of 256 colours")
        #expect(bytes.last == 0x3B)
    }

    @Test func frameCountAndDelays() throws {
        let frames = (0..<5).map { Image(width: 4, height: 3, channels: 1, fill: UInt8(40 * $0)) }
        let gif = try decodeGIF(try GIFEncoder.encode(frames, delay: 7))
        #expect((gif.width, gif.height) == (4, 3))
        #expect(gif.frames.count == 5, "image descriptors (0x2C)")
        #expect(gif.delays == [7, 7, 7, 7, 7])
    }

    @Test func loopBlockPresentOrAbsent() throws {
        let frames = [Image(width: 2, height: 2, channels: 3, fill: 0), Image(width: 2, height: 2, channels: 3, fill: 255)]
        let looping = try GIFEncoder.encode(frames)
        let once = try GIFEncoder.encode(frames, loop: false)
        #expect(try decodeGIF(looping).loopsForever)
        #expect(looping.range(of: Data("NETSCAPE2.0".utf8)) != nil)
        #expect(try !decodeGIF(once).loopsForever)
        #expect(once.range(of: Data("NETSCAPE2.0".utf8)) == nil)
        #expect(try decodeGIF(once).frames.count == 2)
    }

    @Test func solidColourRoundTripsExactly() throws {
        let solid = Image(width: 7, height: 5, channels: 3, pixels: (0..<35).flatMap { _ in [200, 100, 50] })
        let gif = try decodeGIF(try GIFEncoder.encode([solid]))
        #expect(gif.frames.count == 1)
        expectImagesIdentical(gif.frames[0], solid, "solid colour")
    }

    /// Grey is copied to R, G and B; RGBA is composited on white (`converted(toChannels: 3)`); few colours, so exact.
    @Test func greyAndRGBAFramesRoundTripExactly() throws {
        let grey = Image(width: 3, height: 2, channels: 1, pixels: [0, 50, 100, 150, 200, 255])
        let rgba = Image(width: 3, height: 2, channels: 4, pixels: [10, 20, 30, 255, 10, 20, 30, 0, 200, 0, 0, 128,
                                                                     0, 0, 0, 255, 0, 0, 0, 64, 255, 255, 255, 10])
        let gif = try decodeGIF(try GIFEncoder.encode([grey, rgba]))
        expectImagesIdentical(gif.frames[0], grey.converted(toChannels: 3), "grey frame")
        // On white: c·a/255 + 255·(1 - a/255), rounded; e.g. (200, 0, 0) at a = 128 -> 100.39 + 127 = 227.39 -> 227,
        // and 0 + 127 = 127 for G and B.
        expectImagesIdentical(gif.frames[1], rgba.converted(toChannels: 3), "RGBA frame")
        #expect(Array(gif.frames[1].pixels[6..<9]) == [227, 127, 127])
    }

    /// Median cut over 12288 colours: every pixel must come back as its nearest palette colour, and no further from
    /// the source than the worst case of a uniform 6x7x6 cube (half-steps 25.5, 21.25, 25.5, so a squared distance
    /// of at most 650.25 + 451.5625 + 650.25 = 1752.06), the simpler palette the design allowed.
    @Test func gradientWithinQuantisationError() throws {
        let gif = try decodeGIF(try GIFEncoder.encode(Self.gradient))
        #expect(gif.frames.count == 3)
        var worst = 0
        for (got, want) in zip(gif.frames, Self.gradient) {
            for p in 0..<(want.width * want.height) {
                let source = want.pixels[(3 * p)..<(3 * p + 3)]
                let distance = Self.squaredDistance(got.pixels[(3 * p)..<(3 * p + 3)], source)
                let nearest = gif.palette.map { Self.squaredDistance($0[...], source) }.min()!
                #expect(distance == nearest, "pixel \(p): squared distance \(distance), nearest palette colour \(nearest)")
                worst = max(worst, distance)
            }
        }
        #expect(worst <= 1752, "worst squared distance \(worst)")
    }

    /// 256x256 grey noise: 256 colours (an exact palette) but almost no repeats, so LZW emits ~65000 codes and must
    /// widen to 12 bits and clear its table many times (about once per 3838 codes).
    @Test func noiseExercisesTheClearCode() throws {
        var random = SeededBytes(state: 2024)
        var pixels = random.bytes(256 * 256)
        pixels[0...255] = ArraySlice((0...255).map { UInt8($0) })  // every grey level present
        let noise = Image(width: 256, height: 256, channels: 1, pixels: pixels)
        let gif = try decodeGIF(try GIFEncoder.encode([noise]))
        expectImagesIdentical(gif.frames[0], noise.converted(toChannels: 3), "noise")
        #expect(gif.widestCode == 12)
        #expect(gif.clearCodes[0] >= 10, "clear codes: \(gif.clearCodes[0])")
    }

    /// The code-width changes (512, 1024, 2048 entries) and the table-full clear (4096), met at the last code and the
    /// end code too: every length in a window around each boundary round-trips.
    @Test func lzwAroundEveryCodeWidthBoundary() throws {
        var random = SeededBytes(state: 7)
        let data = random.bytes(4200)
        for length in Array(1...4) + Array(240...290) + Array(740...800) + Array(1740...1820) + Array(3760...3900) {
            let indices = Array(data.prefix(length))
            let compressed = GIFEncoder.lzwCompress(indices, minimumCodeSize: 8)
            let decoded = try lzwDecode(compressed, minimumCodeSize: 8).indices
            #expect(decoded == indices, "length \(length)")
        }
    }

    @Test func ditheringIsOffByDefaultAndUnusedForAnExactPalette() throws {
        let plain = try GIFEncoder.encode(Self.gradient)
        #expect(try GIFEncoder.encode(Self.gradient, dither: false) == plain)
        #expect(try GIFEncoder.encode(Self.gradient, dither: true) != plain)
        let few = [Image(width: 8, height: 8, channels: 1, fill: 77)]
        #expect(try GIFEncoder.encode(few, dither: true) == GIFEncoder.encode(few))
    }

    /// Dithering spreads the error: averaged over each 4x4 tile, the dithered frames are closer to the source.
    @Test func ditheringBringsTileAveragesCloser() throws {
        func tileError(_ frames: [Image]) -> Double {
            var total = 0.0
            for (got, want) in zip(frames, Self.gradient) {
                for ty in stride(from: 0, to: 48, by: 4) {
                    for tx in stride(from: 0, to: 64, by: 4) {
                        for c in 0..<3 {
                            var difference = 0
                            for y in ty..<(ty + 4) {
                                for x in tx..<(tx + 4) {
                                    difference += Int(got.pixels[3 * (y * 64 + x) + c]) - Int(want.pixels[3 * (y * 64 + x) + c])
                                }
                            }
                            total += abs(Double(difference) / 16)
                        }
                    }
                }
            }
            return total / Double(3 * 12 * 16 * 3)
        }
        let plain = tileError(try decodeGIF(try GIFEncoder.encode(Self.gradient)).frames)
        let dithered = tileError(try decodeGIF(try GIFEncoder.encode(Self.gradient, dither: true)).frames)
        #expect(dithered < plain, "mean |tile mean error|: dithered \(dithered), plain \(plain)")
    }

    @Test func badFramesThrow() throws {
        let path = ImageFile.inMemory
        let empty = expectImageError(path: path, "no frames") { _ = try GIFEncoder.encode([]) }
        #expect(empty?.problem.contains("no frames") == true)
        let mixed = [Image(width: 4, height: 4, channels: 3), Image(width: 4, height: 4, channels: 1),
                     Image(width: 5, height: 4, channels: 3)]
        let sizes = expectImageError(path: path, "different sizes") { _ = try GIFEncoder.encode(mixed) }
        #expect(sizes?.problem.contains("frame 2 is 5x4 but frame 0 is 4x4") == true)
        expectImageError(path: path, "0x0 frame") { _ = try GIFEncoder.encode([Image(width: 0, height: 0, channels: 3)]) }
        expectImageError(path: path, "too wide") { _ = try GIFEncoder.encode([Image(width: 65536, height: 1, channels: 1)]) }
        expectImageError(path: path, "negative delay") { _ = try GIFEncoder.encode([Image(width: 1, height: 1, channels: 1)], delay: -1) }
    }

    @Test func writeIsAtomicAndNamesTheFile() throws {
        let folder = try ImageFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("walk.gif")
        try Data("old".utf8).write(to: url)
        try GIFEncoder.write(Self.gradient, to: url, delay: 20)
        #expect(try Data(contentsOf: url) == GIFEncoder.encode(Self.gradient, delay: 20))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["walk.gif"], "no temporary file left")

        let missing = folder.appendingPathComponent("no-such-folder/walk.gif")
        let error = expectImageError(path: missing.path, "missing folder") { try GIFEncoder.write(Self.gradient, to: missing) }
        #expect(error?.problem.contains("temporary file") == true)
        expectImageError(path: url.path, "different sizes") {
            try GIFEncoder.write([Image(width: 1, height: 1, channels: 1), Image(width: 2, height: 1, channels: 1)], to: url)
        }
    }
}
