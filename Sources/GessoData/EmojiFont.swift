import Dispatch
import Foundation
import GessoImages

/// One colour emoji: the code points it stands for and its picture.
public struct Emoji: Sendable {
    /// One code point (`[0x1F600]`), or a sequence (`[0x1F468, 0x200D, 0x1F4BB]`, `[0x1F1EB, 0x1F1F7]`) written the
    /// way the font writes it, without variation selectors (U+FE0F).
    public let codePoints: [UInt32]
    /// RGB composited on white, or RGBA; 136x128 in Noto Color Emoji unless resized.
    public let image: Image

    public init(codePoints: [UInt32], image: Image) {
        self.codePoints = codePoints
        self.image = image
    }

    /// The code points in upper-case hex, at least 4 digits, joined by "-": "1F600", "0023-20E3".
    public var name: String { Emoji.name(of: codePoints) }

    static func name(of codePoints: [UInt32]) -> String {
        codePoints.map { point in
            let hex = String(point, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }.joined(separator: "-")
    }
}

/// The colour emoji of a CBDT/CBLC font, Debian's `fonts-noto-color-emoji` by default, as a data set.
///
/// Where things are in the font (OpenType, all integers big-endian):
/// - `CBLC` lists strikes (one per pixel size); a strike's index subtables give each glyph's byte range in `CBDT`.
/// - `CBDT` holds each glyph as metrics + PNG (image formats 17, 18, 19).
/// - `cmap` (format 12) maps single code points to glyphs; `GSUB` ligatures (lookup type 4) map sequences: ZWJ
///   sequences, flags, keycaps, skin tones. Noto adds each ZWJ sequence a second time reversed (for right-to-left
///   text) and some flags under several names; such a glyph is named by the candidate that keeps names ascending in
///   glyph order, the order Noto builds its glyphs in (greedy: the smallest candidate not below the previous name).
public enum EmojiFont {
    public static let defaultPath = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"

    static let install = "The colour emoji come from Debian's fonts-noto-color-emoji package: install it with "
        + "`sudo apt-get install fonts-noto-color-emoji` (or run `bash scripts/setup.sh`)."
    static let reinstall = "Reinstall it: `sudo apt-get install --reinstall fonts-noto-color-emoji`."

    /// Every bitmap glyph of the font that a code point or a sequence of them reaches, decoded from its PNG, sorted by
    /// code points. Glyphs with no ink (every pixel transparent, as the tag characters and U+200D are) are left out.
    ///
    /// - Parameters:
    ///   - path: the font file (`.ttf` with CBDT/CBLC tables).
    ///   - blocks: keep only emoji whose code points all lie in these ranges (see `blocks(named:)`); nil keeps all.
    ///   - size: pad each image to a square (white, or transparent for RGBA) and resize it to `size` x `size` with the
    ///     area filter; nil keeps the font's size.
    ///   - onWhite: RGB composited on white (true) or RGBA with the font's transparency (false).
    /// - Throws: `DataError` naming the font for a missing or unreadable file, a file that is not an OpenType font or
    ///   lacks CBDT, CBLC or a format 12 cmap, truncated or inconsistent tables, a PNG that does not decode, or a
    ///   `size` below 1.
    public static func load(path: String = defaultPath, blocks: [ClosedRange<UInt32>]? = nil, size: Int? = nil,
                            onWhite: Bool = true) throws -> [Emoji] {
        let bytes = try readBytes(URL(fileURLWithPath: path), missing: "There is no font here. \(install)")
        return try load(bytes: bytes, path: path, blocks: blocks, size: size, onWhite: onWhite)
    }

    /// `load` over a font's bytes already in memory; `path` names the font in errors.
    static func load(bytes: [UInt8], path: String, blocks: [ClosedRange<UInt32>]? = nil, size: Int? = nil,
                     onWhite: Bool = true) throws -> [Emoji] {
        if let size, size < 1 {
            throw DataError(path: path, problem: "cannot resize emoji to \(size) pixels: the size must be 1 or more.")
        }
        let font = try FontFile(bytes, path: path)
        var wanted = try font.names().filter { _, points in
            blocks.map { ranges in points.allSatisfy { point in ranges.contains { $0.contains(point) } } } ?? true
        }.map { (glyph: $0.key, codePoints: $0.value) }
        wanted.sort { $0.codePoints.lexicographicallyPrecedes($1.codePoints) }
        let located = try font.bitmaps(of: wanted.map(\.glyph))

        // Decode, composite and resize in parallel, a chunk of glyphs per task.
        let emoji = try parallelMap(wanted.count) { i -> Emoji? in
            guard let png = located[i] else { return nil }
            let image: Image
            do {
                image = try ImageFile.decode(Data(bytes[png]), path: path)
            } catch {
                // ImageError's advice is for image files; keep only what libpng found.
                let found = (error as? ImageError)?.problem.split(separator: ";").first.map(String.init) ?? "\(error)"
                throw DataError(path: path, problem: "has a PNG for \(Emoji.name(of: wanted[i].codePoints)) "
                    + "(glyph \(wanted[i].glyph)) that does not decode (\(found)). \(reinstall)")
            }
            guard hasInk(image) else { return nil }
            return Emoji(codePoints: wanted[i].codePoints, image: prepared(image, size: size, onWhite: onWhite))
        }
        return emoji.compactMap { $0 }
    }

    /// Writes each emoji as PNG into `folder` (created if needed), named by its code points (`Emoji.name`:
    /// "1F600.png", "1F468-200D-1F4BB.png"), each atomically (a temporary file renamed into place).
    ///
    /// - Returns: the number of files written.
    /// - Throws: `DataError` when the folder cannot be created; `ImageError` naming the file when one cannot be written.
    public static func export(_ emoji: [Emoji], to folder: URL) throws -> Int {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError(path: folder.path, problem: "cannot be created (\(error.localizedDescription)). Check that "
                + "the path is not a file and that its parent folder is writable.")
        }
        _ = try parallelMap(emoji.count) { i in
            try ImageFile.write(emoji[i].image, to: folder.appendingPathComponent(emoji[i].name + ".png"))
        }
        return emoji.count
    }

    /// The named blocks users can pick: "smileys" (U+1F600-1F64F, 80 faces), "animals" (U+1F400-1F43F, 64 animals)
    /// and "all" (`.some(nil)`: no filter). Nil for any other name.
    public static func blocks(named name: String) -> [ClosedRange<UInt32>]?? {
        switch name.lowercased() {
        case "smileys": return .some([0x1F600...0x1F64F])
        case "animals": return .some([0x1F400...0x1F43F])
        case "all": return .some(nil)
        default: return nil
        }
    }

    /// False when every pixel is fully transparent.
    static func hasInk(_ image: Image) -> Bool {
        guard image.channels == 4 else { return !image.pixels.isEmpty }
        return stride(from: 3, to: image.pixels.count, by: 4).contains { image.pixels[$0] != 0 }
    }

    /// The decoded glyph as 3 channels on white or 4 with alpha, optionally padded to a square and resized.
    static func prepared(_ image: Image, size: Int?, onWhite: Bool) -> Image {
        var image = image.converted(toChannels: onWhite ? 3 : 4)
        guard let size else { return image }
        if onWhite {
            return squared(image, fill: 255).resized(width: size, height: size, filter: .area)
        }
        // Averaging straight RGBA bleeds the colour of transparent pixels into the edges: average premultiplied
        // colour, then divide the alpha back out.
        for p in stride(from: 0, to: image.pixels.count, by: 4) {
            let alpha = Int(image.pixels[p + 3])
            for c in p..<(p + 3) { image.pixels[c] = UInt8((Int(image.pixels[c]) * alpha + 127) / 255) }
        }
        var out = squared(image, fill: 0).resized(width: size, height: size, filter: .area)
        for p in stride(from: 0, to: out.pixels.count, by: 4) {
            let alpha = Int(out.pixels[p + 3])
            for c in p..<(p + 3) {
                out.pixels[c] = alpha == 0 ? 0 : UInt8(min(255, (Int(out.pixels[c]) * 255 + alpha / 2) / alpha))
            }
        }
        return out
    }

    /// The image centred on a square canvas of its longer side, the margins filled with `fill` in every channel.
    static func squared(_ image: Image, fill: UInt8) -> Image {
        let side = max(image.width, image.height)
        if image.width == side && image.height == side { return image }
        var out = Image(width: side, height: side, channels: image.channels, fill: fill)
        let left = (side - image.width) / 2, top = (side - image.height) / 2, row = image.width * image.channels
        for y in 0..<image.height {
            let to = ((top + y) * side + left) * image.channels
            out.pixels.replaceSubrange(to..<(to + row), with: image.pixels[(y * row)..<((y + 1) * row)])
        }
        return out
    }

    /// `work(0..<count)` on all cores, in chunks of consecutive indices; the results in order, or the first error.
    static func parallelMap<T>(_ count: Int, _ work: (Int) throws -> T) throws -> [T] {
        let chunks = min(count, ProcessInfo.processInfo.activeProcessorCount * 4)
        guard chunks > 0 else { return [] }
        var results = [Result<T, Error>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { slots in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for i in (chunk * count / chunks)..<((chunk + 1) * count / chunks) { slots[i] = Result { try work(i) } }
            }
        }
        return try results.map { try $0!.get() }   // every slot is filled: the chunks cover 0..<count
    }
}

/// An OpenType font's bytes and its table directory; every read is bounds-checked.
struct FontFile {
    let bytes: [UInt8]
    let path: String
    private let tables: [String: FontTable]

    init(_ bytes: [UInt8], path: String) throws {
        self.bytes = bytes
        self.path = path
        let file = FontTable(name: "table directory", bytes: bytes, start: 0, count: bytes.count, path: path)
        var version = 0
        if bytes.count >= 4 { version = try file.u32(0) }
        if version == 0x7474_6366 {   // "ttcf"
            throw DataError(path: path, problem: "is a font collection (.ttc); give a single .ttf font such as "
                + "\(EmojiFont.defaultPath).")
        }
        guard bytes.count >= 12, [0x0001_0000, 0x7472_7565, 0x4F54_544F].contains(version) else {   // 1.0, "true", "OTTO"
            let start = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw DataError(path: path, problem: "is not an OpenType font (it starts with bytes \(start)). Give a "
                + "colour emoji font such as \(EmojiFont.defaultPath). \(EmojiFont.install)")
        }
        var tables = [String: FontTable]()
        for i in 0..<(try file.u16(4)) {
            let record = 12 + 16 * i
            let tag = String(decoding: try file.slice(record, 4), as: UTF8.self)
            let start = try file.u32(record + 8), count = try file.u32(record + 12)
            tables[tag] = FontTable(name: tag, bytes: bytes, start: start, count: count, path: path)
        }
        self.tables = tables
    }

    /// A table by tag, checked to lie inside the file; nil when the font has none and it is optional.
    func table(_ tag: String, optional: Bool = false) throws -> FontTable? {
        guard let table = tables[tag] else {
            if optional { return nil }
            throw DataError(path: path, problem: "is an OpenType font without a \(tag) table, so it holds no colour "
                + "bitmap emoji (CBDT, CBLC and cmap are needed). Give \(EmojiFont.defaultPath). \(EmojiFont.install)")
        }
        guard table.start + table.count <= bytes.count else {
            throw DataError(path: path, problem: "is truncated: its \(tag) table runs to byte \(table.start + table.count) "
                + "but the file has \(bytes.count) bytes. \(EmojiFont.reinstall)")
        }
        return table
    }

    /// The code points of each glyph that has a name: a single code point from cmap, else a GSUB ligature's
    /// sequence, else a private-use code point from cmap (Noto keeps legacy ones for flags and keycaps).
    func names() throws -> [Int: [UInt32]] {
        let single = try cmap()
        var names = [Int: [UInt32]]()
        for (glyph, point) in single where !isPrivateUse(point) { names[glyph] = [point] }
        var previous = [UInt32]()
        for (glyph, candidates) in try ligatures(single).sorted(by: { $0.key < $1.key }) where names[glyph] == nil {
            let sorted = candidates.sorted { $0.lexicographicallyPrecedes($1) }
            let chosen = sorted.first { !$0.lexicographicallyPrecedes(previous) } ?? sorted[0]
            names[glyph] = chosen
            previous = chosen
        }
        for (glyph, point) in single where names[glyph] == nil { names[glyph] = [point] }
        return names
    }

    private func isPrivateUse(_ point: UInt32) -> Bool {
        (0xE000...0xF8FF).contains(point) || point >= 0xF_0000
    }

    /// Each glyph's smallest code point, private-use ones only where there is no other, from a format 12 subtable.
    private func cmap() throws -> [Int: UInt32] {
        let cmap = try table("cmap")!
        var subtable: Int?
        for i in 0..<(try cmap.u16(2)) {
            let offset = try cmap.u32(4 + 8 * i + 4)
            if try cmap.u16(offset) == 12 { subtable = offset; break }
        }
        guard let subtable else {
            throw DataError(path: path, problem: "has no format 12 cmap subtable (the one that maps code points beyond "
                + "U+FFFF, where emoji live). Give \(EmojiFont.defaultPath). \(EmojiFont.install)")
        }
        var glyphs = [Int: UInt32]()
        var mapped = 0
        for group in 0..<(try cmap.u32(subtable + 12)) {
            let record = subtable + 16 + 12 * group
            let first = try cmap.u32(record), last = try cmap.u32(record + 4), startGlyph = try cmap.u32(record + 8)
            mapped += last - first + 1
            guard first <= last, last <= 0x10_FFFF, mapped <= 0x11_0000 else {
                throw DataError(path: path, problem: "is damaged: its cmap maps code points \(first)...\(last), beyond "
                    + "Unicode. \(EmojiFont.reinstall)")
            }
            for point in first...last {
                let glyph = startGlyph + point - first, point = UInt32(point)
                if let old = glyphs[glyph], isPrivateUse(point) || (!isPrivateUse(old) && old < point) { continue }
                glyphs[glyph] = point
            }
        }
        return glyphs
    }

    /// Every sequence of two or more code points that a GSUB ligature (lookup type 4, or 7 wrapping it) turns into
    /// one glyph, by glyph; the first ligature of a sequence wins, as in shaping. Empty without a GSUB table.
    private func ligatures(_ single: [Int: UInt32]) throws -> [Int: [[UInt32]]] {
        guard let gsub = try table("GSUB", optional: true) else { return [:] }
        var result = [Int: [[UInt32]]]()
        var seen = Set<[UInt32]>()
        let lookupList = try gsub.u16(8)
        for l in 0..<(try gsub.u16(lookupList)) {
            let lookup = lookupList + (try gsub.u16(lookupList + 2 + 2 * l))
            let type = try gsub.u16(lookup)
            for s in 0..<(try gsub.u16(lookup + 4)) {
                var subtable = lookup + (try gsub.u16(lookup + 6 + 2 * s))
                if type == 7 {
                    guard try gsub.u16(subtable + 2) == 4 else { continue }
                    subtable += try gsub.u32(subtable + 4)
                } else if type != 4 {
                    continue
                }
                let setCount = try gsub.u16(subtable + 4)
                let firsts = try coverage(gsub, at: subtable + (try gsub.u16(subtable + 2)), limit: setCount)
                for (k, first) in firsts.enumerated() {
                    let set = subtable + (try gsub.u16(subtable + 6 + 2 * k))
                    for m in 0..<(try gsub.u16(set)) {
                        let ligature = set + (try gsub.u16(set + 2 + 2 * m))
                        let glyph = try gsub.u16(ligature), components = try gsub.u16(ligature + 2)
                        guard components >= 2 else { continue }
                        var points = [single[first]]
                        for c in 1..<components { points.append(single[try gsub.u16(ligature + 2 + 2 * c)]) }
                        // A component that no code point reaches (made by another substitution) leaves no name.
                        guard points.allSatisfy({ $0 != nil }) else { continue }
                        let sequence = points.map { $0! }
                        if seen.insert(sequence).inserted { result[glyph, default: []].append(sequence) }
                    }
                }
            }
        }
        return result
    }

    /// The glyphs of a coverage table (format 1: a list, 2: ranges) in coverage order, at most `limit` of them.
    private func coverage(_ table: FontTable, at offset: Int, limit: Int) throws -> [Int] {
        var glyphs = [Int]()
        switch try table.u16(offset) {
        case 1:
            for i in 0..<min(limit, try table.u16(offset + 2)) { glyphs.append(try table.u16(offset + 4 + 2 * i)) }
        case 2:
            for r in 0..<(try table.u16(offset + 2)) where glyphs.count < limit {
                let first = try table.u16(offset + 4 + 6 * r), last = try table.u16(offset + 6 + 6 * r)
                if first <= last { glyphs += (first...last).prefix(limit - glyphs.count) }
            }
        case let format:
            throw DataError(path: path, problem: "is damaged: a GSUB coverage table has format \(format) (1 or 2 "
                + "expected). \(EmojiFont.reinstall)")
        }
        return glyphs
    }

    /// Where each glyph's PNG lies in the file, from the strike with the most pixels per em; nil for a glyph the
    /// strike has no image for.
    func bitmaps(of glyphs: [Int]) throws -> [Range<Int>?] {
        let cblc = try table("CBLC")!, cbdt = try table("CBDT")!
        var strike: (offset: Int, ppem: Int)?
        for s in 0..<(try cblc.u32(4)) {
            let record = 8 + 48 * s
            let ppem = try cblc.u8(record + 45)
            if ppem > strike?.ppem ?? -1 { strike = (record, ppem) }
        }
        guard let strike else {
            throw DataError(path: path, problem: "has a CBLC table with no bitmap sizes, so it holds no emoji images. "
                + EmojiFont.reinstall)
        }
        // glyph -> (image format, offset in CBDT, byte count)
        var located = [Int: (imageFormat: Int, start: Int, count: Int)]()
        let array = try cblc.u32(strike.offset)
        for i in 0..<(try cblc.u32(strike.offset + 8)) {
            let first = try cblc.u16(array + 8 * i), last = try cblc.u16(array + 8 * i + 2)
            let header = array + (try cblc.u32(array + 8 * i + 4))
            let indexFormat = try cblc.u16(header), imageFormat = try cblc.u16(header + 2)
            let imageData = try cblc.u32(header + 4)
            guard first <= last else { continue }
            func put(_ glyph: Int, _ start: Int, _ end: Int) {
                if end > start { located[glyph] = (imageFormat, imageData + start, end - start) }
            }
            switch indexFormat {
            case 1, 3:   // offsets (uint32, or uint16), one more than the glyphs
                let width = indexFormat == 1 ? 4 : 2
                func offset(_ k: Int) throws -> Int {
                    width == 4 ? try cblc.u32(header + 8 + 4 * k) : try cblc.u16(header + 8 + 2 * k)
                }
                var start = try offset(0)
                for k in 0...(last - first) {
                    let end = try offset(k + 1)
                    put(first + k, start, end)
                    start = end
                }
            case 2:      // every glyph the same size
                let size = try cblc.u32(header + 8)
                for k in 0...(last - first) { put(first + k, k * size, (k + 1) * size) }
            case 4:      // sparse: (glyph, uint16 offset) pairs, one more than the glyphs
                let count = try cblc.u32(header + 8)
                for k in 0..<count {
                    put(try cblc.u16(header + 12 + 4 * k), try cblc.u16(header + 14 + 4 * k),
                        try cblc.u16(header + 18 + 4 * k))
                }
            case 5:      // sparse, every glyph the same size
                let size = try cblc.u32(header + 8), count = try cblc.u32(header + 20)
                for k in 0..<count { put(try cblc.u16(header + 24 + 2 * k), k * size, (k + 1) * size) }
            default:
                throw DataError(path: path, problem: "uses CBLC index subtable format \(indexFormat), which Gesso does "
                    + "not read (formats 1 to 5). Give \(EmojiFont.defaultPath).")
            }
        }
        return try glyphs.map { glyph in
            guard let (format, start, count) = located[glyph] else { return nil }
            let skip: Int   // metrics before the PNG's length
            switch format {
            case 17: skip = 5    // smallGlyphMetrics
            case 18: skip = 8    // bigGlyphMetrics
            case 19: skip = 0    // metrics live in CBLC
            default:
                throw DataError(path: path, problem: "stores glyph \(glyph) in bitmap image format \(format); Gesso reads "
                    + "the PNG formats 17, 18 and 19 only. Give \(EmojiFont.defaultPath).")
            }
            let length = try cbdt.u32(start + skip)
            guard skip + 4 + length <= count else {
                throw DataError(path: path, problem: "is damaged: glyph \(glyph)'s PNG claims \(length) bytes but its CBDT "
                    + "record has \(count - skip - 4). \(EmojiFont.reinstall)")
            }
            return try cbdt.range(start + skip + 4, length)
        }
    }
}

/// One table of a font: big-endian reads at offsets from its start, each checked against its length.
struct FontTable {
    let name: String
    let bytes: [UInt8]
    let start: Int
    let count: Int
    let path: String

    func u8(_ offset: Int) throws -> Int {
        let i = try range(offset, 1).lowerBound
        return Int(bytes[i])
    }

    func u16(_ offset: Int) throws -> Int {
        let i = try range(offset, 2).lowerBound
        return Int(bytes[i]) << 8 | Int(bytes[i + 1])
    }

    func u32(_ offset: Int) throws -> Int {
        let i = try range(offset, 4).lowerBound
        return Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    }

    func slice(_ offset: Int, _ length: Int) throws -> ArraySlice<UInt8> { bytes[try range(offset, length)] }

    /// The file positions of `length` bytes at `offset` in this table; throws when they leave the table or the file.
    func range(_ offset: Int, _ length: Int) throws -> Range<Int> {
        guard offset >= 0, length >= 0, offset <= count - length, start + offset + length <= bytes.count else {
            throw DataError(path: path, problem: "is truncated or damaged: its \(name) points to bytes \(offset)..<"
                + "\(offset + length), outside its \(count) bytes\(start + count > bytes.count ? " (the file is cut short)" : ""). "
                + EmojiFont.reinstall)
        }
        return (start + offset)..<(start + offset + length)
    }
}
