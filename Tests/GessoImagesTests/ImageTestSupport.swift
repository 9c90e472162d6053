import Foundation
import Testing
@testable import GessoImages

/// Fixture files and comparisons for the image-file tests. The fixtures are described in Fixtures/README.md
/// and made by Fixtures/make_fixtures.py.
enum ImageFixtures {
    /// The folder beside this file that holds the fixtures (so a fresh clone has them).
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func read(_ name: String) throws -> Image { try ImageFile.read(url(name)) }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }

    /// chelsea.png's pixels as raw bytes (160x106 RGB), written by Pillow beside the PNG.
    static func chelsea() throws -> Image {
        Image(width: 160, height: 106, channels: 3, pixels: try bytes("chelsea.rgb"))
    }

    /// camera.png's pixels as raw bytes (128x128 grey), written by Pillow beside the PNG.
    static func camera() throws -> Image {
        Image(width: 128, height: 128, channels: 1, pixels: try bytes("camera.gray"))
    }

    /// The alpha pattern of the *-alpha fixtures (the same formula as make_fixtures.py's alpha_at).
    static func alpha(x: Int, y: Int) -> UInt8 { UInt8((7 * x + 3 * y) % 256) }

    /// A fresh empty folder under the system's temporary folder; the caller removes it.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The mean of |a - b| over all bytes, on the 0...255 scale. The shapes must match.
    static func meanAbsoluteDifference(_ a: Image, _ b: Image) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.channels == b.channels,
                     "meanAbsoluteDifference: \(a.width)x\(a.height)x\(a.channels) vs \(b.width)x\(b.height)x\(b.channels)")
        var total = 0
        for i in 0..<a.pixels.count { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(total) / Double(max(a.pixels.count, 1))
    }
}

/// Checks the size and channels first, then that the mean absolute difference is at most `tolerance`.
func expectImagesClose(_ got: Image, _ want: Image, meanAbsoluteDifference tolerance: Double, _ what: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.width == want.width, got.height == want.height, got.channels == want.channels else {
        Issue.record("\(what): got \(got.width)x\(got.height)x\(got.channels), want \(want.width)x\(want.height)x\(want.channels)",
                     sourceLocation: sourceLocation)
        return
    }
    let difference = ImageFixtures.meanAbsoluteDifference(got, want)
    #expect(difference <= tolerance, "\(what): mean |got - want| = \(difference), allowed \(tolerance)",
            sourceLocation: sourceLocation)
}

/// Checks the size and channels first, then every byte; reports the first differing pixel.
func expectImagesIdentical(_ got: Image, _ want: Image, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.width == want.width, got.height == want.height, got.channels == want.channels else {
        Issue.record("\(what): got \(got.width)x\(got.height)x\(got.channels), want \(want.width)x\(want.height)x\(want.channels)",
                     sourceLocation: sourceLocation)
        return
    }
    if let i = got.pixels.indices.first(where: { got.pixels[$0] != want.pixels[$0] }) {
        let pixel = i / got.channels
        let message = "\(what): pixel (\(pixel % got.width), \(pixel / got.width)) channel \(i % got.channels) is "
            + "\(got.pixels[i]), want \(want.pixels[i])"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// Checks that `body` throws an `ImageError` whose path is `path`, and returns it.
@discardableResult
func expectImageError(path: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () throws -> Void) -> ImageError? {
    do {
        try body()
        Issue.record("\(what): no error thrown", sourceLocation: sourceLocation)
    } catch let error as ImageError {
        #expect(error.path == path, "\(what): the error names \(error.path)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(what): threw \(error), not an ImageError", sourceLocation: sourceLocation)
    }
    return nil
}
