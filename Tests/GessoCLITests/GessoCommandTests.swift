import Foundation
import Testing

/// End-to-end tests of the `gesso` command: run the built binary as a user would and read what it prints.
struct GessoCommandTests {
    /// The `gesso` binary built with these tests (`swift test` builds every product of the package): the one beside
    /// the running test bundle (so `--scratch-path` builds test their own binary), else the newest under `.build`.
    static let binary: URL? = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gesso")
        if CommandLine.arguments[0].hasSuffix(".xctest"), FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = ["release", "debug"].map { root.appendingPathComponent(".build/\($0)/gesso") }
        let existing = candidates.filter { FileManager.default.isExecutableFile(atPath: $0.path) }
        func modified(_ u: URL) -> Date {
            (try? u.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
        }
        return existing.max { modified($0) < modified($1) }
    }()

    /// Starts gesso, presses Ctrl-C after `seconds`, and returns its exit status and standard output.
    static func interrupt(_ arguments: [String], after seconds: Double) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try #require(Self.binary, "the gesso binary was not built (.build/{release,debug}/gesso)")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: seconds)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let binary = try #require(Self.binary, "the gesso binary was not built (.build/{release,debug}/gesso)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test func lectureRunsTheLecturesExamples() throws {
        let r = try Self.run(["lecture", "--seed", "3", "--batch", "2"])
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("padding='VALID') -> [1, 28, 28, 6]"))
        #expect(r.output.contains("padding='SAME')  -> [1, 32, 32, 6]"))
        // The 4x4 max-pool example: [[6, 8], [3, 4]].
        #expect(r.output.contains("     6   8\n     3   4\n"))
        for line in ["h_conv1       [2, 80, 80, 32]", "h_pool3       [2, 10, 10, 64]", "h_conv3_flat  [2, 6400]",
                     "h_fc1         [2, 512]", "readout       [2, 2]", "state 1:"] {
            #expect(r.output.contains(line), "missing \(line)")
        }
        // Same seed, same Q-values.
        #expect(try Self.run(["lecture", "--seed", "3", "--batch", "2"]).output == r.output)
    }

    /// The main job (the default command) on a few seconds' budget: an emoji DCGAN, its samples and a GIF; a second
    /// run continues the first.
    @Test func theMainJobTrainsAnEmojiGAN() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-demo-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try Self.run(["demo", "--minutes", "0.05", "--out", out.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("Time is up"))
        for f in ["samples.png", "walk/spherical.gif", "walk/linear.png", "checkpoint.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "missing \(f)")
        }
        let again = try Self.run(["demo", "--minutes", "0.02", "--out", out.path])
        #expect(again.status == 0 && again.output.contains("Continuing the emoji DCGAN"), "stderr: \(again.errors)")
        #expect(try Self.run(["--help"]).output.contains("demo"))
    }

    @Test func badOptionsGiveAClearMessageAndNonZeroExit() throws {
        let r = try Self.run(["lecture", "--batch", "0"])
        #expect(r.status != 0)
        #expect(r.errors.contains("--batch must be between 1 and 256"))
        let b = try Self.run(["bench", "ops", "--only", "nothing-like-this"])
        #expect(b.status == 1)
        #expect(b.errors.contains("no benchmark matches --only nothing-like-this"))
        let j = try Self.run(["bench", "ops", "--only", "lecture.fc2", "--repeats", "1", "--warmup", "0",
                              "--json", "/nonexistent-folder/x.json"])
        #expect(j.status == 1)
        #expect(j.errors.contains("cannot write /nonexistent-folder/x.json"))
    }

    @Test func benchWritesItsTable() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-bench-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let r = try Self.run(["bench", "ops", "--only", "lecture.fc", "--repeats", "1", "--warmup", "0", "--json", json.path])
        #expect(r.status == 0, "stderr: \(r.errors)")
        #expect(r.output.contains("| lecture.fc1 | 32x6400 -> 32x512 |"))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["lecture.fc1", "lecture.fc2"])
        #expect(rows.allSatisfy { ($0["ms"] as? Double ?? 0) > 0 })
    }
}
