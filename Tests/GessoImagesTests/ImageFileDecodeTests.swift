import Foundation
import Testing
@testable import GessoImages

/// Every PNG and JPEG variant in Fixtures/ decodes to the right size, channels and pixels.
///
/// PNG is lossless: decoded pixels must equal the reference bytes exactly.
/// JPEG tolerance: mean |decoded - source| <= 3 (of 255). The fixtures are quality 95 with 4:2:0 chroma; Pillow's own
/// decode of them is 2.09 (colour), 1.16 (CMYK) and 1.05 (grey) from the source, as make_fixtures.py prints.
@Suite struct ImageFileDecodeTests {
    static let jpegTolerance = 3.0

    @Test func referencePNGsDecodeToTheRawBytes() throws {
        expectImagesIdentical(try ImageFixtures.read("chelsea.png"), try ImageFixtures.chelsea(), "chelsea.png (RGB)")
        expectImagesIdentical(try ImageFixtures.read("camera.png"), try ImageFixtures.camera(), "camera.png (grey)")
    }

    @Test func rgbaPNGKeepsItsAlpha() throws {
        let image = try ImageFixtures.read("chelsea-rgba.png")
        let chelsea = try ImageFixtures.chelsea()
        try #require(image.channels == 4 && image.width == 160 && image.height == 106)
        expectImagesIdentical(image.converted(toChannels: 4), image, "RGBA stays RGBA")
        var want = chelsea.converted(toChannels: 4)
        for y in 0..<106 { for x in 0..<160 { want.pixels[(y * 160 + x) * 4 + 3] = ImageFixtures.alpha(x: x, y: y) } }
        expectImagesIdentical(image, want, "chelsea-rgba.png")
    }

    @Test func greyAlphaPNGBecomesRGBA() throws {
        let image = try ImageFixtures.read("camera-grey-alpha.png")
        var want = try ImageFixtures.camera().converted(toChannels: 4)
        for y in 0..<128 { for x in 0..<128 { want.pixels[(y * 128 + x) * 4 + 3] = ImageFixtures.alpha(x: x, y: y) } }
        expectImagesIdentical(image, want, "camera-grey-alpha.png")
    }

    @Test func sixteenBitPNGIsScaledToEightBits() throws {
        // Samples are the 8-bit ones times 257 (make_fixtures.py), so scaling back is exact.
        expectImagesIdentical(try ImageFixtures.read("chelsea-rgb16.png"), try ImageFixtures.chelsea(), "chelsea-rgb16.png")
    }

    @Test func palettePNGs() throws {
        let opaque = try ImageFixtures.read("coffee-palette.png")
        #expect(opaque.channels == 3)
        expectImagesIdentical(opaque, try ImageFixtures.read("coffee-palette.expected.png"), "coffee-palette.png")
        let transparent = try ImageFixtures.read("coffee-palette-alpha.png")
        #expect(transparent.channels == 4)
        expectImagesIdentical(transparent, try ImageFixtures.read("coffee-palette-alpha.expected.png"),
                              "coffee-palette-alpha.png")
    }

    @Test(arguments: ["chelsea-baseline.jpg", "chelsea-progressive.jpg", "chelsea-cmyk.jpg"])
    func colourJPEGs(name: String) throws {
        let image = try ImageFixtures.read(name)
        expectImagesClose(image, try ImageFixtures.chelsea(), meanAbsoluteDifference: Self.jpegTolerance, name)
    }

    @Test func greyJPEGHasOneChannel() throws {
        let image = try ImageFixtures.read("camera-grey.jpg")
        expectImagesClose(image, try ImageFixtures.camera(), meanAbsoluteDifference: Self.jpegTolerance, "camera-grey.jpg")
    }

    /// rocket.jpg as published (ICC profile, comment, 4:2:0). Want: Pillow's decode, recorded in expected.json.
    /// Both are libjpeg-turbo with the accurate integer IDCT and smooth upsampling, so samples agree within 2
    /// levels and channel means within 0.5 (allowing for a different library version).
    @Test func realWorldJPEGMatchesPillow() throws {
        struct Expected: Decodable { let width, height, channels: Int; let mean: [Double]; let samples: [[Int]] }
        let all = try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: ImageFixtures.url("expected.json")))
        let want = try #require(all["rocket.jpg"])
        let image = try ImageFixtures.read("rocket.jpg")
        try #require(image.width == want.width && image.height == want.height && image.channels == want.channels)
        for sample in want.samples {
            let (x, y) = (sample[0], sample[1])
            for c in 0..<3 {
                let got = Int(image.pixels[(y * image.width + x) * 3 + c])
                #expect(abs(got - sample[2 + c]) <= 2, "pixel (\(x), \(y)) channel \(c): \(got), Pillow \(sample[2 + c])")
            }
        }
        for c in 0..<3 {
            let sum = stride(from: c, to: image.pixels.count, by: 3).reduce(0) { $0 + Int(image.pixels[$1]) }
            let mean = Double(sum) / Double(image.width * image.height)
            #expect(abs(mean - want.mean[c]) <= 0.5, "channel \(c) mean \(mean), Pillow \(want.mean[c])")
        }
    }

    @Test func formatIsRecognisedByContentNotExtension() throws {
        let png = try Data(contentsOf: ImageFixtures.url("chelsea.png"))
        let jpeg = try Data(contentsOf: ImageFixtures.url("chelsea-baseline.jpg"))
        #expect(try ImageFile.decode(png, path: "misnamed.jpg") == ImageFixtures.chelsea())
        #expect(try ImageFile.decode(jpeg, path: "misnamed.png").channels == 3)
    }

    @Test func pngRoundTripIsExact() throws {
        let chelsea = try ImageFixtures.chelsea()
        for image in [chelsea, chelsea.converted(toChannels: 1), try ImageFixtures.read("chelsea-rgba.png"),
                      Image(width: 1, height: 1, channels: 3, pixels: [1, 2, 3])] {
            let decoded = try ImageFile.decode(try ImageFile.encodePNG(image), path: "round-trip.png")
            expectImagesIdentical(decoded, image, "PNG round trip of \(image.channels) channels")
        }
    }

    @Test func jpegRoundTripIsClose() throws {
        let chelsea = try ImageFixtures.chelsea()
        let colour = try ImageFile.decode(try ImageFile.encodeJPEG(chelsea, quality: 95), path: "colour.jpg")
        expectImagesClose(colour, chelsea, meanAbsoluteDifference: Self.jpegTolerance, "colour JPEG round trip")
        let grey = try ImageFixtures.camera()
        let greyDecoded = try ImageFile.decode(try ImageFile.encodeJPEG(grey, quality: 95), path: "grey.jpg")
        expectImagesClose(greyDecoded, grey, meanAbsoluteDifference: Self.jpegTolerance, "grey JPEG round trip")
        // JPEG has no alpha: RGBA comes back as RGB composited on white.
        let rgba = try ImageFixtures.read("chelsea-rgba.png")
        let flattened = try ImageFile.decode(try ImageFile.encodeJPEG(rgba, quality: 95), path: "rgba.jpg")
        expectImagesClose(flattened, rgba.converted(toChannels: 3), meanAbsoluteDifference: Self.jpegTolerance,
                          "RGBA JPEG round trip")
        // Lower quality, smaller file.
        #expect(try ImageFile.encodeJPEG(chelsea, quality: 30).count < ImageFile.encodeJPEG(chelsea, quality: 95).count)
    }

    @Test func encodersRefuseBadRequests() {
        let chelsea = Image(width: 4, height: 4, channels: 3)
        for quality in [0, 101, -5] {
            let error = expectImageError(path: ImageFile.inMemory, "quality \(quality)") {
                _ = try ImageFile.encodeJPEG(chelsea, quality: quality)
            }
            #expect(error?.problem.contains("1...100") == true)
        }
        let empty = Image(width: 0, height: 3, channels: 3)
        expectImageError(path: ImageFile.inMemory, "empty PNG") { _ = try ImageFile.encodePNG(empty) }
        expectImageError(path: ImageFile.inMemory, "empty JPEG") { _ = try ImageFile.encodeJPEG(empty) }
    }
}
