import Foundation
import GessoImages
import Testing

/// `gesso gan ...` end to end on a tiny generated folder.
struct GANCommandTests {
    @Test func trainSampleInterpolateArithmeticResume() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-gan-data-\(getpid())")
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-gan-run-\(getpid())")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: run) }
        // 24 soft blobs at any depth (sub-folders allowed), plus an unreadable file that must be skipped by name.
        try FileManager.default.createDirectory(at: data.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        for i in 0..<24 {
            var pixels = [UInt8](repeating: 255, count: 20 * 20 * 3)
            let cx = 5 + i % 10, cy = 5 + (i * 7) % 10
            for y in 0..<20 { for x in 0..<20 where (x - cx) * (x - cx) + (y - cy) * (y - cy) < 16 {
                pixels[(y * 20 + x) * 3] = UInt8(40 + 8 * i); pixels[(y * 20 + x) * 3 + 2] = 200
            } }
            try ImageFile.write(Image(width: 20, height: 20, channels: 3, pixels: pixels),
                                to: data.appendingPathComponent(i % 2 == 0 ? "a/\(i).png" : "a/b/\(i).png"))
        }
        try Data("broken".utf8).write(to: data.appendingPathComponent("a/broken.png"))

        let r = try GessoCommandTests.run(["gan", "train", data.path, "--size", "16", "--epochs", "2", "--batch-size", "8",
                                           "--width", "8", "--out", run.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
        // --width 8: G 100->16 (4x4) + BN, 16->8 + BN, 8->3; D 3->8, 8->16 + BN, 16->1. Resuming below needs it recorded.
        #expect(r.output.contains("Generator 28080 parameters, discriminator 2720."), "\(r.output)")
        #expect(r.output.contains("skipped (unreadable): \(data.path)/a/broken.png"))
        #expect(r.output.contains("Training a dcgan GAN on 24 images of 16x16x3"))
        for file in ["options.json", "options.txt", "metrics.csv", "losses.png", "samples.png", "samples/epoch-001.png",
                     "samples/epoch-002.png", "checkpoint.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
        }
        // The fixed noise makes every epoch's grid comparable: 64 samples, 8 columns.
        let grid = try ImageFile.read(run.appendingPathComponent("samples/epoch-002.png"))
        #expect(grid.width > 8 * 64 && grid.height > 8 * 64)

        let s = try GessoCommandTests.run(["gan", "sample", "--run", run.path, "--count", "3", "--seed", "7"])
        #expect(s.status == 0, "stderr: \(s.errors)")
        let sampleFolder = run.appendingPathComponent("samples-seed-7")
        for f in ["grid.png", "seed-7.png", "seed-9.png", "seed-8.npy"] {
            #expect(FileManager.default.fileExists(atPath: sampleFolder.appendingPathComponent(f).path), "missing \(f)")
        }
        // Interpolation's end frames are exactly the samples of the two seeds.
        let i = try GessoCommandTests.run(["gan", "interpolate", "--run", run.path, "--from", "7", "--to", "8", "--steps", "4"])
        #expect(i.status == 0, "stderr: \(i.errors)")
        let gif = try Data(contentsOf: run.appendingPathComponent("interpolate-7-8/linear.gif"))
        #expect(gif.prefix(6) == Data("GIF89a".utf8))
        let strip = try ImageFile.read(run.appendingPathComponent("interpolate-7-8/linear.png"))
        let seed7 = try ImageFile.read(sampleFolder.appendingPathComponent("seed-7.png"))
        #expect(strip.height >= seed7.height * 4)

        let a = try GessoCommandTests.run(["gan", "arithmetic", "--run", run.path, "g1,g2 - 5 + 7,8"])
        #expect(a.status == 0, "stderr: \(a.errors)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("arithmetic.png").path))
        let bad = try GessoCommandTests.run(["gan", "arithmetic", "--run", run.path, "g1 - x9"])
        #expect(bad.status == 1 && bad.errors.contains("x9 is neither a seed"))

        let resumed = try GessoCommandTests.run(["gan", "train", "--resume", "--epochs", "3", "--out", run.path])
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("Resuming \(run.path) at epoch 3, step 6"))
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("samples/epoch-003.png").path))
    }

    /// `gan score --classifier` on Fashion-MNIST: confidence and shares of the samples, the same on real test images as
    /// the yardstick, score.json; and a classifier of the wrong kind of images is refused by name.
    @Test func scoreWithAClassifier() throws {
        try #require(FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
                     "Fashion-MNIST is not installed: run `bash scripts/setup.sh` (or `sudo apt-get install dataset-fashion-mnist`)")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-gan-score-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        let classifier = base.appendingPathComponent("classifier").path, gan = base.appendingPathComponent("gan").path
        let c = try GessoCommandTests.run(["train", "classifier", "--data", "fashion-mnist", "--limit", "2000", "--epochs", "3",
                                           "--out", classifier])
        try #require(c.status == 0, "stderr: \(c.errors)")
        let g = try GessoCommandTests.run(["gan", "train", "fashion-mnist", "--limit", "64", "--size", "16", "--width", "4",
                                           "--epochs", "1", "--batch-size", "32", "--out", gan])
        try #require(g.status == 0, "stderr: \(g.errors)")
        let s = try GessoCommandTests.run(["gan", "score", "--run", gan, "--classifier", classifier, "--count", "300"])
        try #require(s.status == 0, "stderr: \(s.errors)")
        #expect(s.output.contains("Mean top-class confidence over 300 samples: "))
        #expect(s.output.contains("Real images for comparison (300 Fashion-MNIST test images, resized as in training): confidence "))
        let score = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gan + "/score.json")))
                                 as? [String: Any])
        let shares = try #require(score["classShares"] as? [String: Double])
        #expect(shares.count == 10 && abs(shares.values.reduce(0, +) - 1) < 1e-9)
        let real = try #require(score["realImages"] as? [String: Any])
        let realConfidence = try #require(real["meanConfidence"] as? Double)
        let fakeConfidence = try #require(score["meanConfidence"] as? Double)
        // Three epochs on 2,000 images (about 80% accurate) are surer of real garments (0.69 when written) than of the
        // noise of a GAN that took two steps (0.36).
        #expect(realConfidence > 0.5 && realConfidence > fakeConfidence + 0.1, "real \(realConfidence), samples \(fakeConfidence)")
        #expect(real["images"] as? Int == 300 && real["part"] as? String == "Fashion-MNIST test")

        // At 32x32 the 28x28 garments are framed in black rather than stretched (recorded for --resume), and the score
        // crops the frame off: the real images reach the classifier untouched, surer than squeezed to 16 and back.
        let framed = base.appendingPathComponent("framed").path
        let f = try GessoCommandTests.run(["gan", "train", "fashion-mnist", "--limit", "64", "--size", "32", "--width", "4",
                                           "--epochs", "1", "--batch-size", "32", "--out", framed])
        try #require(f.status == 0, "stderr: \(f.errors)")
        let options = try String(contentsOfFile: framed + "/options.json", encoding: .utf8)
        #expect(options.contains("\"border\" : 2"), "options.json: \(options)")
        let fs = try GessoCommandTests.run(["gan", "score", "--run", framed, "--classifier", classifier, "--count", "300"])
        try #require(fs.status == 0, "stderr: \(fs.errors)")
        #expect(fs.output.contains("Real images for comparison (300 Fashion-MNIST test images, framed and cropped as in training)"))
        let framedScore = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: framed + "/score.json")))
                                       as? [String: Any])
        let untouched = try #require((framedScore["realImages"] as? [String: Any])?["meanConfidence"] as? Double)
        #expect(untouched > realConfidence, "untouched \(untouched), through 16x16 \(realConfidence)")
        // What the run draws comes without the frame: 28x28, as the data set's pictures.
        let drawn = try GessoCommandTests.run(["gan", "sample", "--run", framed, "--count", "2", "--seed", "7"])
        try #require(drawn.status == 0, "stderr: \(drawn.errors)")
        let picture = try ImageFile.read(URL(fileURLWithPath: framed + "/samples-seed-7/seed-8.png"))
        #expect(picture.width == 28 && picture.height == 28)

        let colour = base.appendingPathComponent("colour").path
        let cg = try GessoCommandTests.run(["gan", "train", "fashion-mnist", "--channels", "3", "--limit", "32", "--size", "16",
                                            "--width", "4", "--epochs", "1", "--batch-size", "16", "--out", colour])
        try #require(cg.status == 0, "stderr: \(cg.errors)")
        let wrong = try GessoCommandTests.run(["gan", "score", "--run", colour, "--classifier", classifier])
        #expect(wrong.status == 1 && wrong.errors.contains("the classifier sees 1-channel images but the GAN makes 3-channel ones"))
    }

    /// --block trains on one Unicode block of the emoji and, with --label-smoothing and --minibatch-deviation, is recorded
    /// for --resume; wrong uses are refused plainly.
    @Test func emojiBlockAndOptionChecks() throws {
        try #require(FileManager.default.fileExists(atPath: "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
                     "the emoji font is missing: install it with `sudo apt-get install fonts-noto-color-emoji`")
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-gan-animals-\(getpid())")
        defer { try? FileManager.default.removeItem(at: run) }
        let r = try GessoCommandTests.run(["gan", "train", "emoji", "--block", "animals", "--size", "16", "--width", "4",
                                           "--epochs", "1", "--batch-size", "32", "--label-smoothing", "0.1", "--minibatch-deviation",
                                           "--out", run.path])
        try #require(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("Training a dcgan GAN on 64 images of 16x16x3"))
        let resumed = try GessoCommandTests.run(["gan", "train", "--resume", "--epochs", "2", "--out", run.path])
        #expect(resumed.status == 0 && resumed.output.contains("on 64 images"), "stderr: \(resumed.errors)")
        let options = try String(contentsOf: run.appendingPathComponent("options.txt"), encoding: .utf8)
        #expect(options.contains("block = animals   *") && options.contains("labelSmoothing = 0.1   *")
                && options.contains("minibatchDeviation = true   *"), "\(options)")
        for (args, message) in [(["mnist", "--block", "smileys"], "--block picks emoji"),
                                (["emoji", "--block", "fish"], "--block must be smileys or animals, got fish"),
                                (["emoji", "--loss", "lsgan", "--label-smoothing", "0.1"], "--label-smoothing is for --loss minimax"),
                                (["emoji", "--label-smoothing", "0.6"], "--label-smoothing must be at least 0 and below 0.5"),
                                (["emoji", "--width", "2"], "--width must be between 4 and 512, got 2"),
                                (["emoji", "--model", "mlp", "--minibatch-deviation"], "--minibatch-deviation is for --model dcgan")] {
            let bad = try GessoCommandTests.run(["gan", "train"] + args + ["--out", run.path + "-never"])
            #expect(bad.status != 0 && bad.errors.contains(message), "\(args): \(bad.errors)")
        }
    }

    @Test func aMissingFolderOrRunIsNamed() throws {
        let r = try GessoCommandTests.run(["gan", "train", "/no/such/pictures", "--out", "/tmp/gesso-gan-never"])
        #expect(r.status == 1 && r.errors.contains("/no/such/pictures"))
        let s = try GessoCommandTests.run(["gan", "sample", "--run", "/no/such/run"])
        #expect(s.status == 1 && s.errors.contains("/no/such/run/options.json"))
    }
}
