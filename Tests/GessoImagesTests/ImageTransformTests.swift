import Foundation
import Testing
import TensorCore
@testable import GessoImages

/// Resizing, cropping, flipping, channel conversion and tensors. Expected numbers are worked out by hand in
/// the comments beside them.
@Suite struct ImageTransformTests {
    /// A small image whose every byte differs from its neighbours: byte i is (37 i + 11) mod 256.
    static func pattern(width: Int, height: Int, channels: Int) -> Image {
        Image(width: width, height: height, channels: channels,
              pixels: (0..<width * height * channels).map { UInt8((37 * $0 + 11) % 256) })
    }

    @Test(arguments: [ResizeFilter.bilinear, .area])
    func resizingAConstantImageGivesTheConstant(filter: ResizeFilter) {
        let constant = Image(width: 17, height: 11, channels: 3, fill: 173)
        for (w, h) in [(34, 22), (5, 3), (1, 1), (40, 7), (17, 12)] {
            let out = constant.resized(width: w, height: h, filter: filter)
            #expect(out.width == w && out.height == h && out.channels == 3)
            #expect(out.pixels.allSatisfy { $0 == 173 }, "\(filter) to \(w)x\(h)")
        }
    }

    @Test(arguments: [ResizeFilter.bilinear, .area])
    func sameSizeReturnsTheSamePixels(filter: ResizeFilter) {
        let image = Self.pattern(width: 13, height: 7, channels: 4)
        #expect(image.resized(width: 13, height: 7, filter: filter) == image)
    }

    @Test func areaHalvingAveragesTwoByTwoBlocks() {
        let image = Self.pattern(width: 10, height: 6, channels: 3)
        let half = image.resized(width: 5, height: 3, filter: .area)
        for y in 0..<3 {
            for x in 0..<5 {
                for c in 0..<3 {
                    let sum = [(0, 0), (1, 0), (0, 1), (1, 1)].reduce(0) { total, d in
                        total + Int(image.pixels[((2 * y + d.1) * 10 + 2 * x + d.0) * 3 + c])
                    }
                    // The exact average rounded half up: (sum + 2) / 4.
                    #expect(Int(half.pixels[(y * 5 + x) * 3 + c]) == (sum + 2) / 4, "pixel (\(x), \(y)) channel \(c)")
                }
            }
        }
    }

    @Test func areaWithAFractionalFactorWeighsByCoverage() {
        // Three pixels [0, 90, 180] into two: spans [0, 1.5) and [1.5, 3).
        // (0 + 0.5 * 90) / 1.5 = 30 and (0.5 * 90 + 180) / 1.5 = 150.
        let row = Image(width: 3, height: 1, channels: 1, pixels: [0, 90, 180])
        #expect(row.resized(width: 2, height: 1, filter: .area).pixels == [30, 150])
    }

    @Test func bilinearUsesHalfPixelCentres() {
        // [0, 255] to 4 pixels: source positions (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]:
        // 0, 0.25 * 255 = 63.75, 0.75 * 255 = 191.25, 255 -> rounded 0, 64, 191, 255.
        let row = Image(width: 2, height: 1, channels: 1, pixels: [0, 255])
        #expect(row.resized(width: 4, height: 1).pixels == [0, 64, 191, 255])
        // The same along y, and back down to 2: positions 2 * (y + 0.5) - 0.5 = 0.5 and 2.5, so (0 + 64) / 2 = 32
        // and (191 + 255) / 2 = 223.
        let column = Image(width: 1, height: 4, channels: 1, pixels: [0, 64, 191, 255])
        #expect(column.resized(width: 1, height: 2).pixels == [32, 223])
    }

    @Test func croppingCopiesTheRectangle() {
        let image = Self.pattern(width: 9, height: 7, channels: 3)
        let crop = image.cropped(x: 2, y: 3, width: 4, height: 3)
        #expect(crop.width == 4 && crop.height == 3 && crop.channels == 3)
        for y in 0..<3 {
            for x in 0..<4 {
                let from = ((y + 3) * 9 + x + 2) * 3, to = (y * 4 + x) * 3
                #expect(Array(crop.pixels[to..<to + 3]) == Array(image.pixels[from..<from + 3]))
            }
        }
        #expect(image.cropped(x: 0, y: 0, width: 9, height: 7) == image)
        // Centre: margins 9 - 5 = 4 and 7 - 2 = 5 give x = 2, y = 2 (the odd pixel goes to the bottom).
        #expect(image.centerCropped(width: 5, height: 2) == image.cropped(x: 2, y: 2, width: 5, height: 2))
    }

    @Test func randomCropsAreSeededAndInBounds() {
        let image = Self.pattern(width: 20, height: 15, channels: 1)
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7)
        var positions = Set<[Int]>()
        for _ in 0..<50 {
            var copy = a
            let crop = image.randomCropped(width: 8, height: 5, using: &a)
            // The documented draw: x, then y, each next() % choices.
            let x = Int(copy.next() % 13), y = Int(copy.next() % 11)
            #expect(crop == image.cropped(x: x, y: y, width: 8, height: 5))
            #expect(crop == image.randomCropped(width: 8, height: 5, using: &b))
            positions.insert([x, y])
        }
        #expect(positions.count > 20, "50 draws from 143 positions gave only \(positions.count) distinct ones")
        #expect(image.randomCropped(width: 20, height: 15, using: &a) == image)
    }

    @Test func flips() {
        let image = Self.pattern(width: 5, height: 3, channels: 3)
        let mirrored = image.flippedHorizontally(), upsideDown = image.flippedVertically()
        for y in 0..<3 {
            for x in 0..<5 {
                let here = (y * 5 + x) * 3
                let acrossX = (y * 5 + 4 - x) * 3, acrossY = ((2 - y) * 5 + x) * 3
                #expect(Array(mirrored.pixels[here..<here + 3]) == Array(image.pixels[acrossX..<acrossX + 3]))
                #expect(Array(upsideDown.pixels[here..<here + 3]) == Array(image.pixels[acrossY..<acrossY + 3]))
            }
        }
        #expect(mirrored.flippedHorizontally() == image && upsideDown.flippedVertically() == image)
    }

    @Test func channelConversions() {
        // 0.299 R + 0.587 G + 0.114 B: red 76.245 -> 76, green 149.685 -> 150, blue 29.07 -> 29,
        // (10, 20, 30) 2.99 + 11.74 + 3.42 = 18.15 -> 18, white 255.
        let rgb = Image(width: 5, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 255, 255, 255])
        #expect(rgb.converted(toChannels: 1).pixels == [76, 150, 29, 18, 255])
        // Grey copies into R, G, B; alpha is opaque; and back again loses nothing.
        let grey = Image(width: 2, height: 1, channels: 1, pixels: [7, 200])
        #expect(grey.converted(toChannels: 3).pixels == [7, 7, 7, 200, 200, 200])
        #expect(grey.converted(toChannels: 4).pixels == [7, 7, 7, 255, 200, 200, 200, 255])
        #expect(grey.converted(toChannels: 3).converted(toChannels: 1) == grey)
        #expect(grey.converted(toChannels: 4).converted(toChannels: 1) == grey)
        #expect(rgb.converted(toChannels: 4).converted(toChannels: 3) == rgb)
        #expect(rgb.converted(toChannels: 3) == rgb)
        // Dropping alpha composites on white: (c a + 255 (255 - a)) / 255 with a = 128:
        // (100·128 + 32385) / 255 = 177.20 -> 177, (50·128 + 32385) / 255 = 152.10 -> 152, 32385 / 255 = 127.
        // Alpha 0 is white; alpha 255 keeps the colour. Grey of (177, 152, 127): 52.92 + 89.22 + 14.48 = 156.6 -> 157.
        let rgba = Image(width: 3, height: 1, channels: 4, pixels: [100, 50, 0, 128, 9, 9, 9, 0, 1, 2, 3, 255])
        #expect(rgba.converted(toChannels: 3).pixels == [177, 152, 127, 255, 255, 255, 1, 2, 3])
        #expect(rgba.converted(toChannels: 1).pixels[0] == 157)
    }

    @Test func tensorRoundTrip() throws {
        let image = Self.pattern(width: 6, height: 4, channels: 3)
        let tensor = image.toTensor()
        #expect(tensor.shape == [4, 6, 3])
        let values = tensor.scalars
        // Byte v is v / 255 (the division in Float: the same expression, so equal exactly).
        #expect(values.enumerated().allSatisfy { $0.element == Float(image.pixels[$0.offset]) / 255 })
        #expect(Image(tensor: tensor) == image)
        #expect(Image(tensor: Tensor(shape: [1, 4, 6, 3], scalars: values)) == image)
        for channels in [1, 4] {
            let other = Self.pattern(width: 3, height: 2, channels: channels)
            #expect(Image(tensor: other.toTensor()) == other)
        }
    }

    @Test func tensorRangeIsMappedClampedAndRounded() {
        // From -1...1: v -> (v + 1) * 127.5. -1 -> 0, 1 -> 255, 0 -> 127.5 -> 128 (halves round away from zero),
        // -0.5 -> 63.75 -> 64; 2 and -3 clamp to 255 and 0; NaN becomes 0.
        let tensor = Tensor(shape: [1, 7, 1], scalars: [-1, 1, 0, -0.5, 2, -3, .nan])
        #expect(Image(tensor: tensor, range: -1...1).pixels == [0, 255, 128, 64, 255, 0, 0])
    }
}

/// `Image.edges`: lines where brightness jumps, nothing on flat areas.
struct ImageEdgesTests {
    @Test func aSquareGivesItsOutline() {
        var image = Image(width: 12, height: 12, channels: 3, fill: 255)
        for y in 4..<8 { for x in 4..<8 { for c in 0..<3 { image.pixels[(y * 12 + x) * 3 + c] = 0 } } }
        let e = image.edges()
        #expect(e.width == 12 && e.height == 12 && e.channels == 3)
        func dark(_ x: Int, _ y: Int) -> Bool { e.pixels[(y * 12 + x) * 3] == 0 }
        // The Sobel response is strong on both sides of the border (columns/rows 3 and 4, 7 and 8), zero on flat parts.
        for (x, y) in [(3, 5), (4, 5), (7, 6), (8, 6), (5, 3), (5, 8)] { #expect(dark(x, y), "(\(x), \(y))") }
        for (x, y) in [(0, 0), (11, 11), (1, 6), (10, 5), (5, 1)] { #expect(!dark(x, y), "(\(x), \(y))") }
        // A flat image has no edges, whatever its colour; a faint step stays below the threshold.
        #expect(Image(width: 5, height: 5, channels: 3, fill: 90).edges().pixels.allSatisfy { $0 == 255 })
        var faint = Image(width: 6, height: 6, channels: 1, fill: 100)
        for y in 0..<6 { for x in 3..<6 { faint.pixels[y * 6 + x] = 110 } }
        #expect(faint.edges(channels: 1).pixels.allSatisfy { $0 == 255 })
    }
}
