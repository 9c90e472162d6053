import Foundation
import GessoImages
import Testing
@testable import GessoData

/// A solid image of `width` x `height` with one colour (1, 3 or 4 values).
func solid(_ width: Int, _ height: Int, _ colour: [UInt8]) -> Image {
    Image(width: width, height: height, channels: colour.count,
          pixels: Array((0..<(width * height)).map { _ in colour }.joined()))
}

@Suite struct ImageFolderTests {
    /// art/
    ///   birds/                       empty: dropped
    ///   cats/a.png                   16x16 RGBA, half transparent
    ///   cats/b.PNG                   16x12 grey
    ///   cats/sub/c.png               20x20 RGB, one folder down
    ///   cats/broken.png, empty.png   not an image, 0 bytes: skipped
    ///   cats/notes.txt               not an image: noted
    ///   cats/.hidden.png, .DS_Store  hidden: ignored
    ///   dogs/d.JPG, e.jpeg           16x16 and 24x16 RGB JPEGs (20x20 is the largest area)
    ///   dogs/tiny.png                4x5 grey: warned
    ///   .git/x.png                   hidden folder: ignored
    func makeArt() throws -> URL {
        let art = try temporaryFolder()
        let fm = FileManager.default
        for sub in ["birds", "cats/sub", "dogs", ".git"] {
            try fm.createDirectory(at: art.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        func write(_ image: Image, _ path: String) throws { try ImageFile.write(image, to: art.appendingPathComponent(path)) }
        try write(solid(16, 16, [200, 100, 50, 128]), "cats/a.png")
        try write(solid(16, 12, [90]), "cats/b.PNG")
        try write(solid(20, 20, [10, 20, 30]), "cats/sub/c.png")
        try write(solid(16, 16, [0, 0, 255]), "dogs/d.JPG")
        try write(solid(24, 16, [0, 255, 0]), "dogs/e.jpeg")
        try write(solid(4, 5, [255]), "dogs/tiny.png")
        try write(solid(8, 8, [1, 2, 3]), ".git/x.png")
        try Data("not an image".utf8).write(to: art.appendingPathComponent("cats/broken.png"))
        try Data().write(to: art.appendingPathComponent("cats/empty.png"))
        try Data().write(to: art.appendingPathComponent("cats/.hidden.png"))
        try Data([0, 1]).write(to: art.appendingPathComponent("cats/.DS_Store"))
        try Data("sketch ideas".utf8).write(to: art.appendingPathComponent("cats/notes.txt"))
        return art
    }

    /// What ImageFile says about a file it cannot read (GessoImages words these; we only pass them on).
    func imageProblem(_ url: URL) -> String {
        do { _ = try ImageFile.read(url); return "(read fine)" } catch { return (error as? ImageError)?.problem ?? "\(error)" }
    }

    @Test func reportReadsWell() throws {
        let art = try makeArt()
        defer { try? FileManager.default.removeItem(at: art) }
        let report = try ImageFolder.check(art)
        #expect(report.classNames == ["cats", "dogs"])
        #expect(report.files.map { $0.map(\.lastPathComponent) } == [["a.png", "b.PNG", "c.png"], ["d.JPG", "e.jpeg", "tiny.png"]])
        #expect(report.isUsable)
        #expect(report.suggestedChannels == 3)
        let broken = imageProblem(art.appendingPathComponent("cats/broken.png"))
        let empty = imageProblem(art.appendingPathComponent("cats/empty.png"))
        #expect(report.description == """
            \(art.path): 2 classes, 6 images
              cats  3
              dogs  3
            warning: The class folder birds/ has no PNG or JPEG images, so the class is left out. Add images to it, or remove the folder.
            warning: Skipping cats/broken.png: \(broken).
            warning: Skipping cats/empty.png: \(empty).
            warning: 1 image is smaller than 8 pixels on a side: dogs/tiny.png (4x5). Small images are blown up to the training size and look blurry; use larger ones if you can.
            note: Ignoring 1 file that is not PNG or JPEG: cats/notes.txt.
            note: Image sizes vary from 4x5 to 20x20: each will be resized to the training size (shorter side scaled to fit, then the middle cropped square).
            note: 2 images are grey, 4 colour: all will be used as colour.
            note: 1 image has transparent parts: they will be shown on white.
            """)
        #expect(empty.contains("empty"))
    }

    @Test func loadGivesSquareImagesWithLabels() throws {
        let art = try makeArt()
        defer { try? FileManager.default.removeItem(at: art) }
        let report = try ImageFolder.check(art)
        let data = try ImageFolder.load(report, imageSize: 8, channels: 3)
        #expect(data.images.shape == [6, 8, 8, 3])
        #expect(data.labels == [0, 0, 0, 1, 1, 1])
        #expect(data.classNames == ["cats", "dogs"])
        #expect(data.sources == report.files.flatMap { $0 }.map(\.path))
        // Solid PNGs stay solid through resizing; a.png is composited on white exactly as Image.converted does it,
        // and grey b.PNG becomes (90, 90, 90). atol 1/255: one rounding step in resampling.
        let pixels = data.images.scalars
        let a = solid(1, 1, [200, 100, 50, 128]).converted(toChannels: 3).pixels.map { Float($0) / 255 }
        for (image, want) in [(0, a), (1, [90, 90, 90].map { Float($0) / 255 }), (2, [10, 20, 30].map { Float($0) / 255 })] {
            for p in 0..<64 {
                for c in 0..<3 { #expect(abs(pixels[image * 192 + p * 3 + c] - want[c]) <= 1 / 255) }
            }
        }
        let grey = try ImageFolder.load(report, imageSize: 5, channels: 1)
        #expect(grey.images.shape == [6, 5, 5, 1])
    }

    @Test func centreCropKeepsTheMiddle() {
        // 40x20: columns 0-9 black, 10-29 white, 30-39 black. Shorter side to 10 halves it (area filter), leaving
        // black 0-4, white 5-14, black 15-19; the middle 10 columns are all white.
        var image = Image(width: 40, height: 20, channels: 1, fill: 0)
        for y in 0..<20 { for x in 10..<30 { image.pixels[y * 40 + x] = 255 } }
        let out = ImageFolder.prepared(image, size: 10, channels: 1)
        #expect(out.width == 10 && out.height == 10)
        #expect(out.pixels.allSatisfy { $0 == 255 })
        let grown = ImageFolder.prepared(solid(3, 6, [7, 8, 9]), size: 12, channels: 3)   // enlarged: 12x24, cropped
        #expect(grown.width == 12 && grown.height == 12 && grown.channels == 3)
    }

    @Test func singleClassIsAnError() throws {
        let art = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: art) }
        try FileManager.default.createDirectory(at: art.appendingPathComponent("cats"), withIntermediateDirectories: true)
        try ImageFile.write(solid(16, 16, [128]), to: art.appendingPathComponent("cats/one.png"))
        try ImageFile.write(solid(16, 16, [128]), to: art.appendingPathComponent("loose.png"))
        let report = try ImageFolder.check(art)
        #expect(!report.isUsable)
        #expect(report.suggestedChannels == 1)
        let name = art.lastPathComponent
        #expect(report.description == """
            \(art.path): 1 class, 1 image
              cats  1
            error: Found only one class (cats). A classifier needs at least two: add another sub-folder (such as \(name)/others) with images of a different class.
            warning: Ignoring 1 image directly in the folder, outside any class folder: loose.png. Move each into the sub-folder of its class.
            This folder cannot be used for training until the error above is fixed.
            """)
        let error = #expect(throws: DataError.self) { try ImageFolder.load(report, imageSize: 8, channels: 1) }
        #expect(error?.problem == "cannot be used for training yet. Found only one class (cats). A classifier needs at least "
            + "two: add another sub-folder (such as \(name)/others) with images of a different class.")
    }

    @Test func emptyFolderIsAnError() throws {
        let art = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: art) }
        let report = try ImageFolder.check(art)
        #expect(report.problems.map(\.severity) == [.error])
        #expect(report.problems[0].message.hasPrefix("Found no class folders with images."))
    }

    @Test func unbalancedClassesAreNoted() throws {
        let art = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: art) }
        for (name, count) in [("big", 6), ("small", 2)] {
            try FileManager.default.createDirectory(at: art.appendingPathComponent(name), withIntermediateDirectories: true)
            for i in 0..<count { try ImageFile.write(solid(9, 9, [50]), to: art.appendingPathComponent("\(name)/\(i).png")) }
        }
        let report = try ImageFolder.check(art)
        #expect(report.problems.map(\.description) == ["note: The classes are unbalanced: big has 6 images, small only 2. "
            + "The model will lean towards the larger classes; add images to the smaller ones if you can."])
    }

    @Test func missingFolderOrAFileAreThrown() throws {
        let art = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: art) }
        let missing = art.appendingPathComponent("nope")
        let error = #expect(throws: DataError.self) { try ImageFolder.check(missing) }
        #expect(error?.description == "\(missing.path): There is no folder here. Check the path: it should name a folder "
            + "that holds one sub-folder per class, such as art/cats and art/dogs.")
        let file = art.appendingPathComponent("cat.png")
        try ImageFile.write(solid(8, 8, [1]), to: file)
        let fileError = #expect(throws: DataError.self) { try ImageFolder.check(file) }
        #expect(fileError?.problem == "is a file, not a folder. Give the folder that holds one sub-folder per class "
            + "(such as art/cats and art/dogs), not a file inside it.")
    }
}
