import Foundation
import GessoImages
import Testing

/// `gesso dqn ...` end to end with a few dozen steps.
struct DQNCommandTests {
    @Test func trainResumePlay() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-dqn-run-\(getpid())")
        defer { try? FileManager.default.removeItem(at: run) }
        let r = try GessoCommandTests.run(["dqn", "train", "--steps", "80", "--learning-starts", "40", "--replay", "1000",
                                           "--out", run.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("Done at step 80"))
        for file in ["options.txt", "metrics.csv", "scores.png", "checkpoint.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
        }
        let again = try GessoCommandTests.run(["dqn", "train", "--steps", "10", "--out", run.path])
        #expect(again.status == 1 && again.errors.contains("already holds a run"))

        let resumed = try GessoCommandTests.run(["dqn", "train", "--resume", "--steps", "100", "--out", run.path])
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("Resuming \(run.path) at step 80") && resumed.output.contains("Done at step 100"))

        let gif = run.appendingPathComponent("play.gif")
        let p = try GessoCommandTests.run(["dqn", "play", "--run", run.path, "--episodes", "2", "--max-steps", "40", "--gif", gif.path])
        #expect(p.status == 0, "stderr: \(p.errors)")
        #expect(p.output.contains("greedy policy, 2 episodes: mean score"))
        #expect(try Data(contentsOf: gif).prefix(6) == Data("GIF89a".utf8))

        let random = try GessoCommandTests.run(["dqn", "play", "--random", "--episodes", "3"])
        #expect(random.status == 0 && random.output.contains("random (flap probability 0.50) policy, 3 episodes"))
    }

    @Test func ctrlCSavesAndResumeContinues() throws {
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-dqn-stop-\(getpid())")
        defer { try? FileManager.default.removeItem(at: run) }
        let (status, text) = try GessoCommandTests.interrupt(["dqn", "train", "--steps", "1000000", "--learning-starts", "40",
                                                              "--replay", "1000", "--out", run.path], after: 3)
        #expect(status == 0)
        let stopped = try #require(text.range(of: #"Stopped at step (\d+)"#, options: .regularExpression), "output: \(text)")
        let step = try #require(Int(text[stopped].split(separator: " ").last!))
        let resumed = try GessoCommandTests.run(["dqn", "train", "--resume", "--steps", "\(step + 10)", "--out", run.path])
        #expect(resumed.status == 0, "stderr: \(resumed.errors)")
        #expect(resumed.output.contains("Resuming \(run.path) at step \(step)") && resumed.output.contains("Done at step \(step + 10)"))
    }

    @Test func badRunsAreClearErrors() throws {
        let missing = try GessoCommandTests.run(["dqn", "play", "--run", "/nonexistent/run"])
        #expect(missing.status == 1 && missing.errors.contains("/nonexistent/run/checkpoint.safetensors does not exist"))
        let noRun = try GessoCommandTests.run(["dqn", "train", "--resume", "--steps", "5", "--out", "/nonexistent/run"])
        #expect(noRun.status == 1 && noRun.errors.contains("there is no run to resume"))

        let run = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-dqn-bad-\(getpid())")
        defer { try? FileManager.default.removeItem(at: run) }
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try Data("not a checkpoint".utf8).write(to: run.appendingPathComponent("checkpoint.safetensors"))
        let damaged = try GessoCommandTests.run(["dqn", "play", "--run", run.path])
        #expect(damaged.status == 1 && damaged.errors.contains(run.appendingPathComponent("checkpoint.safetensors").path))
        #expect(!damaged.errors.contains("Fatal error"))
    }
}
