import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN
import GessoOptim

/// The options of a finetune run, as written into the run folder (and read back by --resume and predict).
struct FinetuneOptions: Codable, Equatable {
    var base: String
    var data: String
    var epochs: Int
    var batchSize: Int
    var learningRate: Float
    var dropout: Float
    /// The last blocks of the backbone trained with the head (0: the backbone stays frozen).
    var unfreeze: Int
    var seed: UInt64
    var validationFraction: Double
    /// Training images a class (the rest validate); nil: split by `validationFraction`.
    var trainPerClass: Int?
    /// fashion-mnist: the first `limit` training and `testLimit` test images.
    var limit: Int?
    var testLimit: Int?
    /// The pre-trained weights; nil: `$GESSO_HOME/models/efficientnet-lite0.pth`.
    var weights: String?
    var classNames: [String]

    static let defaults = FinetuneOptions(base: "efficientnet-lite0", data: "", epochs: 100, batchSize: 32, learningRate: 1e-3,
                                          dropout: 0.2, unfreeze: 0, seed: 1, validationFraction: 0.2, trainPerClass: nil, limit: nil,
                                          testLimit: nil, weights: nil, classNames: [])

    var text: String { optionsText(self, defaults: Self.defaults) }

    /// The first trained block of the backbone (16: none).
    var firstTrainedBlock: Int { 16 - unfreeze }

    /// A fresh head (new weights, Adam) for these options' classes; with `unfreeze`, the pre-trained `backbone`'s
    /// last blocks train with it.
    func makeTrainer(backbone: EfficientNetLite0? = nil) -> ClassifierTrainer {
        precondition(unfreeze == 0 || backbone != nil, "makeTrainer: --unfreeze \(unfreeze) needs the backbone")
        let tail = unfreeze > 0 ? backbone!.tail(fromBlock: firstTrainedBlock) : nil
        return ClassifierTrainer(model: TransferHead.make(classes: classNames.count, dropout: dropout, tail: tail, seed: seed),
                                 optimizer: Adam(learningRate: learningRate), classes: classNames.count, seed: seed)
    }

    /// The options of a finetune run folder, or nil when the folder holds none (another kind of run, or nothing).
    static func read(run folder: URL) -> FinetuneOptions? {
        try? JSONDecoder().decode(FinetuneOptions.self, from: Data(contentsOf: folder.appendingPathComponent("options.json")))
    }
}

/// Labelled images for transfer learning, loaded one at a time (a folder's files are decoded only when their
/// embedding is computed, never all at once at 224 x 224).
struct TransferData {
    var classNames: [String]
    var labels: [Int]
    /// Where each image comes from (a path, `file#index`, or an emoji's code points): the embedding cache's key.
    var sources: [String]
    /// The fixed test images of a built-in set (validation); nil: the run splits the images itself.
    var isTest: [Bool]?
    var image: (Int) throws -> Image

    var count: Int { labels.count }

    /// A folder (one sub-folder per class, checked first as `gesso train classifier` checks it), or a built-in set:
    /// `fashion-mnist` (the first `limit` training images, default 1,000, and `testLimit` test images, default 500;
    /// 28 x 28 grey, made RGB and enlarged by EfficientNet's preprocessing) or `emoji-smileys-animals` (the 80 smileys
    /// U+1F600-1F64F against the 64 animals U+1F400-1F43F of the Noto colour emoji font).
    static func load(_ name: String, limit: Int?, testLimit: Int?) throws -> TransferData {
        switch name {
        case "fashion-mnist":
            let train = try BuiltinData.fashionMNIST(train: true, limit: limit ?? 1000)
            let test = try BuiltinData.fashionMNIST(train: false, limit: testLimit ?? 500)
            let n = train.count
            return TransferData(classNames: train.classNames, labels: train.labels + test.labels, sources: train.sources + test.sources,
                                isTest: [Bool](repeating: false, count: n) + [Bool](repeating: true, count: test.count),
                                image: { Image(tensor: $0 < n ? train.images[$0] : test.images[$0 - n]) })
        case "emoji-smileys-animals":
            let smileys = try EmojiFont.load(blocks: [0x1F600...0x1F64F])
            let animals = try EmojiFont.load(blocks: [0x1F400...0x1F43F])
            let all = smileys + animals
            return TransferData(classNames: ["smileys", "animals"],
                                labels: [Int](repeating: 0, count: smileys.count) + [Int](repeating: 1, count: animals.count),
                                sources: all.map { "emoji:" + $0.name }, isTest: nil, image: { all[$0].image })
        default:
            let folder = URL(fileURLWithPath: (name as NSString).expandingTildeInPath)
            print("Checking \(folder.path) ...")
            let report = try ImageFolder.check(folder)
            print(report.description)
            guard report.isUsable else { fail("\(folder.path) cannot be used for training yet: see the problems above.") }
            let urls = report.files.flatMap { $0 }
            return TransferData(classNames: report.classNames,
                                labels: report.files.enumerated().flatMap { [Int](repeating: $0.offset, count: $0.element.count) },
                                sources: urls.map(\.path), isTest: nil, image: { i in
                                    do { return try ImageFile.read(urls[i]) } catch {
                                        throw DataError(path: urls[i].path, problem: "can no longer be read (\(error)). It changed " +
                                                        "after the folder was checked: check the folder again.")
                                    }
                                })
        }
    }

    /// Features of these images with their labels (for splits, batches and the trainer): embeddings `[count, 1280]`
    /// as 1x1 "images" `[count, 1, 1, 1280]`, or a block's activations `[count, h, w, c]` as they are; the sources are
    /// the images' indices, "0", "1", ...
    func labelled(_ features: Tensor) -> LabeledImages {
        LabeledImages(images: features.rank == 2 ? features.reshaped(to: [count, 1, 1, features.shape[1]]) : features,
                      labels: labels, classNames: classNames, sources: (0..<count).map(String.init))
    }

    /// Small RGB copies `[n, 64, 64, 3]` of images `indices` (for the run's validation picture).
    func thumbnails(_ indices: [Int]) throws -> Tensor {
        Tensor.concatenate(try indices.map { i in
            ImageFolder.prepared(try image(i), size: 64, channels: 3).toTensor().reshaped(to: [1, 64, 64, 3])
        }, alongAxis: 0)
    }
}

extension PretrainedEfficientNet {
    /// The embeddings `[count, 1280]` (flat, row by row) of images `first..<first + count`, `batchSize` at a time,
    /// with a progress bar; or with `beforeBlock`, the activations at that block's input instead. With `stoppable`,
    /// Ctrl-C ends it after the current batch, returning the rows so far.
    static func embeddings(_ model: EfficientNetLite0, first: Int = 0, count: Int, batchSize: Int = 16, label: String = "embed",
                           beforeBlock: Int? = nil, stoppable: Bool = false, image: (Int) throws -> Image) rethrows -> [Float] {
        var features: [Float] = []
        var bar = ProgressBar(total: count, label: label)
        let started = Date()
        for start in stride(from: first, to: first + count, by: batchSize) {
            let end = min(start + batchSize, first + count)
            let batch = Tensor.concatenate(try (start..<end).map {
                EfficientNetLite0.preprocess(try image($0)).reshaped(to: [1, 224, 224, 3])
            }, alongAxis: 0)                                                                      // [b, 224, 224, 3]
            features += (beforeBlock.map { model.features(batch, beforeBlock: $0) } ?? model.embedding(batch)).scalars  // [b, 1280]
            let done = end - first
            bar.update(done, String(format: "%.1f images/s", Double(done) / max(Date().timeIntervalSince(started), 1e-9)))
            if stoppable && StopRequest.requested != 0 { break }
        }
        bar.finish()
        return features
    }
}

/// `gesso finetune --base efficientnet-lite0 --data FOLDER --out runs/NAME`
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transfer learning: a new classifier on the pre-trained EfficientNet-Lite0's features (few images a class are enough).",
        discussion: """
        The backbone stays frozen: the 1280-d embedding of every image is computed once and cached in the run folder \
        (embeddings.npy, embeddings.txt), so --resume and later runs skip it; then a softmax head (dropout + one dense \
        layer) trains on the cached embeddings in seconds. The run folder holds what `gesso train classifier` writes \
        (options, metrics.csv, loss/accuracy/confusion/validation pictures, checkpoints); Ctrl-C saves and stops, \
        --resume continues, and `gesso predict --run` classifies new images. With --unfreeze N the last N blocks \
        (and the 1x1 convolution to 1280) train with the head, from cached activations at the first of them, with \
        batch-norm statistics frozen and a learning rate of 0.0001 unless given: slower, for when the frozen \
        features are not enough.
        Examples:
          gesso finetune --data ~/Pictures/leaves --out runs/leaves-ft        (5 or more images a class)
          gesso finetune --data fashion-mnist --limit 1000 --test-limit 500 --out runs/fashion-ft
          gesso finetune --data emoji-smileys-animals --train-per-class 10 --out runs/emoji-ft
          gesso finetune --resume --epochs 200 --out runs/leaves-ft
          gesso finetune --data ~/Pictures/leaves --unfreeze 2 --epochs 20 --out runs/leaves-ft2
        """)

    @Option(help: "The pre-trained backbone: efficientnet-lite0.") var base = FinetuneOptions.defaults.base
    @Option(help: "A folder with one sub-folder per class, or fashion-mnist, or emoji-smileys-animals.") var data: String?
    @Option(help: "Passes over the training embeddings (default 100; with --resume, the saved run's number unless given).")
    var epochs: Int?
    @Option(help: "Embeddings per training step.") var batchSize = FinetuneOptions.defaults.batchSize
    @Option(help: "Adam's learning rate (default 0.001; 0.0001 with --unfreeze).") var learningRate: Float?
    @Option(help: "Share of embedding features dropped in training.") var dropout = FinetuneOptions.defaults.dropout
    @Option(help: "Seed for the split, initialisation, shuffling and dropout.") var seed = FinetuneOptions.defaults.seed
    @Option(help: "Share of each class kept for validation (fashion-mnist uses its test images).")
    var validationFraction = FinetuneOptions.defaults.validationFraction
    @Option(help: "Train on this many images a class and validate on the rest (instead of --validation-fraction).")
    var trainPerClass: Int?
    @Option(help: "fashion-mnist: the first N training images (default 1000).") var limit: Int?
    @Option(help: "fashion-mnist: the first N test images (default 500).") var testLimit: Int?
    @Option(help: "Also train the last N (0-7) of the backbone's 16 blocks, and its 1x1 head convolution, with batch-norm statistics frozen (slower).")
    var unfreeze = 0
    @Option(help: "The weights (a PyTorch state dict; default $GESSO_HOME/models/efficientnet-lite0.pth).") var weights: String?
    @Option(help: "The run folder: options, embeddings, metrics, pictures and checkpoints go here.") var out: String
    @Flag(help: "Continue the run in --out from its last checkpoint.") var resume = false

    func validate() throws {
        if !resume && data == nil { throw ValidationError("--data is required (a folder, fashion-mnist or emoji-smileys-animals)") }
        guard base == "efficientnet-lite0" else { throw ValidationError("--base must be efficientnet-lite0, got \(base)") }
        guard (0...7).contains(unfreeze) else {
            throw ValidationError("--unfreeze must be between 0 (only the new head trains) and 7, got \(unfreeze)")
        }
        guard epochs ?? 1 >= 1, batchSize >= 1, learningRate ?? 1 > 0, learningRate?.isFinite ?? true else {
            throw ValidationError("--epochs and --batch-size must be at least 1 and --learning-rate positive")
        }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        guard validationFraction > 0 && validationFraction < 0.9 else {
            throw ValidationError("--validation-fraction must be between 0 and 0.9, got \(validationFraction)")
        }
        if let n = trainPerClass, n < 1 { throw ValidationError("--train-per-class must be at least 1") }
        if let l = limit, l < 2 { throw ValidationError("--limit must be at least 2") }
        if let l = testLimit, l < 1 { throw ValidationError("--test-limit must be at least 1") }
    }

    func run() throws {
        do { try finetune() } catch let e as DataError { fail(e.description) } catch let e as CheckpointError {
            fail(e.description)
        } catch let e as ImageError { fail(e.description) }
    }

    func finetune() throws {
        StopRequest.install()
        let runFolder = URL(fileURLWithPath: out)
        let optionsURL = runFolder.appendingPathComponent("options.json")
        var options: FinetuneOptions
        if resume {
            guard let saved = FinetuneOptions.read(run: runFolder) else {
                fail("\(optionsURL.path) is missing or damaged: --resume needs the run folder of an earlier `gesso finetune`")
            }
            options = saved
            options.epochs = epochs ?? saved.epochs
        } else {
            if FileManager.default.fileExists(atPath: optionsURL.path) {
                fail("\(runFolder.path) already holds a run. Continue it with --resume, or choose another --out.")
            }
            options = FinetuneOptions(base: base, data: data!, epochs: epochs ?? FinetuneOptions.defaults.epochs, batchSize: batchSize,
                                      learningRate: learningRate ?? (unfreeze > 0 ? 1e-4 : 1e-3), dropout: dropout,
                                      unfreeze: unfreeze, seed: seed,
                                      validationFraction: validationFraction, trainPerClass: trainPerClass, limit: limit,
                                      testLimit: testLimit, weights: weights, classNames: [])
        }
        let examples = try TransferData.load(options.data, limit: options.limit, testLimit: options.testLimit)
        options.classNames = examples.classNames
        do { try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true) } catch {
            fail("cannot create the run folder \(runFolder.path): \(error.localizedDescription)")
        }
        try write(Data((try JSONEncoder.pretty.encode(options))), to: optionsURL)
        try write(Data(options.text.utf8), to: runFolder.appendingPathComponent("options.txt"))
        try write(Data(options.classNames.joined(separator: "\n").utf8 + [10]), to: runFolder.appendingPathComponent("classes.txt"))

        // Embeddings [N, 1280] (or a block's activations [N, h, w, c] with --unfreeze), computed once.
        var loaded: EfficientNetLite0?
        func backbone() -> EfficientNetLite0 {
            if loaded == nil { loaded = PretrainedEfficientNet.load(options.weights) }
            return loaded!
        }
        guard let features = try cachedEmbeddings(examples, options: options, runFolder: runFolder, backbone: backbone) else {
            print("Stopped: the embeddings so far are saved. Continue with: gesso finetune --resume --out \(out)")
            return
        }
        let all = examples.labelled(features)
        let (train, validation) = Self.split(all, isTest: examples.isTest, options: options)
        guard train.count >= 1, validation.count >= 1 else {
            fail("\(options.data): \(examples.count) images leave none to \(train.count == 0 ? "train on" : "validate on"); " +
                 "add images or change --train-per-class / --validation-fraction")
        }
        print("Training the head\(options.unfreeze > 0 ? " and the last \(options.unfreeze) blocks" : "") on \(train.count) embeddings, validating on \(validation.count): \(examples.classNames.count) classes " +
              "(\(examples.classNames.prefix(10).joined(separator: ", "))\(examples.classNames.count > 10 ? ", ..." : ""))")

        var trainer = options.makeTrainer(backbone: options.unfreeze > 0 ? backbone() : nil)
        let checkpointURL = runFolder.appendingPathComponent("checkpoint.safetensors")
        var history = MetricsLog(url: runFolder.appendingPathComponent("metrics.csv"))
        var startEpoch = 0, startBatch = 0
        if resume && FileManager.default.fileExists(atPath: checkpointURL.path) {
            let info = try TrainingCheckpoint.restore(&trainer, from: checkpointURL)
            startEpoch = info.epoch
            startBatch = Int(info.config["position.batch"] ?? "0") ?? 0
            try history.load()
            print("Resuming \(runFolder.path) at epoch \(startEpoch + 1), step \(trainer.step)")
        }
        let config = ["model": "transfer-head", "base": options.base, "data": options.data]
        if startEpoch >= options.epochs { print("This run has already trained \(startEpoch) epochs; ask for more with --epochs.") }

        var bar = ProgressBar(total: max(options.epochs - startEpoch, 1), label: "head")
        var evaluation = trainer.evaluate(images: validation.images, labels: validation.labels)
        for epoch in startEpoch..<max(startEpoch, options.epochs) {
            let batches = Batches(train, batchSize: options.batchSize, shuffle: true, seed: options.seed, epoch: epoch)
            guard let totals = try trainEpoch(&trainer, batches, from: startBatch, epoch: epoch, config: config,
                                              checkpoint: checkpointURL, learningRate: options.learningRate, onStep: { _, _ in }) else {
                bar.finish()
                print("Stopped: saved \(checkpointURL.path). Continue with: gesso finetune --resume --out \(out)")
                return
            }
            startBatch = 0
            evaluation = trainer.evaluate(images: validation.images, labels: validation.labels)
            try recordEpoch(trainer, epoch: epoch, totals: totals, evaluation: evaluation, history: &history, config: config,
                            runFolder: runFolder)
            bar.update(epoch + 1 - startEpoch, String(format: "loss %.4f acc %.1f%% validation %.1f%%", totals.loss,
                                                      100 * totals.accuracy, 100 * evaluation.accuracy))
        }
        bar.finish()
        if let last = history.rows.last {
            let best = history.rows.max { $0.validationAccuracy < $1.validationAccuracy }!
            print(String(format: "epoch %d: train loss %.4f, validation loss %.4f, validation accuracy %.2f%% (best %.2f%% at epoch %d)",
                         last.epoch, last.trainLoss, last.validationLoss, 100 * last.validationAccuracy,
                         100 * best.validationAccuracy, best.epoch))
            let indices = validation.sources.map { Int($0)! }
            let pictures = LabeledImages(images: try examples.thumbnails(indices), labels: validation.labels,
                                         classNames: examples.classNames, sources: validation.sources)
            try RunPictures.write(history: history, evaluation: evaluation, validation: pictures, classNames: examples.classNames,
                                  to: runFolder)
        }
        print("Done. See \(runFolder.path): metrics.csv, loss.png, accuracy.png, confusion.png, validation.png; " +
              "predict with: gesso predict --run \(out) IMAGE...")
    }

    /// Training and validation parts: a built-in set's own test images, `trainPerClass` a class, or a stratified
    /// `validationFraction`; all seeded.
    static func split(_ all: LabeledImages, isTest: [Bool]?, options: FinetuneOptions) -> (LabeledImages, LabeledImages) {
        if let isTest {
            return (all[isTest.indices.filter { !isTest[$0] }], all[isTest.indices.filter { isTest[$0] }])
        }
        if let n = options.trainPerClass { return DataSplit.perClass(all, count: n, seed: options.seed) }
        return DataSplit.stratified(all, validationFraction: options.validationFraction, seed: options.seed)
    }

    /// The embeddings `[N, 1280]` of all images (with --unfreeze, the activations `[N, h, w, c]` at the first
    /// trained block), from the run folder's cache (embeddings.npy or features-blockB.npy, with the images' sources on
    /// the lines of the .txt beside it) as far as it goes, computing the rest; nil when Ctrl-C stopped it (what was
    /// computed is saved).
    func cachedEmbeddings(_ data: TransferData, options: FinetuneOptions, runFolder: URL,
                          backbone: () -> EfficientNetLite0) throws -> Tensor? {
        let name = options.unfreeze == 0 ? "embeddings" : "features-block\(options.firstTrainedBlock)"
        let npy = runFolder.appendingPathComponent(name + ".npy"), list = runFolder.appendingPathComponent(name + ".txt")
        let itemShape = options.unfreeze == 0 ? [EfficientNetLite0.embeddingSize] :
            Array(backbone().features(Tensor.zeros([1, 224, 224, 3]), beforeBlock: options.firstTrainedBlock).shape.dropFirst())
        let width = itemShape.reduce(1, *)
        var features: [Float] = [], done = 0
        if let text = try? String(contentsOf: list, encoding: .utf8), let cached = try? NumpyFile.read(npy),
           Array(cached.shape.dropFirst()) == itemShape {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            // Rows are reused while their sources match the data's, in order.
            let rows = min(cached.shape[0], lines.count)
            while done < min(rows, data.count) && lines[done] == data.sources[done] { done += 1 }
            features = Array(cached.scalars.prefix(done * width))
        }
        if done == data.count {
            print("Embeddings of \(done) images: cached in \(npy.path)")
        } else {
            print("Computing the \(options.unfreeze == 0 ? "embeddings" : "block \(options.firstTrainedBlock) features") of " +
                  "\(data.count - done) images" + (done > 0 ? " (\(done) cached)" : "") + " with the frozen EfficientNet-Lite0 ...")
            features += try PretrainedEfficientNet.embeddings(backbone(), first: done, count: data.count - done,
                                                              beforeBlock: options.unfreeze == 0 ? nil : options.firstTrainedBlock,
                                                              stoppable: true, image: data.image)
            done = features.count / width
            try write(NumpyFile.encode(Tensor(shape: [done] + itemShape, scalars: features)), to: npy)
            try write(Data(data.sources.prefix(done).map { $0 + "\n" }.joined().utf8), to: list)
            if done < data.count { return nil }
        }
        return Tensor(shape: [done] + itemShape, scalars: features)
    }
}

/// A finetune run as `gesso predict` uses it: the pre-trained backbone and the trained head.
enum FinetuneRun {
    /// The class names and a function from an image to its class probabilities, or a plain-words error and exit 1.
    static func predictor(_ folder: URL, options: FinetuneOptions) -> (classNames: [String], probabilities: (Image) -> [Float]) {
        let backbone = PretrainedEfficientNet.load(options.weights)
        var trainer = options.makeTrainer(backbone: options.unfreeze > 0 ? backbone : nil)
        var weights = folder.appendingPathComponent("best.safetensors")
        if !FileManager.default.fileExists(atPath: weights.path) { weights = folder.appendingPathComponent("checkpoint.safetensors") }
        do { _ = try TrainingCheckpoint.restore(&trainer, from: weights) } catch { fail("\(error)") }
        let head = trainer.model
        return (options.classNames, { image in
            let input = EfficientNetLite0.preprocess(image).reshaped(to: [1, 224, 224, 3])
            let features = options.unfreeze > 0 ? backbone.features(input, beforeBlock: options.firstTrainedBlock)   // [1, h, w, c]
                : backbone.embedding(input).reshaped(to: [1, 1, 1, EfficientNetLite0.embeddingSize])            // [1, 1, 1, 1280]
            return withoutGradients { head.inference(features).softmax() }.scalars
        })
    }
}
