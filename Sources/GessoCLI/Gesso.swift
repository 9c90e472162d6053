import ArgumentParser
import Foundation
import TensorCore

@main
struct Gesso: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gesso",
        abstract: "Gesso: a deep-learning studio for artists, with TensorFlow's semantics, on the CPU.",
        subcommands: [Demo.self, Lecture.self, Train.self, Finetune.self, Predict.self, Classify.self, Embed.self, GAN.self, Pix2Pix.self, CycleGANCommand.self, Translate.self, DQN.self, DataCommand.self, Bench.self],
        defaultSubcommand: Demo.self
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

/// `gesso demo`, the main job: a short DCGAN on the colour emoji, then its samples and a latent walk as a GIF.
/// Running it again continues the same run, so the emoji get better each time.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The main job: train an emoji DCGAN for a few minutes, then write its samples and an interpolation GIF.")

    @Option(help: "Minutes of training (each run continues the last).") var minutes: Double = 3
    @Option(help: "The run folder.") var out = "runs/emoji-demo"

    func validate() throws { guard minutes > 0 else { throw ValidationError("--minutes must be positive") } }

    func run() throws {
        let again = FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors")
        print(again ? "Continuing the emoji DCGAN in \(out) for \(minutes) minutes." :
                      "Training a DCGAN on the 3,926 colour emoji for \(minutes) minutes (Ctrl-C stops early and keeps everything).")
        let training = again ? ["--resume", "--epochs", "100000", "--out", out]
                             : ["emoji", "--size", "32", "--width", "32", "--average", "0.999", "--epochs", "100000", "--out", out]
        try GANTrain.parse(training + ["--minutes", String(minutes)]).run()
        if StopRequest.requested != 0 { return }
        try GANInterpolate.parse(["--run", out, "--from", "1", "--to", "2", "--steps", "12", "--out", out + "/walk"]).run()
        print("""

        Look at:
          \(out)/samples.png        64 emoji from the same noise as every epoch's grid in \(out)/samples/
          \(out)/walk/spherical.gif a walk through the latent space, from seed 1 to seed 2
          \(out)/losses.png         how the generator and the discriminator played
        Run ./gesso again to train further; `gesso lecture` shows the lecture's examples.
        """)
    }
}
