import Foundation
import GessoImages
import Testing

/// `gesso finetune`, `gesso predict` on its run, and `gesso gan score --fed`, end to end with the pre-trained
/// EfficientNet-Lite0 that `scripts/setup.sh` fetches (without it these commands fail, saying to run it).
struct FinetuneCommandTests {
    /// Few-shot: 5 noisy reddish and 5 noisy bluish 32x32 pictures.
    static func makeFolder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-ft-data-\(getpid())")
        var g = SystemRandomNumberGenerator()
        for (name, colour) in [("red", [220, 40, 40]), ("blue", [40, 60, 220])] {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<5 {
                var pixels: [UInt8] = []
                for _ in 0..<(32 * 32) { for c in colour { pixels.append(UInt8(clamping: c + Int.random(in: -40...40, using: &g))) } }
                try ImageFile.write(Image(width: 32, height: 32, channels: 3, pixels: pixels),
                                    to: folder.appendingPathComponent("\(name)\(i).png"))
            }
        }
        return root
    }

    @Test func finetunePredictResumeAndScore() throws {
        let data = try Self.makeFolder()
        let run = data.deletingLastPathComponent().appendingPathComponent(data.lastPathComponent + "-run")
        let gan = data.deletingLastPathComponent().appendingPathComponent(data.lastPathComponent + "-gan")
        defer { for u in [data, run, gan] { try? FileManager.default.removeItem(at: u) } }

        let r = try GessoCommandTests.run(["finetune", "--data", data.path, "--epochs", "20", "--out", run.path])
        try #require(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("Computing the embeddings of 10 images"))
        #expect(r.output.contains("Training the head on 8 embeddings, validating on 2: 2 classes (blue, red)"))
        for file in ["options.json", "options.txt", "classes.txt", "embeddings.npy", "embeddings.txt", "metrics.csv", "loss.png",
                     "accuracy.png", "confusion.png", "validation.png", "checkpoint.safetensors", "best.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
        }
        let options = try String(contentsOf: run.appendingPathComponent("options.txt"), encoding: .utf8)
        #expect(options.contains("epochs = 20   *") && options.contains("base = efficientnet-lite0\n"))
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 21)
        #expect(r.errors.contains("head ["), "progress goes to standard error")

        let p = try GessoCommandTests.run(["predict", "--run", run.path, "--json", data.appendingPathComponent("red/red3.png").path])
        try #require(p.status == 0, "stderr: \(p.errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(p.output.utf8)) as? [[String: Any]])
        #expect((rows.first?["top"] as? [[String: Any]])?.first?["class"] as? String == "red")

        // Resume: the embeddings come from the cache, metrics gain rows, the step count carries on (1 step an epoch).
        let resumed = try GessoCommandTests.run(["finetune", "--resume", "--epochs", "25", "--out", run.path])
        try #require(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("Embeddings of 10 images: cached"))
        #expect(resumed.output.contains("Resuming \(run.path) at epoch 21, step 20"))
        let after = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(after.split(separator: "\n").count == 26)

        let again = try GessoCommandTests.run(["finetune", "--data", data.path, "--out", run.path])
        #expect(again.status == 1 && again.errors.contains("already holds a run"))
        let tooMany = try GessoCommandTests.run(["finetune", "--data", data.path, "--unfreeze", "9", "--out", run.path])
        #expect(tooMany.status != 0 && tooMany.errors.contains("--unfreeze must be between 0"))

        // The last 2 blocks trained too: features cached at block 14's input, and predict rebuilds the whole network.
        let deep = run.appendingPathExtension("deep")
        defer { try? FileManager.default.removeItem(at: deep) }
        let u = try GessoCommandTests.run(["finetune", "--data", data.path, "--unfreeze", "2", "--epochs", "4", "--out", deep.path])
        try #require(u.status == 0, "stderr: \(u.errors)")
        #expect(u.output.contains("Computing the block 14 features of 10 images"))
        #expect(u.output.contains("Training the head and the last 2 blocks on 8 embeddings"))
        #expect(FileManager.default.fileExists(atPath: deep.appendingPathComponent("features-block14.npy").path))
        let up = try GessoCommandTests.run(["predict", "--run", deep.path, "--json", data.appendingPathComponent("blue/blue1.png").path])
        try #require(up.status == 0, "stderr: \(up.errors)")
        let deepRows = try #require(try JSONSerialization.jsonObject(with: Data(up.output.utf8)) as? [[String: Any]])
        #expect(["red", "blue"].contains((deepRows.first?["top"] as? [[String: Any]])?.first?["class"] as? String))

        // The Frechet embedding distance of a (barely trained) GAN's samples to the real pictures.
        let t = try GessoCommandTests.run(["gan", "train", data.path, "--size", "16", "--epochs", "1", "--batch-size", "5",
                                           "--out", gan.path])
        try #require(t.status == 0, "stderr: \(t.errors)")
        let s = try GessoCommandTests.run(["gan", "score", "--run", gan.path, "--fed", data.path, "--fed-samples", "6"])
        try #require(s.status == 0, "stderr: \(s.errors)")
        #expect(s.output.contains("Frechet embedding distance (EfficientNet-Lite0, 6 samples vs 10 real images): "))
        let score = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: gan.appendingPathComponent("score.json")))
                                 as? [String: Any])
        let fed = try #require(score["fed"] as? Double)
        #expect(fed > 0 && fed.isFinite)
        let neither = try GessoCommandTests.run(["gan", "score", "--run", gan.path])
        #expect(neither.status != 0 && neither.errors.contains("--classifier RUN, --fed FOLDER"))
    }
}
