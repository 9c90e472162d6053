import Foundation
import Testing
@testable import GessoImages

/// EXIF orientation: the fixtures made by Pillow, and all eight values in both byte orders.
@Suite struct ImageFileEXIFTests {
    /// The fixtures store chelsea turned so that applying the orientation gives chelsea back (make_fixtures.py);
    /// chelsea has a pure red 16x16 square in its top-left corner.
    @Test(arguments: [("chelsea-orientation6.jpg", 106, 160), ("chelsea-orientation3.jpg", 160, 106)])
    func orientationFixtures(name: String, storedWidth: Int, storedHeight: Int) throws {
        let image = try ImageFixtures.read(name)
        // 6 swaps width and height, 3 keeps them.
        let swapped = name.contains("6")
        #expect(image.width == (swapped ? storedHeight : storedWidth) && image.height == (swapped ? storedWidth : storedHeight))
        // The red square is back in the top-left corner (centre pixel (8, 8); JPEG moves values by a few levels).
        let red = Array(image.pixels[(8 * image.width + 8) * 3..<(8 * image.width + 8) * 3 + 3])
        #expect(red[0] > 220 && red[1] < 40 && red[2] < 40, "\(name): pixel (8, 8) is \(red), want red")
        expectImagesClose(image, try ImageFixtures.chelsea(), meanAbsoluteDifference: ImageFileDecodeTests.jpegTolerance, name)
    }

    /// Six saturated colours, one per 16x16 block (a whole JPEG MCU, so they stay nearly pure), laid out as
    ///     A B
    ///     C D
    ///     E F
    static let colours: [Character: [UInt8]] = [
        "A": [255, 0, 0], "B": [0, 255, 0], "C": [0, 0, 255], "D": [255, 255, 0], "E": [255, 0, 255], "F": [0, 255, 255],
    ]
    static let stored = ["AB", "CD", "EF"]

    /// How each orientation is displayed, derived from the EXIF 2.3 definitions (where the stored 0th row and
    /// 0th column belong), e.g. 6: "0th row is the visual right-hand side, 0th column is the visual top".
    static let displayed: [Int: [String]] = [
        1: ["AB", "CD", "EF"],
        2: ["BA", "DC", "FE"],
        3: ["FE", "DC", "BA"],
        4: ["EF", "CD", "AB"],
        5: ["ACE", "BDF"],
        6: ["ECA", "FDB"],
        7: ["FDB", "ECA"],
        8: ["BDF", "ACE"],
    ]

    static func blocks(_ layout: [String]) -> Image {
        let rows = layout.count, columns = layout[0].count
        var image = Image(width: 16 * columns, height: 16 * rows, channels: 3)
        for (r, line) in layout.enumerated() {
            for (c, letter) in line.enumerated() {
                for y in 16 * r..<16 * (r + 1) {
                    for x in 16 * c..<16 * (c + 1) {
                        for k in 0..<3 { image.pixels[(y * image.width + x) * 3 + k] = colours[letter, default: [0, 0, 0]][k] }
                    }
                }
            }
        }
        return image
    }

    /// A JPEG with an APP1 Exif segment holding only the orientation tag, inserted right after SOI.
    static func jpeg(_ image: Image, orientation: Int, bigEndian: Bool) throws -> Data {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 255)] : [UInt8(v & 255), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        var tiff: [UInt8] = bigEndian ? Array("MM".utf8) : Array("II".utf8)
        tiff += u16(42) + u32(8) + u16(1)
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
        tiff += u32(0)
        let payload = Array("Exif\0\0".utf8) + tiff
        let segment: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 255)] + payload
        let encoded = [UInt8](try ImageFile.encodeJPEG(image, quality: 100))
        return Data(encoded.prefix(2) + segment + encoded.dropFirst(2))
    }

    @Test(arguments: 1...8, [false, true])
    func everyOrientation(orientation: Int, bigEndian: Bool) throws {
        let want = try #require(Self.displayed[orientation])
        let image = try ImageFile.decode(try Self.jpeg(Self.blocks(Self.stored), orientation: orientation, bigEndian: bigEndian),
                                         path: "orientation.jpg")
        try #require(image.width == 16 * want[0].count && image.height == 16 * want.count,
                     "orientation \(orientation): \(image.width)x\(image.height)")
        for (r, line) in want.enumerated() {
            for (c, letter) in line.enumerated() {
                let centre = ((16 * r + 8) * image.width + 16 * c + 8) * 3
                let got = Array(image.pixels[centre..<centre + 3])
                let close = zip(got, Self.colours[letter, default: []]).allSatisfy { abs(Int($0) - Int($1)) <= 40 }
                #expect(close, "orientation \(orientation) (\(bigEndian ? "MM" : "II")): block row \(r) column \(c) is \(got), want \(letter)")
            }
        }
    }

    @Test func malformedEXIFIsIgnored() throws {
        let image = Self.blocks(Self.stored)
        // Orientation 9 does not exist; a segment cut short; TIFF magic that is not 42.
        var cases = [try Self.jpeg(image, orientation: 9, bigEndian: false)]
        var short = [UInt8](try ImageFile.encodeJPEG(image, quality: 100))
        short.insert(contentsOf: [0xFF, 0xE1, 0x00, 0x0A] + Array("Exif\0\0II".utf8), at: 2)
        cases.append(Data(short))
        var badMagic = [UInt8](try Self.jpeg(image, orientation: 6, bigEndian: false))
        badMagic[14] = 43  // SOI (2) + marker and length (4) + "Exif\0\0" (6) + "II" (2): the 42
        cases.append(Data(badMagic))
        for data in cases {
            let decoded = try ImageFile.decode(data, path: "odd-exif.jpg")
            #expect(decoded.width == 32 && decoded.height == 48)
        }
    }
}
