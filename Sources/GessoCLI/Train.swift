import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN
import GessoOptim

/// `gesso train ...`
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train models on your images.",
                                                    subcommands: [TrainClassifier.self])
}

/// The options of a classifier run, as written into the run folder (and read back by --resume and predict).
struct ClassifierOptions: Codable, Equatable {
    var data: String
    var model: String
    var epochs: Int
    var batchSize: Int
    var imageSize: Int
    var channels: Int
    var seed: UInt64
    var optimizer: String
    var learningRate: Float
    /// nil in runs written before schedules existed: constant.
    var schedule: String?
    var validationFraction: Double
    var limit: Int?
    var classNames: [String]

    static let defaults = ClassifierOptions(data: "", model: "small-cnn", epochs: 5, batchSize: 64, imageSize: 0, channels: 0,
                                            seed: 1, optimizer: "adam", learningRate: 1e-3, schedule: "constant",
                                            validationFraction: 0.1,
                                            limit: nil, classNames: [])

    var text: String { optionsText(self, defaults: Self.defaults) }
}

/// A run's options as "name = value" lines (written to options.txt), non-defaults marked with "*".
func optionsText<T>(_ options: T, defaults: T) -> String {
    /// A value as written: optionals without their "Optional(...)" wrapper.
    func text(_ value: Any) -> String {
        let m = Mirror(reflecting: value)
        guard m.displayStyle == .optional else { return "\(value)" }
        return m.children.first.map { "\($0.value)" } ?? "nil"
    }
    let base = Dictionary(uniqueKeysWithValues: Mirror(reflecting: defaults).children.map { ($0.label!, text($0.value)) })
    return Mirror(reflecting: options).children.map { c in
        let v = text(c.value)
        return "\(c.label!) = \(v)\(base[c.label!] == v ? "" : "   *")"
    }.joined(separator: "\n") + "\n(* = not the default)\n"
}

struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier",
        abstract: "Train an image classifier on a folder of images (one sub-folder per class) or a built-in data set.",
        discussion: """
        Examples:
          gesso train classifier --data ~/Pictures/leaves --out runs/leaves
          gesso train classifier --data fashion-mnist --epochs 5 --out runs/fashion
          gesso train classifier --resume --out runs/fashion      (continue a stopped run)
        Ctrl-C saves a checkpoint and stops; --resume continues from it.
        """)

    @Option(help: "A folder with one sub-folder per class, or fashion-mnist, mnist or digits.") var data: String?
    @Option(help: "lecture (the lecture's createNetwork) or small-cnn.") var model: String = ClassifierOptions.defaults.model
    @Option(help: "Passes over the training images (default 5; with --resume, the saved run's number unless given).")
    var epochs: Int?
    @Option(help: "Images per training step.") var batchSize: Int = ClassifierOptions.defaults.batchSize
    @Option(help: "Side of the square images the model sees (default: 28 for fashion-mnist and mnist, 8 for digits, 32 for folders).")
    var imageSize: Int?
    @Option(help: "Seed for initialisation, shuffling and dropout.") var seed: UInt64 = ClassifierOptions.defaults.seed
    @Option(help: "adam, sgd, momentum or rmsprop.") var optimizer: String = ClassifierOptions.defaults.optimizer
    @Option(help: "Learning rate.") var learningRate: Float = ClassifierOptions.defaults.learningRate
    @Option(help: "Learning-rate schedule: constant, cosine (down to 0 over the run, after a 1% warm-up) or step (halved every quarter of the run).")
    var schedule: String = "constant"
    @Option(help: "Share of a folder's images kept for validation (built-in sets use their own test images).")
    var validationFraction: Double = ClassifierOptions.defaults.validationFraction
    @Option(help: "Use only the first N training images (quick trials).") var limit: Int?
    @Option(help: "The run folder: options, metrics, pictures and checkpoints go here.") var out: String
    @Flag(help: "Continue the run in --out from its last checkpoint.") var resume = false

    func validate() throws {
        if !resume && data == nil { throw ValidationError("--data is required (a folder, fashion-mnist, mnist or digits)") }
        if ClassifierArchitecture(rawValue: model) == nil {
            throw ValidationError("--model must be one of \(ClassifierArchitecture.allCases.map(\.rawValue).joined(separator: ", ")), got \(model)")
        }
        if OptimizerChoice(rawValue: optimizer) == nil {
            throw ValidationError("--optimizer must be one of \(OptimizerChoice.allCases.map(\.rawValue).joined(separator: ", ")), got \(optimizer)")
        }
        guard ["constant", "cosine", "step"].contains(schedule) else {
            throw ValidationError("--schedule must be constant, cosine or step, got \(schedule)")
        }
        guard epochs ?? 1 >= 1, batchSize >= 1, learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--epochs and --batch-size must be at least 1 and --learning-rate positive")
        }
        if let s = imageSize, !(4...512).contains(s) { throw ValidationError("--image-size must be between 4 and 512, got \(s)") }
        guard validationFraction > 0 && validationFraction < 0.9 else {
            throw ValidationError("--validation-fraction must be between 0 and 0.9, got \(validationFraction)")
        }
        if let l = limit, l < 2 { throw ValidationError("--limit must be at least 2") }
    }

    func run() throws {
        do { try train() } catch let e as DataError { fail(e.description) } catch let e as CheckpointError {
            fail(e.description)
        } catch let e as ImageError { fail(e.description) }
    }

    func train() throws {
        StopRequest.install()  // from the start: Ctrl-C while loading data still ends in a clean stop
        let runFolder = URL(fileURLWithPath: out)
        let optionsURL = runFolder.appendingPathComponent("options.json")
        var options: ClassifierOptions
        if resume {
            guard let saved = try? JSONDecoder().decode(ClassifierOptions.self, from: Data(contentsOf: optionsURL)) else {
                fail("\(optionsURL.path) is missing or damaged: --resume needs the run folder of an earlier `gesso train classifier`")
            }
            options = saved
            options.epochs = epochs ?? saved.epochs
        } else {
            options = ClassifierOptions(data: data!, model: model, epochs: epochs ?? ClassifierOptions.defaults.epochs, batchSize: batchSize, imageSize: imageSize ?? 0,
                                        channels: 0, seed: seed, optimizer: optimizer, learningRate: learningRate,
                                        schedule: schedule, validationFraction: validationFraction, limit: limit, classNames: [])
        }

        // Data: [N, S, S, C] in [0, 1].
        let (train, validation) = try loadData(&options)
        print("Training on \(train.count) images, validating on \(validation.count): \(options.classNames.count) classes " +
              "(\(options.classNames.prefix(10).joined(separator: ", "))\(options.classNames.count > 10 ? ", ..." : "")), " +
              "\(options.imageSize)x\(options.imageSize)x\(options.channels)")

        let architecture = ClassifierArchitecture(rawValue: options.model)!
        let classes = options.classNames.count
        var trainer = ClassifierTrainer(
            model: architecture.make(imageSize: options.imageSize, channels: options.channels, classes: classes, seed: options.seed),
            optimizer: OptimizerChoice(rawValue: options.optimizer)!.make(learningRate: options.learningRate),
            schedule: Self.schedule(options, stepsPerEpoch: (train.count + options.batchSize - 1) / options.batchSize),
            classes: classes, seed: options.seed)
        let checkpointURL = runFolder.appendingPathComponent("checkpoint.safetensors")
        var startEpoch = 0, startBatch = 0
        var history = MetricsLog(url: runFolder.appendingPathComponent("metrics.csv"))
        if resume {
            let info = try TrainingCheckpoint.restore(&trainer, from: checkpointURL)
            startEpoch = info.epoch
            startBatch = Int(info.config["position.batch"] ?? "0") ?? 0
            try history.load()
            print("Resuming \(runFolder.path) at epoch \(startEpoch + 1), step \(trainer.step)")
        } else {
            try prepareRunFolder(runFolder, options: options)
        }
        try write(Data((try JSONEncoder.pretty.encode(options))), to: optionsURL)
        try write(Data(options.text.utf8), to: runFolder.appendingPathComponent("options.txt"))
        print("Model \(options.model): \(trainer.model.parameterCount) parameters. Run folder: \(runFolder.path)")

        let config = ["model": options.model, "data": options.data]
        if startEpoch >= options.epochs {
            print("This run has already trained \(startEpoch) epochs; ask for more with --epochs.")
        }
        for epoch in startEpoch..<max(startEpoch, options.epochs) {
            let batches = Batches(train, batchSize: options.batchSize, shuffle: true, seed: options.seed, epoch: epoch)
            var bar = ProgressBar(total: batches.count, label: "epoch \(epoch + 1)/\(options.epochs)")
            let finished = try trainEpoch(&trainer, batches, from: startBatch, epoch: epoch, config: config, checkpoint: checkpointURL,
                                          learningRate: options.learningRate) { b, t in
                bar.update(b, String(format: "loss %.4f acc %.1f%% %.0f img/s", t.loss, 100 * t.accuracy,
                                     Double(t.seen) / max(Date().timeIntervalSince(t.started), 1e-9)))
            }
            bar.finish()
            guard let totals = finished else {
                print("Stopped: saved \(checkpointURL.path). Continue with: gesso train classifier --resume --out \(out)")
                return
            }
            startBatch = 0
            let eval = trainer.evaluate(images: validation.images, labels: validation.labels)
            print(String(format: "epoch %d: train loss %.4f, validation loss %.4f, validation accuracy %.2f%% (%.0f s)",
                         epoch + 1, totals.loss, eval.loss, 100 * eval.accuracy, totals.seconds))
            try recordEpoch(trainer, epoch: epoch, totals: totals, evaluation: eval, history: &history, config: config,
                            runFolder: runFolder)
            try RunPictures.write(history: history, evaluation: eval, validation: validation, classNames: options.classNames,
                                  to: runFolder)
        }
        print("Done. See \(runFolder.path): metrics.csv, loss.png, accuracy.png, confusion.png, validation.png; " +
              "predict with: gesso predict --run \(out) IMAGE...")
    }

    /// The learning-rate schedule of a run, over its whole length.
    static func schedule(_ options: ClassifierOptions, stepsPerEpoch: Int) -> LearningRateSchedule {
        let total = max(1, options.epochs * stepsPerEpoch)
        switch options.schedule ?? "constant" {
        case "cosine": return .warmup(steps: max(1, total / 100), then: .cosine(totalSteps: total - max(1, total / 100)))
        case "step": return .step(every: max(1, total / 4), factor: 0.5)
        default: return .constant
        }
    }

    /// Loads the training and validation images and fills in the data-dependent options.
    func loadData(_ options: inout ClassifierOptions) throws -> (LabeledImages, LabeledImages) {
        var train: LabeledImages, validation: LabeledImages
        switch options.data {
        case "fashion-mnist":
            train = try BuiltinData.fashionMNIST(train: true, limit: options.limit)
            validation = try BuiltinData.fashionMNIST(train: false)
        case "mnist":
            (train, validation) = DataSplit.stratified(try BuiltinData.mnist5k(), validationFraction: options.validationFraction,
                                                       seed: options.seed)
        case "digits":
            (train, validation) = DataSplit.stratified(try BuiltinData.digits(), validationFraction: options.validationFraction,
                                                       seed: options.seed)
        default:
            let folder = URL(fileURLWithPath: (options.data as NSString).expandingTildeInPath)
            print("Checking \(folder.path) ...")
            let report = try ImageFolder.check(folder)
            print(report.description)
            guard report.isUsable else { fail("\(folder.path) cannot be used for training yet: see the problems above.") }
            if options.imageSize == 0 { options.imageSize = 32 }
            if options.channels == 0 { options.channels = report.suggestedChannels }
            let all = try ImageFolder.load(report, imageSize: options.imageSize, channels: options.channels)
            (train, validation) = DataSplit.stratified(all, validationFraction: options.validationFraction, seed: options.seed)
        }
        let native = train.imageShape
        if options.imageSize == 0 { options.imageSize = native[0] }
        if options.channels == 0 { options.channels = native[2] }
        if native[0] != options.imageSize {
            train.images = train.images.resized(to: [options.imageSize, options.imageSize], method: .bilinear)
            validation.images = validation.images.resized(to: [options.imageSize, options.imageSize], method: .bilinear)
        }
        if let l = options.limit, l < train.count { train = train[Array(0..<l)] }
        options.classNames = train.classNames
        return (train, validation)
    }

    func prepareRunFolder(_ folder: URL, options: ClassifierOptions) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder.appendingPathComponent("checkpoint.safetensors").path) {
            fail("\(folder.path) already holds a run. Continue it with --resume, or choose another --out.")
        }
        do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            fail("cannot create the run folder \(folder.path): \(error.localizedDescription)")
        }
        try write(Data(options.classNames.joined(separator: "\n").utf8 + [10]), to: folder.appendingPathComponent("classes.txt"))
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}

/// Writes a file atomically (temporary file, then rename), as every output of a run is written.
func write(_ data: Data, to url: URL) throws { try AtomicFile.write(data, to: url) }

/// The sums of one epoch of classifier steps.
struct EpochTotals {
    var lossSum = 0.0, correct = 0, seen = 0
    let started = Date()
    /// The epoch's training time (set when its last step is done).
    var seconds = 0.0
    var loss: Double { lossSum / Double(max(seen, 1)) }
    var accuracy: Double { Double(correct) / Double(max(seen, 1)) }
}

/// Steps through batches `start..<batches.count` of epoch `epoch` (shared by `gesso train classifier` and `gesso
/// finetune`): a diverged loss exits with advice; `onStep(b + 1, totals)` follows each step; on Ctrl-C the checkpoint
/// is written with the position in the epoch and nil returned.
func trainEpoch(_ trainer: inout ClassifierTrainer, _ batches: Batches, from start: Int, epoch: Int, config: [String: String],
                checkpoint: URL, learningRate: Float, onStep: (Int, EpochTotals) -> Void) throws -> EpochTotals? {
    var totals = EpochTotals()
    for b in start..<batches.count {
        let batch = batches[b]
        let r = trainer.trainStep(images: batch.images, labels: batch.labels)
        guard r.loss.isFinite else {
            fail("the loss became \(r.loss) at step \(trainer.step): training diverged. Try a smaller --learning-rate " +
                 "(now \(learningRate)); the last good checkpoint is \(checkpoint.path)")
        }
        totals.lossSum += Double(r.loss) * Double(r.count); totals.correct += r.correct; totals.seen += r.count
        onStep(b + 1, totals)
        if StopRequest.requested != 0 {
            try TrainingCheckpoint.write(trainer, epoch: epoch, config: config.merging(["position.batch": String(b + 1)]) { $1 },
                                         to: checkpoint)
            return nil
        }
    }
    totals.seconds = Date().timeIntervalSince(totals.started)
    return totals
}

/// After epoch `epoch` (0-based): its metrics row, checkpoint.safetensors, best.safetensors when the validation
/// accuracy is the best so far, and metrics.csv.
func recordEpoch(_ trainer: ClassifierTrainer, epoch: Int, totals: EpochTotals, evaluation: ClassifierTrainer.Evaluation,
                 history: inout MetricsLog, config: [String: String], runFolder: URL) throws {
    history.append(epoch: epoch + 1, step: trainer.step, trainLoss: totals.loss, trainAccuracy: totals.accuracy,
                   validationLoss: Double(evaluation.loss), validationAccuracy: Double(evaluation.accuracy),
                   seconds: totals.seconds, imagesPerSecond: Double(totals.seen) / max(totals.seconds, 1e-9),
                   learningRate: Double(trainer.optimizer.learningRate))
    try TrainingCheckpoint.write(trainer, epoch: epoch + 1, config: config, to: runFolder.appendingPathComponent("checkpoint.safetensors"))
    if evaluation.accuracy >= Float(history.bestValidationAccuracy(excludingLast: true) ?? -1) {
        try TrainingCheckpoint.write(trainer, epoch: epoch + 1, config: config, to: runFolder.appendingPathComponent("best.safetensors"))
    }
    try history.save()
}
