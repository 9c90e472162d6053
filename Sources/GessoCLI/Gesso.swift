import ArgumentParser
import Foundation
import TensorCore

@main
struct Gesso: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gesso",
        abstract: "Gesso: a deep-learning studio for artists, with TensorFlow's semantics, on the CPU.",
        subcommands: [Lecture.self, Train.self, Predict.self, Bench.self],
        defaultSubcommand: Lecture.self
    )
}

/// Prints an error in plain words and exits non-zero (used for user mistakes the parser cannot catch).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gesso: error: \(message)\n".utf8))
    Foundation.exit(1)
}

func shapeString(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
