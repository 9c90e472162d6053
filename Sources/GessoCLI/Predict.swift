import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// `gesso predict --run runs/NAME IMAGE...`
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a model trained by `gesso train classifier`.")

    @Option(name: .customLong("run"), help: "The run folder of a trained classifier.") var runFolder: String
    @Option(help: "How many classes to show per image.") var top: Int = 3
    @Flag(help: "Print JSON instead of text.") var json = false
    @Argument(help: "PNG or JPEG files.") var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: runFolder)
        let optionsURL = folder.appendingPathComponent("options.json")
        guard let options = try? JSONDecoder().decode(ClassifierOptions.self, from: Data(contentsOf: optionsURL)) else {
            fail("\(optionsURL.path) is missing or damaged: --run must be the folder of a `gesso train classifier` run")
        }
        var weights = folder.appendingPathComponent("best.safetensors")
        if !FileManager.default.fileExists(atPath: weights.path) { weights = folder.appendingPathComponent("checkpoint.safetensors") }
        let classes = options.classNames.count
        var trainer = ClassifierTrainer(
            model: ClassifierArchitecture(rawValue: options.model)!.make(imageSize: options.imageSize, channels: options.channels,
                                                                         classes: classes, seed: options.seed),
            optimizer: OptimizerChoice(rawValue: options.optimizer)!.make(learningRate: options.learningRate),
            classes: classes, seed: options.seed)
        do { _ = try TrainingCheckpoint.restore(&trainer, from: weights) } catch { fail("\(error)") }

        var results: [[String: Any]] = []
        var failed = false
        for path in images {
            let image: Image
            do { image = try ImageFile.read(URL(fileURLWithPath: path)) } catch {
                FileHandle.standardError.write(Data("gesso: error: \(error)\n".utf8))
                failed = true
                continue
            }
            let input = ImageFolder.prepared(image, size: options.imageSize, channels: options.channels).toTensor()
            let probabilities = withoutGradients { trainer.model.inference(input.reshaped(to: [1] + input.shape)).softmax() }.scalars
            let ranked = probabilities.enumerated().sorted { $0.element > $1.element }.prefix(top)
            if json {
                results.append(["image": path, "top": ranked.map { ["class": options.classNames[$0.offset], "probability": Double($0.element)] }])
            } else {
                print(path)
                for (i, p) in ranked { print(String(format: "  %5.1f%%  %@", 100 * p, options.classNames[i])) }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        if failed { throw ExitCode(1) }
    }
}
