import Foundation
import GessoImages
import TensorCore
import Testing

/// `gesso classify` and `gesso embed` end to end, with the pre-trained EfficientNet-Lite0 that `scripts/setup.sh`
/// fetches (without it the commands fail, and these tests with them, saying to run it).
struct ClassifyCommandTests {
    /// scikit-image's chelsea (a cat) and coffee (an espresso), 256 px high (see their README for the licence).
    static let photos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GessoModelsTests/Fixtures/photos")

    @Test func classifyNamesImageNetClasses() throws {
        let chelsea = Self.photos.appendingPathComponent("chelsea.jpg").path
        let coffee = Self.photos.appendingPathComponent("coffee.jpg").path
        let r = try GessoCommandTests.run(["classify", "--json", "--top", "3", chelsea, coffee])
        try #require(r.status == 0, "stderr: \(r.errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["image"] as? String } == [chelsea, coffee])
        let tops = rows.map { ($0["top"] as? [[String: Any]]) ?? [] }
        #expect(tops.map(\.count) == [3, 3])
        // PyTorch on the same crops: chelsea 282 "tiger cat" 38%, coffee 967 "espresso" 88%.
        let cat = try #require(tops[0].first?["index"] as? Int)
        #expect((281...285).contains(cat), "chelsea: \(tops[0])")
        #expect(tops[1].first?["class"] as? String == "espresso", "coffee: \(tops[1])")
        let p = tops[1].compactMap { $0["probability"] as? Double }
        #expect(p.count == 3 && p[0] > 0.5 && p[0] >= p[1] && p[1] >= p[2])

        // An unreadable file is named, the others still classified, and the exit status is not 0.
        let bad = try GessoCommandTests.run(["classify", coffee, "/nonexistent-gesso/photo.jpg"])
        #expect(bad.status == 1)
        #expect(bad.errors.contains("/nonexistent-gesso/photo.jpg"))
        #expect(bad.output.contains("espresso"))
    }

    @Test func embedWritesOneRowPerImage() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-embed-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("in/sub")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.photos.appendingPathComponent("coffee.jpg"),
                                         to: folder.appendingPathComponent("coffee.jpg"))
        FileManager.default.createFile(atPath: root.appendingPathComponent("in/broken.png").path, contents: Data("x".utf8))
        let out = root.appendingPathComponent("features.npy")
        let r = try GessoCommandTests.run(["embed", root.appendingPathComponent("in").path, "--out", out.path])
        try #require(r.status == 0, "stderr: \(r.errors)")
        #expect(r.errors.contains("broken.png"), "the unreadable file is named")
        #expect(r.errors.contains("embed ["), "progress goes to standard error")
        let list = try String(contentsOf: root.appendingPathComponent("features.txt"), encoding: .utf8)
        #expect(list == "sub/coffee.jpg\n")
        let features = try NumpyFile.read(out)
        #expect(features.shape == [1, 1280])
        // After ReLU6 and an average: every feature lies in [0, 6].
        #expect(features.scalars.allSatisfy { $0 >= 0 && $0 <= 6 })

        let missing = try GessoCommandTests.run(["embed", "/nonexistent-gesso-folder"])
        #expect(missing.status == 1 && missing.errors.contains("/nonexistent-gesso-folder"))
    }
}
