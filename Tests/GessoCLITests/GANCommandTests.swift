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
                                           "--out", run.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
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

    @Test func aMissingFolderOrRunIsNamed() throws {
        let r = try GessoCommandTests.run(["gan", "train", "/no/such/pictures", "--out", "/tmp/gesso-gan-never"])
        #expect(r.status == 1 && r.errors.contains("/no/such/pictures"))
        let s = try GessoCommandTests.run(["gan", "sample", "--run", "/no/such/run"])
        #expect(s.status == 1 && s.errors.contains("/no/such/run/options.json"))
    }
}
