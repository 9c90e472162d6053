import Foundation
import GessoImages
import Testing

/// `gesso pix2pix`, `gesso cyclegan` and `gesso translate` end to end on tiny generated folders.
struct TranslationCommandTests {
    static func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gesso-\(name)-\(getpid())")
    }

    /// A 20x20 picture of a blob at a place set by `i`, in a colour set by `tone`.
    static func blob(_ i: Int, tone: UInt8, size: Int = 20) -> Image {
        var image = Image(width: size, height: size, channels: 3, fill: 255)
        let cx = 5 + i % 10, cy = 5 + (i * 7) % 10
        for y in 0..<size { for x in 0..<size where (x - cx) * (x - cx) + (y - cy) * (y - cy) < 20 {
            image.pixels[(y * size + x) * 3] = tone; image.pixels[(y * size + x) * 3 + 1] = 255 - tone
        } }
        return image
    }

    static func exists(_ url: URL, _ path: String) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path) }

    @Test func pix2pixTrainResumeScoreAndTranslate() throws {
        let data = Self.folder("p2p-data"), run = Self.folder("p2p-run"), out = Self.folder("p2p-out")
        defer { for f in [data, run, out] { try? FileManager.default.removeItem(at: f) } }
        // Side-by-side pairs: a blob's outline | the blob, in sub-folders, plus one unreadable file.
        try FileManager.default.createDirectory(at: data.appendingPathComponent("set/more"), withIntermediateDirectories: true)
        for i in 0..<6 {
            let b = Self.blob(i, tone: 200)
            var pair = Image(width: 40, height: 20, channels: 3, fill: 255)
            pair.paste(b.edges(), x: 0, y: 0)
            pair.paste(b, x: 20, y: 0)
            try ImageFile.write(pair, to: data.appendingPathComponent(i < 3 ? "set/\(i).png" : "set/more/\(i).png"))
        }
        try Data("broken".utf8).write(to: data.appendingPathComponent("set/broken.png"))

        let r = try GessoCommandTests.run(["pix2pix", "train", data.path, "--size", "32", "--load-size", "36", "--width", "4",
                                           "--epochs", "1", "--out", run.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("Training pix2pix on 6 pairs, 32x32x3"))
        #expect(r.output.contains("skipped (unreadable): \(data.path)/set/broken.png"))
        for f in ["options.json", "options.txt", "metrics.csv", "losses.png", "samples.png", "samples/epoch-001.png", "checkpoint.safetensors"] {
            #expect(Self.exists(run, f), "missing \(f)")
        }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(metrics.hasPrefix("epoch,step,D,G_GAN,G_L1,seconds\n1,6,"))
        // The options file marks what differs from the defaults.
        #expect(try String(contentsOf: run.appendingPathComponent("options.txt"), encoding: .utf8).contains("width"))

        let again = try GessoCommandTests.run(["pix2pix", "train", data.path, "--size", "32", "--out", run.path])
        #expect(again.status == 1 && again.errors.contains("already holds a run"))
        let resumed = try GessoCommandTests.run(["pix2pix", "train", "--resume", "--epochs", "2", "--out", run.path])
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("Resuming \(run.path) at epoch 2, step 6") && Self.exists(run, "samples/epoch-002.png"))

        // Score against the pairs themselves (a folder run has no held-out split of its own).
        let s = try GessoCommandTests.run(["pix2pix", "score", "--run", run.path, data.path])
        #expect(s.status == 0, "stderr: \(s.errors)")
        #expect(s.output.contains("L1 to 6 held-out targets") && s.output.contains("mean-image baseline"))
        #expect(Self.exists(run, "score.json") && Self.exists(run, "score.png"))
        let noSplit = try GessoCommandTests.run(["pix2pix", "score", "--run", run.path])
        #expect(noSplit.status == 1 && noSplit.errors.contains("no held-out split"))

        // translate: a folder keeps its names and sub-folders; a larger --size works (fully convolutional).
        let inputs = data.appendingPathComponent("set")
        let t = try GessoCommandTests.run(["translate", "--run", run.path, inputs.path, "--out", out.path, "--size", "64"])
        #expect(t.status == 0, "stderr: \(t.errors)")
        #expect(t.output.contains("Translated 6 of 7 images (A to B)"))
        for f in ["0.png", "2.png", "more/3.png", "more/5.png"] { #expect(Self.exists(out, f), "missing \(f)") }
        #expect(try ImageFile.read(out.appendingPathComponent("0.png")).height == 64)
        let wrongWay = try GessoCommandTests.run(["translate", "--run", run.path, "--direction", "BtoA", inputs.path, "--out", out.path])
        #expect(wrongWay.status == 1 && wrongWay.errors.contains("learned AtoB only"))
    }

    @Test func cycleGANTrainInterruptResumeTranslate() throws {
        let a = Self.folder("cg-a"), b = Self.folder("cg-b"), run = Self.folder("cg-run"), out = Self.folder("cg-out")
        defer { for f in [a, b, run, out] { try? FileManager.default.removeItem(at: f) } }
        try FileManager.default.createDirectory(at: a, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: b.appendingPathComponent("deep"), withIntermediateDirectories: true)
        // Any sizes and counts: 5 images of 20x20 in A, 3 of 24x24 in B.
        for i in 0..<5 { try ImageFile.write(Self.blob(i, tone: 30), to: a.appendingPathComponent("a\(i).png")) }
        for i in 0..<3 { try ImageFile.write(Self.blob(i, tone: 220, size: 24), to: b.appendingPathComponent("deep/b\(i).jpg")) }

        let args = ["cyclegan", "train", a.path, b.path, "--size", "32", "--width", "2", "--blocks", "1", "--epochs", "2",
                    "--decay-epochs", "1", "--out", run.path]
        let r = try GessoCommandTests.run(args)
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("Training CycleGAN on 5 images of A and 3 of B, 32x32x3"))
        for f in ["samples/epoch-001.png", "samples/epoch-002.png", "metrics.csv", "losses.png", "checkpoint.safetensors"] {
            #expect(Self.exists(run, f), "missing \(f)")
        }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(metrics.hasPrefix("epoch,step,D_A,D_B,G_AB,G_BA,cycle_A,cycle_B,idt_A,idt_B,seconds\n1,5,"))

        // Both directions; names kept (a .jpg stays a .jpg).
        let ab = try GessoCommandTests.run(["translate", "--run", run.path, "--direction", "AtoB", a.path, "--out", out.path])
        #expect(ab.status == 0 && ab.output.contains("Translated 5 of 5 images (A to B)"), "stderr: \(ab.errors)")
        let ba = try GessoCommandTests.run(["translate", "--run", run.path, "--direction", "BtoA", b.appendingPathComponent("deep/b1.jpg").path,
                                            "--out", out.path])
        #expect(ba.status == 0, "stderr: \(ba.errors)")
        #expect(Self.exists(out, "a4.png") && Self.exists(out, "b1.jpg"))

        // Ctrl-C during a longer run saves where it stopped; --resume continues from there.
        let long = Self.folder("cg-long")
        defer { try? FileManager.default.removeItem(at: long) }
        let stopped = try GessoCommandTests.interrupt(["cyclegan", "train", a.path, b.path, "--size", "32", "--width", "2", "--blocks", "1",
                                                       "--epochs", "5000", "--identity-weight", "0", "--out", long.path], after: 4)
        #expect(stopped.status == 0 && stopped.output.contains("Stopped after"), "output: \(stopped.output)")
        #expect(try String(contentsOf: long.appendingPathComponent("options.txt"), encoding: .utf8).contains("identityWeight = 0.0   *"))
        let cont = try GessoCommandTests.run(["cyclegan", "train", "--resume", "--minutes", "0.01", "--out", long.path])
        #expect(cont.status == 0 && cont.output.contains("Resuming") && cont.output.contains("Time is up"), "stderr: \(cont.errors)")
    }

    @Test func badInputGetsClearMessages() throws {
        let missing = try GessoCommandTests.run(["cyclegan", "train", "/no/such/a", "/no/such/b", "--out", Self.folder("cg-x").path])
        #expect(missing.status == 1 && missing.errors.contains("/no/such/a: does not exist"))
        let oneFolder = try GessoCommandTests.run(["cyclegan", "train", "/tmp", "--out", Self.folder("cg-y").path])
        #expect(oneFolder.status != 0 && oneFolder.errors.contains("folder of domain B"))
        let crop = try GessoCommandTests.run(["pix2pix", "train", "edges2emoji", "--size", "64", "--load-size", "48", "--out", Self.folder("p-z").path])
        #expect(crop.status != 0 && crop.errors.contains("--load-size 48 is smaller than --size 64"))
        // Images smaller than the crop, with --preprocess crop: the file is named.
        let small = Self.folder("small"), run = Self.folder("small-run")
        defer { try? FileManager.default.removeItem(at: small); try? FileManager.default.removeItem(at: run) }
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        try ImageFile.write(Self.blob(1, tone: 9), to: small.appendingPathComponent("tiny.png"))
        let c = try GessoCommandTests.run(["cyclegan", "train", small.path, small.path, "--size", "32", "--preprocess", "crop", "--out", run.path])
        #expect(c.status == 1 && c.errors.contains("tiny.png") && c.errors.contains("smaller than the 32x32 crop"))
        let noRun = try GessoCommandTests.run(["translate", "--run", "/no/run", "/tmp", "--out", "/tmp/x"])
        #expect(noRun.status == 1 && noRun.errors.contains("options.json is missing or damaged"))
        let noResume = try GessoCommandTests.run(["cyclegan", "train", "--resume", "--out", Self.folder("nothing").path])
        #expect(noResume.status == 1 && noResume.errors.contains("holds no checkpoint to resume"))
    }

    @Test func demoDataFolders() throws {
        let out = Self.folder("demo-data")
        defer { try? FileManager.default.removeItem(at: out) }
        let e = try GessoCommandTests.run(["data", "edges2emoji", out.appendingPathComponent("e").path, "--size", "16"])
        #expect(e.status == 0 && e.output.contains("held-out pairs"), "stderr: \(e.errors)")
        let pair = try ImageFile.read(out.appendingPathComponent("e/test/0023.png"))
        #expect(pair.width == 32 && pair.height == 16)
        let s = try GessoCommandTests.run(["data", "smileys-animals", out.appendingPathComponent("s").path, "--size", "16"])
        #expect(s.status == 0 && s.output.contains("Wrote 64 + 51 training and 16 + 13 held-out images"), "stderr: \(s.errors)")
        #expect(Self.exists(out, "s/train/smileys/1F601.png") && Self.exists(out, "s/test/animals/1F400.png"))
    }
}
