import ArgumentParser
import Foundation
import TensorCore

@main
struct Gesso: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gesso",
        abstract: "Gesso: a deep-learning studio for artists, with TensorFlow's semantics, on the CPU.",
        subcommands: [Lecture.self, Train.self, Predict.self, GAN.self, DataCommand.self, Bench.self],
        defaultSubcommand: Lecture.self
    )

    static func main() {
        OpenMPSettings.apply()
        Self.main(nil)
    }
}

/// oneDNN and Gesso's loops share one OpenMP team (GNU libgomp). By default its idle threads spin for about a
/// millisecond before sleeping, which on a busy 2-core machine starves the thread they wait for: a DCGAN epoch
/// measured 8.7 s with the default and 2.5 s with a short spin while other programs ran. libgomp reads its settings
/// when it loads, so `gesso` sets a short spin and starts itself again, unless the user chose a setting.
enum OpenMPSettings {
    static func apply() {
        guard getenv("GOMP_SPINCOUNT") == nil, getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("GOMP_SPINCOUNT", "10000", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // If that failed, carry on with the defaults.
    }
}

/// Prints an error in plain words and exits non-zero (used for user mistakes the parser cannot catch).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gesso: error: \(message)\n".utf8))
    Foundation.exit(1)
}

func shapeString(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
