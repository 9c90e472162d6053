import Foundation
import Testing
@testable import GessoImages

/// Bad files throw an `ImageError` that names the file; `write` is atomic and picks the format by extension.
@Suite struct ImageFileErrorTests {
    /// Writes `bytes` to a file `name` in a fresh folder, reads it back, and checks the error names the file.
    @discardableResult
    func expectReadFails(_ bytes: [UInt8], name: String, _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> ImageError? {
        let folder = try ImageFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return expectImageError(path: url.path, what, sourceLocation: sourceLocation) { _ = try ImageFile.read(url) }
    }

    @Test func missingFileAndFolder() throws {
        let missing = ImageFixtures.url("no-such-image.png")
        let error = expectImageError(path: missing.path, "missing file") { _ = try ImageFile.read(missing) }
        #expect(error?.problem.contains("no such file") == true)
        expectImageError(path: ImageFixtures.folder.path, "a folder") { _ = try ImageFile.read(ImageFixtures.folder) }
    }

    @Test func zeroByteFile() throws {
        let error = try expectReadFails([], name: "empty.png", "zero-byte file")
        #expect(error?.problem.contains("empty") == true)
    }

    @Test func nonImageFiles() throws {
        let notes = ImageFixtures.url("notes.txt")
        let error = expectImageError(path: notes.path, "text file") { _ = try ImageFile.read(notes) }
        #expect(error?.problem.contains("not a PNG or JPEG") == true)
        let gif = try expectReadFails(Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0], name: "picture.gif", "GIF file")
        #expect(gif?.problem.contains("GIF") == true)
    }

    @Test(arguments: ["chelsea.png", "chelsea-baseline.jpg", "chelsea-progressive.jpg", "camera-grey.jpg", "coffee-palette.png"])
    func truncatedFiles(name: String) throws {
        let bytes = try ImageFixtures.bytes(name)
        // Cut in the middle, just before the end of the image data (PNG: IDAT's last bytes, before its CRC and the
        // 12-byte IEND; JPEG: before the 2-byte EOI), and inside the header.
        for keep in [bytes.count / 2, bytes.count - 20, 40] {
            let error = try expectReadFails(Array(bytes.prefix(keep)), name: name, "\(name) cut to \(keep) bytes")
            let problem = error?.problem ?? ""
            #expect(problem.contains("truncated"), "\(name) cut to \(keep) bytes: \(problem)")
        }
    }

    /// 64 bytes in the middle of the file inverted. PNG's CRCs always catch this; JPEG has no checksum, so
    /// a corruption is found only when the entropy-coded data stops making sense (libjpeg's warnings,
    /// which Gesso treats as errors). These files and positions do trigger one.
    @Test(arguments: ["chelsea.png", "chelsea-rgba.png", "chelsea-baseline.jpg", "chelsea-progressive.jpg", "camera-grey.jpg"])
    func corruptFiles(name: String) throws {
        var bytes = try ImageFixtures.bytes(name)
        let middle = bytes.count / 2
        for i in middle..<middle + 64 { bytes[i] ^= 0xFF }
        try expectReadFails(bytes, name: name, "\(name) with 64 bytes inverted")
    }

    @Test func writeIsAtomicAndPicksTheFormatByExtension() throws {
        let folder = try ImageFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chelsea = try ImageFixtures.chelsea()
        for name in ["out.png", "OUT2.PNG", "photo.jpg", "photo2.JPEG", "photo3.Jpg"] {
            let url = folder.appendingPathComponent(name)
            try ImageFile.write(chelsea, to: url, quality: 95)
            let magic = [UInt8](try Data(contentsOf: url).prefix(2))
            #expect(magic == (name.lowercased().hasSuffix(".png") ? [0x89, 0x50] : [0xFF, 0xD8]), "\(name) starts \(magic)")
            let back = try ImageFile.read(url)
            if name.lowercased().hasSuffix(".png") {
                expectImagesIdentical(back, chelsea, name)
            } else {
                expectImagesClose(back, chelsea, meanAbsoluteDifference: ImageFileDecodeTests.jpegTolerance, name)
            }
        }
        // Overwriting replaces the file.
        let url = folder.appendingPathComponent("out.png")
        try ImageFile.write(chelsea.converted(toChannels: 1), to: url)
        #expect(try ImageFile.read(url).channels == 1)
        // Nothing else is left in the folder: no temporary files.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["OUT2.PNG", "out.png", "photo.jpg", "photo2.JPEG", "photo3.Jpg"])
    }

    @Test func writeRefusesUnknownExtensionsAndMissingFolders() throws {
        let folder = try ImageFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = Image(width: 2, height: 2, channels: 3)
        for name in ["picture.gif", "picture"] {
            let url = folder.appendingPathComponent(name)
            let error = expectImageError(path: url.path, name) { try ImageFile.write(image, to: url) }
            #expect(error?.problem.contains(".png, .jpg or .jpeg") == true)
        }
        let nowhere = folder.appendingPathComponent("missing/picture.png")
        expectImageError(path: nowhere.path, "missing folder") { try ImageFile.write(image, to: nowhere) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
