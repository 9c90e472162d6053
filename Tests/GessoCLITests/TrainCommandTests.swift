import Foundation
import GessoImages
import Testing

/// `gesso train classifier` and `gesso predict` end to end, on a tiny folder of generated pictures.
struct TrainCommandTests {
    /// Two classes an artist could draw: reddish squares and bluish squares with noise, 16x16, 12 a class, plus
    /// the kind of trouble real folders have (a zero-byte file, a text file, a hidden file).
    static func makeFolder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-cli-data-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        var g = SystemRandomNumberGenerator()
        for (name, colour) in [("red", [220, 40, 40]), ("blue", [40, 60, 220])] {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<12 {
                var pixels: [UInt8] = []
                for _ in 0..<(16 * 16) {
                    for c in colour { pixels.append(UInt8(clamping: c + Int.random(in: -40...40, using: &g))) }
                }
                try ImageFile.write(Image(width: 16, height: 16, channels: 3, pixels: pixels),
                                    to: folder.appendingPathComponent("\(name)\(i).\(i % 2 == 0 ? "png" : "JPG")"))
            }
        }
        FileManager.default.createFile(atPath: root.appendingPathComponent("red/empty.png").path, contents: Data())
        FileManager.default.createFile(atPath: root.appendingPathComponent("blue/notes.txt").path, contents: Data("hi".utf8))
        FileManager.default.createFile(atPath: root.appendingPathComponent("blue/.hidden.png").path, contents: Data("x".utf8))
        return root
    }

    @Test func trainPredictAndResumeOnAFolder() throws {
        let data = try Self.makeFolder()
        let run = data.deletingLastPathComponent().appendingPathComponent(data.lastPathComponent + "-run")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: run) }

        let r = try GessoCommandTests.run(["train", "classifier", "--data", data.path, "--epochs", "6", "--image-size", "16",
                                           "--batch-size", "6", "--validation-fraction", "0.25", "--out", run.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("empty.png"), "the check before training names the zero-byte file")
        #expect(r.output.contains("Training on 18 images, validating on 6: 2 classes (blue, red), 16x16x3"))
        for file in ["options.json", "options.txt", "metrics.csv", "loss.png", "accuracy.png", "confusion.png",
                     "validation.png", "checkpoint.safetensors", "best.safetensors", "classes.txt"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
        }
        let options = try String(contentsOf: run.appendingPathComponent("options.txt"), encoding: .utf8)
        #expect(options.contains("epochs = 6   *") && options.contains("seed = 1\n"))
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 7)
        #expect(r.errors.contains("epoch 6/6"), "progress goes to standard error")

        // Predict the class of a training picture.
        let p = try GessoCommandTests.run(["predict", "--run", run.path, "--json", data.appendingPathComponent("red/red3.JPG").path])
        #expect(p.status == 0, "stderr: \(p.errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(p.output.utf8)) as? [[String: Any]])
        let top = try #require((rows.first?["top"] as? [[String: Any]])?.first)
        #expect(top["class"] as? String == "red")

        // Resume to a seventh epoch: metrics gain a row, the step count carries on.
        let resumed = try GessoCommandTests.run(["train", "classifier", "--resume", "--epochs", "7", "--out", run.path])
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("Resuming \(run.path) at epoch 7, step 18"))
        let after = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(after.split(separator: "\n").count == 8)

        // A second run into the same folder is refused rather than overwriting it.
        let again = try GessoCommandTests.run(["train", "classifier", "--data", data.path, "--out", run.path])
        #expect(again.status == 1 && again.errors.contains("already holds a run"))
    }

    @Test func ctrlCSavesAndResumeFinishes() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-cli-stop-\(getpid())")
        defer { try? FileManager.default.removeItem(at: run) }
        // Wait until training has started (the first epoch's checkpoint or a second), then press Ctrl-C.
        let (status, text) = try GessoCommandTests.interrupt(["train", "classifier", "--data", "digits", "--epochs", "200",
                                                              "--out", run.path], after: 3)
        #expect(status == 0)
        #expect(text.contains("Stopped: saved"), "output: \(text)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint.safetensors").path))
        // Resuming with fewer epochs than already done says so and exits cleanly.
        let resumed = try GessoCommandTests.run(["train", "classifier", "--resume", "--epochs", "1", "--out", run.path])
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
    }

    @Test func badDataGivesAClearMessage() throws {
        let missing = try GessoCommandTests.run(["train", "classifier", "--data", "/no/such/folder", "--out", "/tmp/gesso-never"])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("/no/such/folder"))
        let oneClass = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-one-class-\(getpid())")
        defer { try? FileManager.default.removeItem(at: oneClass) }
        try FileManager.default.createDirectory(at: oneClass.appendingPathComponent("cats"), withIntermediateDirectories: true)
        try ImageFile.write(Image(width: 9, height: 9, channels: 1, fill: 3), to: oneClass.appendingPathComponent("cats/a.png"))
        let single = try GessoCommandTests.run(["train", "classifier", "--data", oneClass.path, "--out", oneClass.path + "-run"])
        #expect(single.status == 1)
        #expect(single.errors.contains("cannot be used for training yet"))
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-bad-\(getpid()).png")
        defer { try? FileManager.default.removeItem(at: corrupt) }
        try Data("not a picture".utf8).write(to: corrupt)
        let p = try GessoCommandTests.run(["predict", "--run", "/no/such/run", corrupt.path])
        #expect(p.status == 1 && p.errors.contains("/no/such/run/options.json"))
    }
}
