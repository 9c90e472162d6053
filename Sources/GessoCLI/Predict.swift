import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// `gesso predict --run runs/NAME IMAGE...`
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a model trained by `gesso train classifier` or `gesso finetune`.")

    @Option(name: .customLong("run"), help: "The run folder of a trained classifier or finetune run.") var runFolder: String
    @Option(help: "How many classes to show per image.") var top: Int = 3
    @Flag(help: "Print JSON instead of text.") var json = false
    @Argument(help: "PNG or JPEG files.") var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: runFolder)
        let (classNames, probabilitiesOf) = FinetuneOptions.read(run: folder).map { FinetuneRun.predictor(folder, options: $0) }
            ?? Self.classifier(folder)
        var results: [[String: Any]] = []
        var failed = false
        for path in images {
            let image: Image
            do { image = try ImageFile.read(URL(fileURLWithPath: path)) } catch {
                FileHandle.standardError.write(Data("gesso: error: \(error)\n".utf8))
                failed = true
                continue
            }
            let probabilities = probabilitiesOf(image)
            let ranked = probabilities.enumerated().sorted { $0.element > $1.element }.prefix(top)
            if json {
                results.append(["image": path, "top": ranked.map { ["class": classNames[$0.offset], "probability": Double($0.element)] }])
            } else {
                print(path)
                for (i, p) in ranked { print(String(format: "  %5.1f%%  %@", 100 * p, classNames[i])) }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        if failed { throw ExitCode(1) }
    }

    /// A `gesso train classifier` run's class names and image -> class probabilities, or a plain-words error and exit 1.
    static func classifier(_ folder: URL) -> (classNames: [String], probabilities: (Image) -> [Float]) {
        let optionsURL = folder.appendingPathComponent("options.json")
        guard let options = try? JSONDecoder().decode(ClassifierOptions.self, from: Data(contentsOf: optionsURL)) else {
            fail("\(optionsURL.path) is missing or damaged: --run must be the folder of a `gesso train classifier` or " +
                 "`gesso finetune` run")
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
        let model = trainer.model
        return (options.classNames, { image in
            let input = ImageFolder.prepared(image, size: options.imageSize, channels: options.channels).toTensor()
            return withoutGradients { model.inference(input.reshaped(to: [1] + input.shape)).softmax() }.scalars
        })
    }
}
