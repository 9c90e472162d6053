import Foundation
@testable import GessoData
import GessoImages
import TensorCore
import Testing

/// Reading pix2pix pairs and CycleGAN domains, cutting batches, and the built-in demo data.
struct TranslationDataTests {
    /// A w x h RGB image whose red channel counts pixels (so crops and flips can be traced) and green is `tag`.
    static func traced(_ w: Int, _ h: Int, tag: UInt8) -> Image {
        var pixels: [UInt8] = []
        for i in 0..<(w * h) { pixels += [UInt8(i % 251), tag, 0] }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }

    @Test func sideBySidePairsAreSplitInHalves() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var pair = Image(width: 16, height: 8, channels: 3, fill: 0)
        pair.paste(Self.traced(8, 8, tag: 10), x: 0, y: 0)
        pair.paste(Self.traced(8, 8, tag: 20), x: 8, y: 0)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try ImageFile.write(pair, to: folder.appendingPathComponent("sub/one.png"))
        try Data("not a png".utf8).write(to: folder.appendingPathComponent("broken.png"))
        let (a, b, skipped) = try TranslationData.loadSideBySide(folder, channels: 3, preprocess: .resize, loadSize: 8, size: 8)
        #expect(a.names == ["sub/one.png"] && b.names == ["sub/one.png"])
        #expect(a.images[0] == Self.traced(8, 8, tag: 10) && b.images[0] == Self.traced(8, 8, tag: 20))
        #expect(skipped.count == 1 && skipped[0].contains("broken.png"))
        // A picture that is not twice as wide as high is not a pair: the message names it and says what to do.
        try ImageFile.write(Self.traced(8, 8, tag: 0), to: folder.appendingPathComponent("square.png"))
        #expect { try TranslationData.loadSideBySide(folder, channels: 3, preprocess: .resize, loadSize: 8, size: 8) } throws: {
            "\($0)".contains("square.png") && "\($0)".contains("--target")
        }
    }

    @Test func matchingFoldersPairByNameAndNameTheLonelyFiles() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("in"), target = root.appendingPathComponent("out")
        for f in [input, target] { try FileManager.default.createDirectory(at: f, withIntermediateDirectories: true) }
        for (i, name) in ["b", "a", "c"].enumerated() {
            try ImageFile.write(Self.traced(8, 8, tag: UInt8(i)), to: input.appendingPathComponent("\(name).png"))
            try ImageFile.write(Self.traced(8, 8, tag: UInt8(100 + i)), to: target.appendingPathComponent("\(name).jpg"), quality: 100)
        }
        let (a, b, _) = try TranslationData.loadMatching(input: input, target: target, channels: 3, preprocess: .resize, loadSize: 8, size: 8)
        #expect(a.names == ["a.png", "b.png", "c.png"] && b.names == ["a.jpg", "b.jpg", "c.jpg"])
        // Partners: green 1 with ~101, 0 with ~100 (JPEG rounds a little).
        for i in 0..<3 { #expect(abs(Int(b.images[i].pixels[1]) - Int(a.images[i].pixels[1]) - 100) <= 3) }
        try ImageFile.write(Self.traced(8, 8, tag: 0), to: input.appendingPathComponent("lonely.png"))
        #expect { try TranslationData.loadMatching(input: input, target: target, channels: 3, preprocess: .resize, loadSize: 8, size: 8) } throws: {
            "\($0)".contains("lonely.png") && "\($0)".contains("no partner")
        }
    }

    @Test func aCropLargerThanTheImageIsAClearError() throws {
        #expect { try TranslationData.prepare(Self.traced(20, 30, tag: 0), name: "/x/small.png", channels: 3, preprocess: .crop, loadSize: 64, size: 32) } throws: {
            "\($0)".contains("/x/small.png") && "\($0)".contains("20x30, smaller than the 32x32 crop")
        }
        // Resize-and-crop stores the load size, resize the training size, crop the image as it is.
        #expect(try TranslationData.prepare(Self.traced(20, 30, tag: 0), name: "", channels: 1, preprocess: .resizeAndCrop, loadSize: 18, size: 16).width == 18)
        #expect(try TranslationData.prepare(Self.traced(20, 30, tag: 0), name: "", channels: 3, preprocess: .resize, loadSize: 18, size: 16).height == 16)
        #expect(try TranslationData.prepare(Self.traced(40, 30, tag: 0), name: "", channels: 3, preprocess: .crop, loadSize: 18, size: 16).width == 40)
    }

    /// Pairs are cut alike: the same crop and the same flip on both sides.
    @Test func pairedBatchesShareCropsAndFlips() {
        let images = TranslationImages(images: (0..<4).map { Self.traced(12, 12, tag: UInt8($0)) }, names: ["0", "1", "2", "3"])
        var g = RandomGenerator(seed: 1)
        let (a, b) = TranslationData.batch(images, partner: images, indices: [0, 1, 2, 3, 2, 1], size: 8, flip: true, using: &g)
        #expect(a.shape == [6, 8, 8, 3] && b!.scalars == a.scalars)
        #expect(a.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        // Over many batches both flipped and unflipped crops occur, and several crop positions.
        var firsts = Set<Float>(), flips = Set<Bool>()
        for _ in 0..<50 {
            let (x, _) = TranslationData.batch(images, indices: [0], size: 8, flip: true, using: &g)
            firsts.insert(x.scalars[0])
            flips.insert(x.scalars[0] > x.scalars[3])        // red counts up left to right unless flipped
        }
        #expect(firsts.count > 5 && flips == [true, false])
    }

    @Test func splitsHoldOutEveryKth() {
        let (train, test) = TranslationData.split(23, every: 5)
        #expect(test == [0, 5, 10, 15, 20] && train.count == 18 && Set(train + test).count == 23)
    }

    @Test func builtInDemoDataFromTheEmojiFont() throws {
        try #require(FileManager.default.fileExists(atPath: EmojiFont.defaultPath),
                     "\(EmojiFont.defaultPath) is missing: install it with `sudo apt-get install fonts-noto-color-emoji`")
        let e = try TranslationData.edgesToEmoji(size: 32)
        let all = e.train.a.count + e.test.a.count
        #expect(all > 3_000 && e.test.a.count == (all + 9) / 10)
        #expect(e.train.a.names == e.train.b.names && e.test.b.names.first == "0023.png")
        // Inputs are line drawings: only black and white.
        #expect(e.train.a.images[100].pixels.allSatisfy { $0 == 0 || $0 == 255 })
        #expect(e.train.a.images[100].pixels.contains(0))
        let s = try TranslationData.smileysAndAnimals(size: 16)
        #expect(s.train.a.count + s.test.a.count == 80 && s.train.b.count + s.test.b.count == 64)
        #expect(s.test.a.count == 16 && s.test.b.count == 13 && s.test.a.names[0] == "1F600.png")
        #expect { try TranslationData.edgesToEmoji(size: 32, fontPath: "/nowhere/font.ttf") } throws: {
            "\($0)".contains("/nowhere/font.ttf") && "\($0)".contains("fonts-noto-color-emoji")
        }
    }
}
