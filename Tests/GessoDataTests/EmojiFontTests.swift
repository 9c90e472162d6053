import Foundation
import GessoImages
import Testing
@testable import GessoData

/// These tests read Debian's fonts-noto-color-emoji font. Where it is missing they fail (with the install command),
/// never skip: the emoji data set is part of what Gesso promises.
@Suite struct EmojiFontTests {
    /// Every emoji of the installed font on white, decoded once for all the tests that need them.
    static let all = Result { try EmojiFont.load() }

    func requireFont() throws {
        try #require(FileManager.default.fileExists(atPath: EmojiFont.defaultPath),
                     "\(EmojiFont.defaultPath) is missing: install it with `sudo apt-get install fonts-noto-color-emoji`")
    }

    @Test func realFontYieldsThousandsOfDistinctEmoji() throws {
        try requireFont()
        let emoji = try Self.all.get()
        #expect(emoji.count > 3000, "got \(emoji.count) emoji")
        #expect(Set(emoji.map(\.name)).count == emoji.count, "two emoji share a name")
        #expect(emoji.map(\.codePoints) == emoji.map(\.codePoints).sorted { $0.lexicographicallyPrecedes($1) })
        for item in emoji {
            // Noto Color Emoji's one strike: 109 pixels per em, 136x128 PNGs.
            #expect(item.image.width == 136 && item.image.height == 128 && item.image.channels == 3, "\(item.name)")
            #expect(item.image.pixels.contains { $0 != 255 }, "\(item.name) is blank white")
        }
    }

    @Test func sequencesAreNamedTheWayUnicodeWritesThem() throws {
        try requireFont()
        let names = Set(try Self.all.get().map(\.name))
        // From Unicode's emoji-zwj-sequences.txt and emoji-sequences.txt (U+FE0F left out, as Noto leaves it out).
        for name in ["1F600", "0023-20E3", "1F1EB-1F1F7", "1F44B-1F3FD", "1F468-200D-1F4BB",
                     "1F642-200D-2194", "26F9-1F3FB-200D-2640", "1F468-200D-2764-200D-1F48B-200D-1F468",
                     "1F3F4-E0067-E0062-E0073-E0063-E0074-E007F"] {
            #expect(names.contains(name), "no \(name)")
        }
        // Noto maps each ZWJ sequence reversed as well (for right-to-left text): those must not name a glyph.
        for reversed in ["2194-200D-1F642", "2640-200D-26F9-1F3FB", "1F4BB-200D-1F468"] {
            #expect(!names.contains(reversed), "\(reversed) is a reversed sequence")
        }
        // Component glyphs with no ink (tag letters, the zero-width joiner) are left out; legacy private-use code
        // points give way to the sequences (U+FE82C is Noto's keycap #).
        for absent in ["E0067", "200D", "FE82C"] { #expect(!names.contains(absent), "\(absent) is there") }
    }

    @Test func smileysAndAnimalsBlocks() throws {
        try requireFont()
        let smileys = try EmojiFont.load(blocks: EmojiFont.blocks(named: "smileys")!)
        #expect(smileys.map(\.codePoints) == (0x1F600...0x1F64F).map { [UInt32($0)] })   // 80: every face the block has
        let animals = try EmojiFont.load(blocks: EmojiFont.blocks(named: "animals")!)
        #expect(animals.map(\.codePoints) == (0x1F400...0x1F43F).map { [UInt32($0)] })   // 64
    }

    @Test func blockNames() {
        #expect(EmojiFont.blocks(named: "smileys") == .some([0x1F600...0x1F64F]))
        #expect(EmojiFont.blocks(named: "Animals") == .some([0x1F400...0x1F43F]))
        #expect(EmojiFont.blocks(named: "all") == .some(nil))
        #expect(EmojiFont.blocks(named: "fish") == nil)
    }

    @Test func resizedOnWhiteAndWithAlpha() throws {
        try requireFont()
        let block: [ClosedRange<UInt32>] = [0x1F600...0x1F607]   // yellow faces (U+1F608, with horns, is purple)
        let rgb = try EmojiFont.load(blocks: block, size: 32)
        let rgba = try EmojiFont.load(blocks: block, size: 32, onWhite: false)
        #expect(rgb.count == 8 && rgba.count == 8)
        for (white, clear) in zip(rgb, rgba) {
            #expect(white.image.width == 32 && white.image.height == 32 && white.image.channels == 3)
            #expect(clear.image.width == 32 && clear.image.height == 32 && clear.image.channels == 4)
            // The square's padding (4 of 136 rows above the 128) and the face's outside: white, or transparent.
            #expect(Array(white.image.pixels[0..<3]) == [255, 255, 255], "\(white.name)")
            #expect(clear.image.pixels[3] == 0, "\(clear.name)")
            // The centre is a yellow face either way: opaque, red and green well above blue.
            let centre = (16 * 32 + 16)
            let (r, g, b) = (clear.image.pixels[4 * centre], clear.image.pixels[4 * centre + 1], clear.image.pixels[4 * centre + 2])
            #expect(clear.image.pixels[4 * centre + 3] == 255 && r > 200 && g > 150 && b < 100, "\(clear.name): \(r) \(g) \(b)")
            #expect(Array(white.image.pixels[(3 * centre)..<(3 * centre + 3)]) == [r, g, b], "\(white.name)")
        }
        let full = try EmojiFont.load(blocks: [0x1F600...0x1F600], onWhite: false)
        #expect(full.count == 1 && full[0].image.channels == 4 && full[0].image.width == 136)
        #expect(full[0].image.pixels.enumerated().contains { $0.offset % 4 == 3 && $0.element == 0 }, "no transparency")
    }

    @Test func exportWritesPNGsThatReadBack() throws {
        try requireFont()
        // Regional indicators F and R: each letter alone, and the flag of France (RF is no flag).
        let emoji = try EmojiFont.load(blocks: [0x1F600...0x1F604, 0x1F1EB...0x1F1EB, 0x1F1F7...0x1F1F7], size: 24)
        #expect(emoji.map(\.name) == ["1F1EB", "1F1EB-1F1F7", "1F1F7", "1F600", "1F601", "1F602", "1F603", "1F604"])
        let folder = try temporaryFolder().appendingPathComponent("made/by/export")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        #expect(try EmojiFont.export(emoji, to: folder) == 8)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.sorted() == emoji.map { $0.name + ".png" }.sorted())   // no temporary files left behind
        for item in emoji {
            #expect(try ImageFile.read(folder.appendingPathComponent(item.name + ".png")) == item.image, "\(item.name)")
        }
    }

    @Test func missingFontSaysHowToInstallIt() throws {
        let path = "/nonexistent/NotoColorEmoji.ttf"
        let error = try #require(throws: DataError.self) { try EmojiFont.load(path: path) }
        #expect(error.path == path)
        #expect(error.problem.contains("sudo apt-get install fonts-noto-color-emoji"), "\(error)")
    }

    @Test func truncatedAndForeignFilesThrow() throws {
        try requireFont()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let font = try Data(contentsOf: URL(fileURLWithPath: EmojiFont.defaultPath))
        let cut = folder.appendingPathComponent("cut.ttf")
        try font.prefix(1000).write(to: cut)
        let truncated = try #require(throws: DataError.self) { try EmojiFont.load(path: cut.path) }
        #expect(truncated.path == cut.path && truncated.problem.contains("truncated"), "\(truncated)")

        let text = folder.appendingPathComponent("notes.ttf")
        try Data("these are not glyphs\n".utf8).write(to: text)
        let foreign = try #require(throws: DataError.self) { try EmojiFont.load(path: text.path) }
        #expect(foreign.path == text.path && foreign.problem.contains("not an OpenType font"), "\(foreign)")

        let empty = folder.appendingPathComponent("empty.ttf")
        try Data().write(to: empty)
        #expect(throws: DataError.self) { try EmojiFont.load(path: empty.path) }
    }

    /// Cut short anywhere up to the end of the last table Gesso reads, the font throws DataError.
    @Test func everyTruncationThrows() throws {
        try requireFont()
        let font = [UInt8](try Data(contentsOf: URL(fileURLWithPath: EmojiFont.defaultPath)))
        let header = try FontFile(font, path: "font")
        let needed = try ["cmap", "CBLC", "CBDT", "GSUB"].map { tag in
            let table = try #require(try header.table(tag, optional: true), "no \(tag)")
            return table.start + table.count
        }.max()!
        for length in [0, 3, 4, 11, 12, 100, 219, 220, 12_000, 16_000, font.count / 2, needed - 1] {
            #expect(throws: DataError.self, "cut at \(length) bytes") {
                try EmojiFont.load(bytes: Array(font.prefix(length)), path: "cut", blocks: [0x1F600...0x1F60F])
            }
        }
    }

    /// Random bytes written over the tables Gesso parses, or over a PNG, give DataError or emoji, never a crash or a hang.
    @Test func corruptTablesNeverCrash() throws {
        try requireFont()
        let font = [UInt8](try Data(contentsOf: URL(fileURLWithPath: EmojiFont.defaultPath)))
        let header = try FontFile(font, path: "font")
        var seed: UInt64 = 42   // SplitMix64, so a failure repeats
        func next(_ bound: Int) -> Int {
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        for tag in ["cmap", "CBLC", "GSUB"] {
            let table = try #require(try header.table(tag), "no \(tag)")
            for trial in 0..<40 {
                var bytes = font
                for _ in 0..<(1 + trial % 8) {
                    bytes[table.start + next(table.count)] = UInt8(next(256))
                }
                do {
                    _ = try EmojiFont.load(bytes: bytes, path: "corrupt", blocks: [0x1F600...0x1F60F])
                } catch is DataError {
                } catch {
                    Issue.record("\(tag) trial \(trial): \(error) is not a DataError")
                }
            }
        }
        // Inside a PNG of CBDT: a broken signature names the emoji; other damage gives DataError or an image.
        let glyph = try #require(try header.names().first { $0.value == [0x1F600] }?.key, "no U+1F600")
        let png = try #require(try header.bitmaps(of: [glyph])[0], "no bitmap for U+1F600")
        var broken = font
        broken[png.lowerBound] = 0
        let error = try #require(throws: DataError.self) {
            try EmojiFont.load(bytes: broken, path: "corrupt", blocks: [0x1F600...0x1F600])
        }
        #expect(error.problem.contains("1F600") && error.problem.contains("does not decode"), "\(error)")
        for trial in 0..<40 {
            var bytes = font
            for _ in 0..<(1 + trial % 8) { bytes[png.lowerBound + next(png.count)] = UInt8(next(256)) }
            do {
                _ = try EmojiFont.load(bytes: bytes, path: "corrupt", blocks: [0x1F600...0x1F600])
            } catch is DataError {
            } catch {
                Issue.record("PNG trial \(trial): \(error) is not a DataError")
            }
        }
    }
}
