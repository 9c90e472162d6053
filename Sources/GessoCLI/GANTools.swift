import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// `gesso gan arithmetic`: the DCGAN paper's vector arithmetic on averaged latent groups.
struct GANArithmetic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arithmetic", abstract: "Latent vector arithmetic: \"a1,a2,a3 - b1,b2 + c1,c2\".",
        discussion: """
        Each group is a comma-separated list of seeds (as in `gesso gan sample`) or of positions in the run's sample \
        grid written g0 ... g63 (the fixed noise of samples.png, row by row). Each group is averaged, then the groups \
        are added and subtracted: as in the DCGAN paper's "man with glasses - man + woman". Writes arithmetic.png: \
        every group with its mean, the result, and 8 neighbours of the result.
        """)

    @Option(name: .customLong("run"), help: "The run folder of `gesso gan train`.") var runFolder: String
    @Argument(help: "The expression, e.g. \"g3,g17,g20 - g5,g9 + g30,g41\".") var expression: String
    @Option(help: "Where to write (default: RUN/arithmetic.png).") var out: String?

    /// (sign, items) per group.
    static func parse(_ text: String) throws -> [(sign: Float, items: [String])] {
        var groups: [(Float, [String])] = []
        var sign: Float = 1, current = ""
        func flush() throws {
            let items = current.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !items.isEmpty else { throw ValidationError("an empty group in \"\(text)\": write seeds or g-positions between the signs") }
            groups.append((sign, items))
            current = ""
        }
        for ch in text {
            if ch == "+" || ch == "-" {
                if current.trimmingCharacters(in: .whitespaces).isEmpty && groups.isEmpty { sign = ch == "-" ? -1 : 1; continue }
                try flush()
                sign = ch == "-" ? -1 : 1
            } else { current.append(ch) }
        }
        try flush()
        return groups
    }

    func run() throws {
        let groups: [(sign: Float, items: [String])]
        do { groups = try Self.parse(expression) } catch { fail("\(error)") }
        let (options, trainer) = loadGenerator(run: runFolder)
        let info: GANCheckpoint.Info
        do {
            var copy = trainer
            info = try GANCheckpoint.restore(&copy, from: URL(fileURLWithPath: runFolder).appendingPathComponent("checkpoint.safetensors"))
        } catch { fail("\(error)") }
        func vector(_ item: String) -> Tensor {
            if item.hasPrefix("g"), let i = Int(item.dropFirst()) {
                guard i >= 0 && i < info.fixedNoise.shape[0] else { fail("\(item): the sample grid has positions g0 to g\(info.fixedNoise.shape[0] - 1)") }
                return info.fixedNoise[i..<i + 1]
            }
            guard let seed = UInt64(item) else { fail("\(item) is neither a seed (a whole number) nor a grid position (g0, g1, ...)") }
            return latent(seed: seed, size: options.latentSize)
        }
        var rows: [Image] = []
        var result = Tensor.zeros([1, options.latentSize])
        for g in groups {
            let vectors = g.items.map(vector)
            let mean = Latent.mean(vectors)
            result = withoutGradients { result + mean * g.sign }
            let images = options.images(trainer, Tensor.concatenate(vectors + [mean], alongAxis: 0))
            rows.append(sheet(images, columns: vectors.count + 1,
                              captions: g.items.map { (g.sign < 0 ? "- " : "+ ") + $0 } + ["mean"]))
        }
        var g = RandomGenerator(seed: 99)
        let neighbours = (0..<8).map { _ in withoutGradients { result + Tensor.randomNormal([1, options.latentSize], standardDeviation: 0.25, using: &g) } }
        let images = options.images(trainer, Tensor.concatenate([result] + neighbours, alongAxis: 0))
        rows.append(sheet(images, columns: 9, captions: ["result"] + (1...8).map { "near \($0)" }))
        let width = rows.map(\.width).max() ?? 1
        var canvas = Image(width: width, height: rows.reduce(0) { $0 + $1.height }, channels: 3, fill: 255)
        var y = 0
        for r in rows { canvas.paste(r, x: 0, y: y); y += r.height }
        let url = URL(fileURLWithPath: out ?? runFolder + "/arithmetic.png")
        try ImageFile.write(canvas, to: url)
        print("Wrote \(url.path): \(groups.count) groups, their means, the result and 8 neighbours")
    }
}

/// `gesso gan score`: how convincing samples are, to a classifier trained on the real images (Fashion-MNIST), and by
/// the Frechet distance of their EfficientNet-Lite0 embeddings to those of real images.
struct GANScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score a GAN's samples with a classifier from `gesso train classifier` and/or against real images (--fed).",
        discussion: "--classifier reports the classifier's mean top-class confidence on the samples (higher: clearer images) and the share " +
            "of samples per class (each class near 1/classes: no mode collapse). --fed FOLDER reports the Frechet distance between " +
            "Gaussian fits of the EfficientNet-Lite0 embeddings (1280-d) of --fed-samples samples and of the folder's images " +
            "(lower: closer to the real images; 0 for the same statistics; as FID, but in EfficientNet's space, and it depends " +
            "on the number of images, so compare numbers made with the same counts). Both write score.json in the run folder.")

    @Option(name: .customLong("run"), help: "The run folder of `gesso gan train`.") var runFolder: String
    @Option(help: "The run folder of a classifier trained on the same kind of images.") var classifier: String?
    @Option(help: "How many samples (for --classifier).") var count = 1000
    @Option(help: "Seed of the first sample.") var seed: UInt64 = 1000
    @Option(help: "A folder of real images (any depth): report the Frechet embedding distance (FED) to them.") var fed: String?
    @Option(help: "How many samples for --fed (each costs an EfficientNet pass, about 25 ms).") var fedSamples = 500
    @Option(help: "The EfficientNet-Lite0 weights for --fed (default $GESSO_HOME/models/efficientnet-lite0.pth).") var weights: String?
    @Flag(help: "In a run with --average, score the generator's current weights instead of the average.") var currentWeights = false

    func validate() throws {
        guard classifier != nil || fed != nil else { throw ValidationError("give --classifier RUN, --fed FOLDER, or both") }
        guard count >= 1, fedSamples >= 2 else { throw ValidationError("--count must be at least 1 and --fed-samples at least 2") }
    }

    func run() throws {
        let (options, gan) = loadGenerator(run: runFolder, averaged: !currentWeights)
        var report: [String: Any] = [:]
        if let classifier { report.merge(classifierScore(classifier, options: options, gan: gan)) { $1 } }
        if let fed { report.merge(frechetScore(fed, options: options, gan: gan)) { $1 } }
        try write(try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]),
                  to: URL(fileURLWithPath: runFolder).appendingPathComponent("score.json"))
    }

    /// The Frechet distance between the embeddings of `fedSamples` samples (seeds `seed`, `seed` + 1, ...) and of
    /// every image under `folder`, both through EfficientNet's preprocessing (RGB, enlarged, centre 224 x 224).
    func frechetScore(_ folder: String, options: GANOptions, gan: GANTrainer) -> [String: Any] {
        let urls: [URL]
        do { urls = try ImageCollection.imageFiles(in: URL(fileURLWithPath: folder)) } catch { fail("\(error)") }
        guard urls.count >= 2 else { fail("\(folder): the Frechet distance needs at least 2 real images, found \(urls.count)") }
        let model = PretrainedEfficientNet.load(weights)
        var samples: [Image] = []
        for start in stride(from: 0, to: fedSamples, by: 64) {
            let n = min(64, fedSamples - start)
            let z = Tensor.concatenate((0..<n).map { latent(seed: seed + UInt64(start + $0), size: options.latentSize) }, alongAxis: 0)
            let images = options.images(gan, z, averaged: !currentWeights)                                              // [n, S', S', C] in [-1, 1]
            samples += (0..<n).map { Image(tensor: images[$0], range: -1...1) }
        }
        let fake = PretrainedEfficientNet.embeddings(model, count: samples.count, label: "samples") { samples[$0] }
        let real: [Float]
        do {
            real = try PretrainedEfficientNet.embeddings(model, count: urls.count, label: "real images") { try ImageFile.read(urls[$0]) }
        } catch { fail("\(error)") }
        let d = EfficientNetLite0.embeddingSize
        let distance = FrechetDistance.between(Tensor(shape: [samples.count, d], scalars: fake),
                                               Tensor(shape: [urls.count, d], scalars: real))
        print(String(format: "Frechet embedding distance (EfficientNet-Lite0, %d samples vs %d real images): %.3f",
                     samples.count, urls.count, distance))
        return ["fed": distance, "fedSamples": samples.count, "fedRealImages": urls.count, "fedFolder": folder]
    }

    /// The classifier's mean confidence and class shares over `count` samples, and, for runs on Fashion-MNIST or MNIST, the
    /// same measures on as many real images (test images where there is a test set) taken through the same resizing (or
    /// frame and crop): the yardstick that says how far the samples are from real ones.
    func classifierScore(_ classifier: String, options: GANOptions, gan: GANTrainer) -> [String: Any] {
        let (c, trainer) = loadClassifierRun(classifier)
        guard c.channels == options.channels else {
            fail("the classifier sees \(c.channels)-channel images but the GAN makes \(options.channels)-channel ones")
        }
        let samples = ClassifierMeasure(classifier: c, trainer: trainer, count: count) { start, n in
            let z = Tensor.concatenate((0..<n).map { latent(seed: seed + UInt64(start + $0), size: options.latentSize) }, alongAxis: 0)
            return withoutGradients { (options.images(gan, z, averaged: !currentWeights) + 1) * 0.5 }                 // [n, S', S', C] in [0, 1]
        }
        print(String(format: "Mean top-class confidence over %d samples: %.3f", count, samples.confidence))
        print("Share of samples per class:")
        let width = (c.classNames.map(\.count).max() ?? 0) + 2
        for (name, share) in zip(c.classNames, samples.shares) {
            print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%5.1f%%", 100 * share))
        }
        print(String(format: "Smallest class share: %.1f%%", 100 * samples.smallestShare))
        var report: [String: Any] = ["samples": count, "meanConfidence": samples.confidence,
                                     "classShares": Dictionary(uniqueKeysWithValues: zip(c.classNames, samples.shares))]
        if let real = realImages(options), real.set.count > 0 {
            let n = min(count, real.set.count)
            let measure = ClassifierMeasure(classifier: c, trainer: trainer, count: n) { start, k in
                // Through the run's own pipeline: stretched to its size, or framed and cropped again (untouched).
                let images = GANImages.fit(real.set[Array(start..<(start + k))].images, size: options.size, border: options.border)
                return GANImages.removeBorder(images, border: options.border)                                       // [k, S', S', 1]
            }
            print(String(format: "Real images for comparison (%d %@ images, %@ as in training): confidence %.3f, smallest class %.1f%%",
                         n, real.part, options.border == nil ? "resized" : "framed and cropped", measure.confidence,
                         100 * measure.smallestShare))
            report["realImages"] = ["images": n, "part": real.part, "meanConfidence": measure.confidence,
                                    "smallestShare": measure.smallestShare] as [String: Any]
        }
        return report
    }

    /// The real images of a run on built-in labelled data: Fashion-MNIST's test set, or MNIST-5k.
    func realImages(_ options: GANOptions) -> (set: LabeledImages, part: String)? {
        switch options.data {
        case "fashion-mnist": return (try? BuiltinData.fashionMNIST(train: false)).map { ($0, "Fashion-MNIST test") }
        case "mnist": return (try? BuiltinData.mnist5k()).map { ($0, "MNIST-5k") }
        default: return nil
        }
    }
}

/// A classifier's mean top-class confidence and its share of images per class over `count` images, drawn in chunks of
/// 256 by `images(start, n)` -> `[n, S, S, C]` in [0, 1].
struct ClassifierMeasure {
    var confidence = 0.0
    var shares: [Double]
    var smallestShare: Double { shares.min() ?? 0 }

    init(classifier c: ClassifierOptions, trainer: ClassifierTrainer, count: Int, images: (Int, Int) -> Tensor) {
        var counts = [Int](repeating: 0, count: c.classNames.count)
        for start in stride(from: 0, to: count, by: 256) {
            for (best, probability) in topClasses(trainer, imageSize: c.imageSize, images(start, min(256, count - start))) {
                confidence += probability
                counts[best] += 1
            }
        }
        confidence /= Double(count)
        shares = counts.map { Double($0) / Double(count) }
    }
}

/// The classifier's top class and its probability for each of `images` `[N, S, S, C]` in [0, 1], resized to the
/// classifier's `imageSize` first.
func topClasses(_ trainer: ClassifierTrainer, imageSize: Int, _ images: Tensor) -> [(index: Int, probability: Double)] {
    var x = images
    if x.shape[1] != imageSize || x.shape[2] != imageSize { x = x.resized(to: [imageSize, imageSize], method: .bilinear) }
    let p = withoutGradients { trainer.model.inference(x).softmax() }
    let k = p.shape[1], values = p.scalars
    return (0..<p.shape[0]).map { i in
        let row = values[(i * k)..<((i + 1) * k)]
        let best = row.indices.max { row[$0] < row[$1] }!
        return (best - i * k, Double(row[best]))
    }
}

/// `gesso data ...`: built-in data sets as folders of PNGs.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Export built-in data sets as image folders.",
                                                    subcommands: [EmojiExport.self, Edges2EmojiExport.self, SmileysAnimalsExport.self])
}

struct EmojiExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emoji", abstract: "Extract the colour emoji of Debian's fonts-noto-color-emoji as PNGs (on white).")
    @Argument(help: "The folder to write into.") var out: String
    @Option(help: "smileys (U+1F600-1F64F), animals (U+1F400-1F43F) or all.") var block = "all"
    @Option(help: "Resize to size x size (default: the font's own size).") var size: Int?

    func run() throws {
        guard let blocks = EmojiFont.blocks(named: block) else { fail("--block must be smileys, animals or all, got \(block)") }
        do {
            let emoji = try EmojiFont.load(blocks: blocks, size: size)
            let n = try EmojiFont.export(emoji, to: URL(fileURLWithPath: out))
            print("Wrote \(n) emoji to \(out)")
        } catch let e as DataError { fail(e.description) }
    }
}

/// A run of `gesso train classifier`: its options and its best (else last) weights.
func loadClassifierRun(_ path: String) -> (ClassifierOptions, ClassifierTrainer) {
    let cURL = URL(fileURLWithPath: path)
    guard let c = try? JSONDecoder().decode(ClassifierOptions.self, from: Data(contentsOf: cURL.appendingPathComponent("options.json"))) else {
        fail("\(cURL.appendingPathComponent("options.json").path) is missing or damaged: --classifier must be a `gesso train classifier` run")
    }
    var trainer = ClassifierTrainer(
        model: ClassifierArchitecture(rawValue: c.model)!.make(imageSize: c.imageSize, channels: c.channels, classes: c.classNames.count, seed: c.seed),
        optimizer: OptimizerChoice(rawValue: c.optimizer)!.make(learningRate: c.learningRate), classes: c.classNames.count, seed: c.seed)
    var weights = cURL.appendingPathComponent("best.safetensors")
    if !FileManager.default.fileExists(atPath: weights.path) { weights = cURL.appendingPathComponent("checkpoint.safetensors") }
    do { _ = try TrainingCheckpoint.restore(&trainer, from: weights) } catch { fail("\(error)") }
    return (c, trainer)
}
