import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// The options of a pix2pix or CycleGAN run, written into its folder and read back by --resume, translate and score.
struct TranslationOptions: Codable, Equatable {
    var kind: String                // "pix2pix" or "cyclegan"
    var data: String                // a built-in name, or the folder (pix2pix side-by-side pairs, CycleGAN domain A)
    var second: String?             // pix2pix: the target folder of matching names; CycleGAN: domain B's folder
    var direction: String           // pix2pix: AtoB (left/input -> right/target) or BtoA
    var size: Int
    var loadSize: Int
    var preprocess: String
    var flip: Bool
    var channels: Int
    var epochs: Int
    var decayEpochs: Int
    var batchSize: Int
    var seed: UInt64
    var width: Int
    var blocks: Int
    var norm: String
    var loss: String
    var limit: Int?
    /// CycleGAN's identity loss weight, as a share of the cycle weight (nil in runs from before it was an option: 0.5).
    var identityWeight: Float?

    static let pix2pixDefaults = TranslationOptions(kind: "pix2pix", data: "", second: nil, direction: "AtoB", size: 64, loadSize: 72,
                                                    preprocess: "resize-and-crop", flip: true, channels: 3, epochs: 10, decayEpochs: 0,
                                                    batchSize: 1, seed: 1, width: 64, blocks: 0, norm: "batch", loss: "minimax", limit: nil,
                                                    identityWeight: nil)
    static let cycleGANDefaults = TranslationOptions(kind: "cyclegan", data: "", second: nil, direction: "AtoB", size: 64, loadSize: 72,
                                                     preprocess: "resize-and-crop", flip: true, channels: 3, epochs: 10, decayEpochs: 10,
                                                     batchSize: 1, seed: 1, width: 64, blocks: 6, norm: "instance", loss: "lsgan", limit: nil,
                                                     identityWeight: 0.5)

    var text: String { optionsText(self, defaults: kind == "pix2pix" ? Self.pix2pixDefaults : Self.cycleGANDefaults) }

    static func read(run: String) -> TranslationOptions {
        let url = URL(fileURLWithPath: run).appendingPathComponent("options.json")
        guard let o = try? JSONDecoder().decode(TranslationOptions.self, from: Data(contentsOf: url)) else {
            fail("\(url.path) is missing or damaged: --run must be the folder of a `gesso pix2pix train` or `gesso cyclegan train` run")
        }
        return o
    }

    func makePix2Pix() -> Pix2PixTrainer {
        Pix2PixTrainer(size: size, inputChannels: channels, outputChannels: channels, width: width,
                       norm: TranslationNorm(rawValue: norm)!, loss: GANLoss(rawValue: loss)!, seed: seed)
    }

    func makeCycleGAN() -> CycleGANTrainer {
        CycleGANTrainer(channelsA: channels, channelsB: channels, width: width, blocks: blocks, discriminatorWidth: width,
                        norm: TranslationNorm(rawValue: norm)!, loss: GANLoss(rawValue: loss)!, identityWeight: identityWeight ?? 0.5,
                        seed: seed)
    }

    static let builtins = ["pix2pix": "edges2emoji", "cyclegan": "smileys2animals"]

    /// Training and held-out images (A, B). Built-in data is split; a folder's test split is empty.
    func load() throws -> (train: TranslationPair, test: TranslationPair?) {
        let pre = TranslationPreprocess(rawValue: preprocess)!
        var sets: (train: TranslationPair, test: TranslationPair?)
        var skipped: [String] = []
        let storeSize = pre == .resizeAndCrop ? loadSize : size
        switch (kind, data) {
        case ("pix2pix", "edges2emoji"):
            let s = try TranslationData.edgesToEmoji(size: storeSize)
            sets = (s.train, s.test)
        case ("cyclegan", "smileys2animals"):
            let s = try TranslationData.smileysAndAnimals(size: storeSize)
            sets = (s.train, s.test)
        case ("pix2pix", _):
            let folder = URL(fileURLWithPath: (data as NSString).expandingTildeInPath)
            let r = try second.map { try TranslationData.loadMatching(input: folder, target: URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath),
                                                                        channels: channels, preprocess: pre, loadSize: loadSize, size: size) }
                ?? TranslationData.loadSideBySide(folder, channels: channels, preprocess: pre, loadSize: loadSize, size: size)
            sets = ((r.a, r.b), nil)
            skipped = r.skipped
        default:
            guard let second else { fail("CycleGAN needs two folders: gesso cyclegan train FOLDER_A FOLDER_B") }
            let (a, sa) = try TranslationData.loadFolder(URL(fileURLWithPath: (data as NSString).expandingTildeInPath), channels: channels,
                                                         preprocess: pre, loadSize: loadSize, size: size)
            let (b, sb) = try TranslationData.loadFolder(URL(fileURLWithPath: (second as NSString).expandingTildeInPath), channels: channels,
                                                         preprocess: pre, loadSize: loadSize, size: size)
            sets = ((a, b), nil)
            skipped = sa + sb
        }
        for s in skipped.prefix(10) { print("skipped (unreadable): \(s)") }
        if skipped.count > 10 { print("... and \(skipped.count - 10) more unreadable files skipped") }
        if channels != 3 && (data == "edges2emoji" || data == "smileys2animals") {
            func grey(_ t: TranslationImages) -> TranslationImages {
                TranslationImages(images: t.images.map { $0.converted(toChannels: channels) }, names: t.names)
            }
            sets.train = (grey(sets.train.a), grey(sets.train.b))
            sets.test = sets.test.map { (grey($0.a), grey($0.b)) }
        }
        if let limit {
            func first(_ t: TranslationImages) -> TranslationImages { t[Array(0..<min(limit, t.count))] }
            sets.train = (first(sets.train.a), first(sets.train.b))
        }
        if kind == "pix2pix" && direction == "BtoA" {
            sets.train = (sets.train.b, sets.train.a)
            sets.test = sets.test.map { ($0.b, $0.a) }
        }
        return sets
    }
}

/// Options shared by `gesso pix2pix train` and `gesso cyclegan train`.
struct TranslationTrainArguments: ParsableArguments {
    @Option(help: "Image side the networks train at: 64, 128 or 256 (crops of --load-size); at least 32.") var size: Int?
    @Option(help: "Side images are resized to before the random crop (default: size * 9 / 8, as 286 for 256).") var loadSize: Int?
    @Option(help: "resize-and-crop, crop (random crops of the images as they are) or resize (no crop).") var preprocess: String?
    @Flag(help: "Do not flip images left-right at random.") var noFlip = false
    @Option(help: "1 (grey) or 3 (colour).") var channels: Int?
    @Option(help: "Passes over the images (with --resume, the saved run's number unless given).") var epochs: Int?
    @Option(help: "Images per step (the reference trains with 1).") var batchSize: Int?
    @Option(help: "Seed for weights, crops and shuffling.") var seed: UInt64?
    @Option(help: "Channels of the first layer of each network (ngf = ndf; 64 in the papers).") var width: Int?
    @Option(help: "batch or instance normalisation.") var norm: String?
    @Option(help: "Use only the first N training images (of each domain).") var limit: Int?
    @Option(help: "The run folder.") var out: String
    @Flag(help: "Continue the run in --out.") var resume = false
    @Option(help: "Stop after this many minutes of training (saving everything), whatever --epochs says.") var minutes: Double?

    func check(kind: String) throws {
        // The PatchGAN's five 4x4 convolutions need at least 32 pixels; the U-Net halves down to 1x1.
        if let s = size, s < 32 || (kind == "pix2pix" && s & (s - 1) != 0) || s % 4 != 0 {
            throw ValidationError("--size must be at least 32 and " + (kind == "pix2pix" ? "a power of two (64, 128, 256)" : "a multiple of 4")
                                  + ", got \(s)")
        }
        if let p = preprocess, TranslationPreprocess(rawValue: p) == nil {
            throw ValidationError("--preprocess must be resize-and-crop, crop or resize")
        }
        let s = size ?? 64
        if let l = loadSize, l < s {
            throw ValidationError("--load-size \(l) is smaller than --size \(s): the \(s)x\(s) crop would not fit in the resized image. "
                + "Give --load-size of at least \(s), or a smaller --size.")
        }
        if let c = channels, c != 1 && c != 3 { throw ValidationError("--channels must be 1 or 3") }
        if let n = norm, TranslationNorm(rawValue: n) == nil { throw ValidationError("--norm must be batch or instance") }
        if let m = minutes, !(m > 0) { throw ValidationError("--minutes must be positive") }
        if let b = batchSize, b < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be at least 1") }
        if let w = width, w < 1 { throw ValidationError("--width must be at least 1") }
    }

    /// Installs Ctrl-C handling and prepares the run folder. Returns it with the run's options: read back with
    /// --resume (a new --epochs replaces the saved one), else `defaults` with what was given, then `adjust`.
    func begin(_ defaults: TranslationOptions, data: String?, second: String?,
               adjust: (inout TranslationOptions) -> Void) -> (URL, TranslationOptions) {
        StopRequest.install()
        let folder = URL(fileURLWithPath: out)
        prepareRunFolder(folder, resume: resume)
        guard resume else {
            var o = options(defaults, data: data!, second: second)
            adjust(&o)
            return (folder, o)
        }
        var o = TranslationOptions.read(run: out)
        guard o.kind == defaults.kind else { fail("\(out) is a \(o.kind) run: resume it with gesso \(o.kind) train --resume") }
        o.epochs = epochs ?? o.epochs
        return (folder, o)
    }

    /// The options of a new run: the defaults of `kind`, replaced by what was given.
    func options(_ defaults: TranslationOptions, data: String, second: String?) -> TranslationOptions {
        var o = defaults
        o.data = data; o.second = second
        o.size = size ?? o.size
        o.loadSize = loadSize ?? (size.map { $0 * 9 / 8 } ?? o.loadSize)
        o.preprocess = preprocess ?? o.preprocess
        o.flip = !noFlip
        o.channels = channels ?? o.channels
        o.epochs = epochs ?? o.epochs
        o.batchSize = batchSize ?? o.batchSize
        o.seed = seed ?? o.seed
        o.width = width ?? o.width
        o.norm = norm ?? o.norm
        o.limit = limit
        return o
    }
}

/// What the shared training loop needs from pix2pix or CycleGAN.
protocol TranslationModel {
    var step: Int { get }
    /// Steps in an epoch.
    func stepsPerEpoch(_ options: TranslationOptions) -> Int
    /// One step on the batch `b` of `epoch`; named losses for the progress line and metrics.
    mutating func trainStep(epoch: Int, batch b: Int, options: TranslationOptions) -> KeyValuePairs<String, Float>
    /// The grid of the fixed images (input | output | target or reconstruction).
    func sampleGrid() -> Image
    func save(epoch: Int, position: Int?, options: TranslationOptions, to url: URL) throws
    mutating func restore(from url: URL) throws -> TranslationCheckpoint.Info
    mutating func beginEpoch(_ epoch: Int, options: TranslationOptions)
}

/// A random generator for the crops and flips of one batch, so a resumed run cuts the same batches.
func batchRandom(_ o: TranslationOptions, epoch: Int, batch: Int) -> RandomGenerator {
    RandomGenerator(seed: o.seed &* 1_000_003 &+ UInt64(epoch) &* 7_919 &+ UInt64(batch) &+ 17)
}

/// A seeded order of `count` items for an epoch.
func epochOrder(_ count: Int, seed: UInt64, epoch: Int, salt: UInt64) -> [Int] {
    var g = RandomGenerator(seed: seed &+ UInt64(epoch) &* 104_729 &+ salt)
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
    return order
}

/// Rows of image triples, each in [-1, 1] `[N, S, S, C]`, side by side with captions on the first row.
func tripleGrid(_ columns: [(String, Tensor)]) -> Image {
    let n = columns[0].1.shape[0]
    let scale = max(1, 96 / columns[0].1.shape[1])
    var tiles: [Image] = [], captions: [String] = []
    for i in 0..<n {
        for (name, t) in columns {
            let im = Image(tensor: t[i], range: -1...1)
            tiles.append(scale > 1 ? im.resized(width: im.width * scale, height: im.height * scale, filter: .bilinear) : im)
            captions.append(name)
        }
    }
    return ImageGrid.make(tiles, columns: columns.count, captions: captions, padding: 2)
}

/// Two pictures next to each other on white, 12 pixels apart (CycleGAN's A and B grids).
func sideBySide(_ left: Image, _ right: Image) -> Image {
    var canvas = Image(width: left.width + right.width + 12, height: max(left.height, right.height), channels: 3, fill: 255)
    canvas.paste(left, x: 0, y: 0)
    canvas.paste(right, x: left.width + 12, y: 0)
    return canvas
}

struct Pix2PixModel: TranslationModel {
    var trainer: Pix2PixTrainer
    let train: TranslationPair
    var fixed: (a: Tensor, b: Tensor)

    var step: Int { trainer.step }
    func stepsPerEpoch(_ o: TranslationOptions) -> Int { max(1, train.a.count / o.batchSize) }
    mutating func beginEpoch(_ epoch: Int, options: TranslationOptions) {}

    mutating func trainStep(epoch: Int, batch b: Int, options o: TranslationOptions) -> KeyValuePairs<String, Float> {
        let order = epochOrder(train.a.count, seed: o.seed, epoch: epoch, salt: 1)
        let indices = (0..<min(o.batchSize, train.a.count)).map { order[(b * o.batchSize + $0) % order.count] }
        var g = batchRandom(o, epoch: epoch, batch: b)
        let (a, target) = TranslationData.batch(train.a, partner: train.b, indices: indices, size: o.size, flip: o.flip, using: &g)
        let r = trainer.trainStep(input: a, target: target!)
        return ["D": r.discriminatorLoss, "G_GAN": r.generatorGANLoss, "G_L1": r.l1]
    }

    func sampleGrid() -> Image {
        tripleGrid([("input", fixed.a), ("output", trainer.translate(fixed.a)), ("target", fixed.b)])
    }

    func save(epoch: Int, position: Int?, options: TranslationOptions, to url: URL) throws {
        try TranslationCheckpoint.write(trainer, epoch: epoch, config: position.map { ["position.batch": String($0)] } ?? [:],
                                        extras: ["fixedA": fixed.a, "fixedB": fixed.b], to: url)
    }

    mutating func restore(from url: URL) throws -> TranslationCheckpoint.Info {
        let info = try TranslationCheckpoint.restore(&trainer, from: url)
        if let a = info.extras["fixedA"], let b = info.extras["fixedB"] { fixed = (a, b) }
        return info
    }
}

struct CycleGANModel: TranslationModel {
    var trainer: CycleGANTrainer
    let train: TranslationPair
    var fixed: (a: Tensor, b: Tensor)

    var step: Int { trainer.step }
    func stepsPerEpoch(_ o: TranslationOptions) -> Int { max(1, max(train.a.count, train.b.count) / o.batchSize) }
    mutating func beginEpoch(_ epoch: Int, options o: TranslationOptions) {
        trainer.setLearningRate(epoch: epoch, constantEpochs: o.epochs - o.decayEpochs, decayEpochs: o.decayEpochs)
    }

    mutating func trainStep(epoch: Int, batch k: Int, options o: TranslationOptions) -> KeyValuePairs<String, Float> {
        // Domain A in a shuffled order; B drawn in its own order, so every pairing is new (unpaired data).
        let orderA = epochOrder(train.a.count, seed: o.seed, epoch: epoch, salt: 1)
        let orderB = epochOrder(train.b.count, seed: o.seed, epoch: epoch, salt: 2)
        let slots = (0..<o.batchSize).map { k * o.batchSize + $0 }
        var g = batchRandom(o, epoch: epoch, batch: k)
        let (a, _) = TranslationData.batch(train.a, indices: slots.map { orderA[$0 % orderA.count] }, size: o.size, flip: o.flip, using: &g)
        let (b, _) = TranslationData.batch(train.b, indices: slots.map { orderB[$0 % orderB.count] }, size: o.size, flip: o.flip, using: &g)
        let r = trainer.trainStep(a: a, b: b)
        return ["D_A": r.discriminatorA, "D_B": r.discriminatorB, "G_AB": r.generatorAToB, "G_BA": r.generatorBToA,
                "cycle_A": r.cycleA, "cycle_B": r.cycleB, "idt_A": r.identityA, "idt_B": r.identityB]
    }

    func sampleGrid() -> Image {
        let ab = trainer.translate(fixed.a, aToB: true), ba = trainer.translate(fixed.b, aToB: false)
        return sideBySide(tripleGrid([("A", fixed.a), ("A to B", ab), ("back to A", trainer.translate(ab, aToB: false))]),
                          tripleGrid([("B", fixed.b), ("B to A", ba), ("back to B", trainer.translate(ba, aToB: true))]))
    }

    func save(epoch: Int, position: Int?, options: TranslationOptions, to url: URL) throws {
        try TranslationCheckpoint.write(trainer, epoch: epoch, config: position.map { ["position.batch": String($0)] } ?? [:],
                                        extras: ["fixedA": fixed.a, "fixedB": fixed.b], to: url)
    }

    mutating func restore(from url: URL) throws -> TranslationCheckpoint.Info {
        let info = try TranslationCheckpoint.restore(&trainer, from: url)
        if let a = info.extras["fixedA"], let b = info.extras["fixedB"] { fixed = (a, b) }
        return info
    }
}

/// Up to 6 fixed images for the per-epoch grids: from the held-out split when there is one, else the first training images.
func fixedSet(_ sets: (train: TranslationPair, test: TranslationPair?),
              size: Int) -> (a: Tensor, b: Tensor) {
    let source = sets.test.map { $0.a.count > 0 && $0.b.count > 0 ? $0 : sets.train } ?? sets.train
    func pick(_ t: TranslationImages) -> Tensor {
        let n = min(6, t.count)
        return TranslationData.centred(t, indices: (0..<n).map { $0 * t.count / n }, size: size)
    }
    return (pick(source.a), pick(source.b))
}

/// The loop both trainers share: epochs of steps with a progress bar, a grid and checkpoint every epoch, metrics.csv and
/// losses.png, --minutes, Ctrl-C (saves where it stopped), NaN checks.
func runTranslationTraining<M: TranslationModel>(_ model: inout M, options: TranslationOptions, folder: URL, resume: Bool,
                                                 minutes: Double?, command: String) throws {
    let checkpointURL = folder.appendingPathComponent("checkpoint.safetensors")
    let metricsURL = folder.appendingPathComponent("metrics.csv")
    var startEpoch = 0, startBatch = 0
    var rows: [[String]] = []
    if resume {
        let info = try model.restore(from: checkpointURL)
        startEpoch = info.epoch
        startBatch = Int(info.config["position.batch"] ?? "0") ?? 0
        rows = ((try? String(contentsOf: metricsURL, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map(String.init) }.filter { (Int($0.first ?? "") ?? .max) <= startEpoch }
        print("Resuming \(folder.path) at epoch \(startEpoch + 1), step \(model.step)")
    }
    try write(Data(try JSONEncoder.pretty.encode(options)), to: folder.appendingPathComponent("options.json"))
    try write(Data(options.text.utf8), to: folder.appendingPathComponent("options.txt"))
    let perEpoch = model.stepsPerEpoch(options)
    var header: [String] = []
    let budgetStart = Date()
    if startEpoch >= options.epochs { print("This run has already trained \(startEpoch) epochs; ask for more with --epochs.") }
    for epoch in startEpoch..<max(startEpoch, options.epochs) {
        model.beginEpoch(epoch, options: options)
        var bar = ProgressBar(total: perEpoch, label: "epoch \(epoch + 1)/\(options.epochs)")
        var sums: [Double] = [], names: [String] = [], steps = 0
        let started = Date()
        for b in startBatch..<perEpoch {
            let losses = model.trainStep(epoch: epoch, batch: b, options: options)
            guard losses.allSatisfy({ $0.value.isFinite }) else {
                fail("the losses became NaN or infinite at step \(model.step): training diverged. Start again with another --seed, "
                     + "or resume from the last good checkpoint \(checkpointURL.path)")
            }
            if names.isEmpty { names = losses.map(\.key); sums = [Double](repeating: 0, count: names.count) }
            for (i, l) in losses.enumerated() { sums[i] += Double(l.value) }
            steps += 1
            let rate = Double(steps * options.batchSize) / max(Date().timeIntervalSince(started), 1e-9)
            bar.update(b + 1, zip(names, sums).map { String(format: "%@ %.3f", $0, $1 / Double(steps)) }.joined(separator: " ")
                       + String(format: " %.1f img/s", rate))
            let outOfTime = minutes.map { Date().timeIntervalSince(budgetStart) > $0 * 60 } ?? false
            if StopRequest.requested != 0 || outOfTime {
                bar.finish()
                try model.save(epoch: epoch, position: b + 1, options: options, to: checkpointURL)
                try ImageFile.write(model.sampleGrid(), to: folder.appendingPathComponent("samples.png"))
                print("\(outOfTime ? "Time is up" : "Stopped") after \(model.step) steps: saved \(checkpointURL.path) and "
                      + "\(folder.appendingPathComponent("samples.png").path). Continue with: gesso \(command) train --resume --out \(folder.path)")
                return
            }
        }
        bar.finish()
        startBatch = 0
        let seconds = Date().timeIntervalSince(started)
        header = ["epoch", "step"] + names + ["seconds"]
        rows.append([String(epoch + 1), String(model.step)] + sums.map { String(format: "%.5f", $0 / Double(max(steps, 1))) }
                    + [String(format: "%.1f", seconds)])
        let grid = model.sampleGrid()
        let sampleURL = folder.appendingPathComponent(String(format: "samples/epoch-%03d.png", epoch + 1))
        try ImageFile.write(grid, to: sampleURL)
        try ImageFile.write(grid, to: folder.appendingPathComponent("samples.png"))
        try write(Data(([header.joined(separator: ",")] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n").utf8 + [10]), to: metricsURL)
        let series = names.indices.map { i in (names[i], rows.map { Double($0[2 + i]) ?? .nan }) }
        try ImageFile.write(Chart.lines(series, xValues: rows.map { Double($0[0]) ?? 0 }, title: "\(command) losses", xLabel: "epoch", yLabel: "loss"),
                            to: folder.appendingPathComponent("losses.png"))
        try model.save(epoch: epoch + 1, position: nil, options: options, to: checkpointURL)
        print(String(format: "epoch %d: ", epoch + 1) + zip(names, sums).map { String(format: "%@ %.3f", $0, $1 / Double(max(steps, 1))) }
            .joined(separator: ", ") + String(format: " (%.0f s); grid: %@", seconds, sampleURL.path))
    }
    print("Done. Grids in \(folder.appendingPathComponent("samples").path); try: gesso translate --run \(folder.path) --direction AtoB IMAGE_OR_FOLDER --out translated")
}

/// Creates a new run folder (refusing one that holds a run) or checks that --resume has one.
func prepareRunFolder(_ folder: URL, resume: Bool) {
    let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
    if resume {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            fail("\(folder.path) holds no checkpoint to resume (\(checkpoint.path) is missing). Start a run with --out \(folder.path) first.")
        }
        return
    }
    if FileManager.default.fileExists(atPath: checkpoint.path) {
        fail("\(folder.path) already holds a run. Continue it with --resume, or choose another --out.")
    }
    do { try FileManager.default.createDirectory(at: folder.appendingPathComponent("samples"), withIntermediateDirectories: true) }
    catch { fail("cannot create the run folder \(folder.path): \(error.localizedDescription)") }
}

/// `gesso pix2pix ...`: paired image-to-image translation.
struct Pix2Pix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pix2pix", abstract: "Paired image-to-image translation (pix2pix): train and score.",
        subcommands: [Pix2PixTrain.self, Pix2PixScore.self])
}

struct Pix2PixTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train pix2pix on pairs: edges2emoji, a folder of side-by-side A|B images, or two folders of matching names.",
        discussion: """
        Examples:
          gesso pix2pix train edges2emoji --out runs/edges2emoji --minutes 20
          gesso pix2pix train ~/facades/train --size 256 --out runs/facades        (side-by-side pairs)
          gesso pix2pix train ~/sketches --target ~/paintings --out runs/paint     (matching file names)
          gesso pix2pix train --resume --out runs/edges2emoji
        Every epoch writes samples/epoch-NNN.png: input | output | target for the same images. Ctrl-C saves and stops.
        """)

    @Argument(help: "edges2emoji (built in), a folder of side-by-side pairs, or the input folder (with --target).") var data: String?
    @Option(help: "The target folder: images named as those in DATA.") var target: String?
    @Option(help: "AtoB (left/input -> right/target) or BtoA.") var direction = "AtoB"
    @Option(help: "minimax (the paper's) or lsgan.") var loss = "minimax"
    @OptionGroup var common: TranslationTrainArguments

    func validate() throws {
        if !common.resume && data == nil { throw ValidationError("give the pairs: edges2emoji, a folder of side-by-side images, or a folder with --target") }
        guard ["AtoB", "BtoA"].contains(direction) else { throw ValidationError("--direction must be AtoB or BtoA") }
        guard GANLoss(rawValue: loss) != nil else { throw ValidationError("--loss must be minimax or lsgan") }
        try common.check(kind: "pix2pix")
    }

    func run() throws {
        do { try train() } catch let e as DataError { fail(e.description) } catch let e as CheckpointError { fail(e.description) }
    }

    func train() throws {
        let (folder, options) = common.begin(.pix2pixDefaults, data: data, second: target) { o in
            o.direction = direction; o.loss = loss
        }
        let sets = try options.load()
        print("Training pix2pix on \(sets.train.a.count) pairs, \(options.size)x\(options.size)x\(options.channels)"
              + (sets.test.map { ", \($0.a.count) held out" } ?? ""))
        var model = Pix2PixModel(trainer: options.makePix2Pix(), train: sets.train, fixed: fixedSet(sets, size: options.size))
        print("Generator (U-Net) \(model.trainer.generator.parameterCount) parameters, discriminator (PatchGAN) "
              + "\(model.trainer.discriminator.parameterCount). Run folder: \(folder.path)")
        try runTranslationTraining(&model, options: options, folder: folder, resume: common.resume, minutes: common.minutes, command: "pix2pix")
    }
}

struct CycleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyclegan", abstract: "Unpaired image-to-image translation (CycleGAN): train and score.",
        subcommands: [CycleGANTrain.self, CycleGANScore.self])
}

struct CycleGANTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train CycleGAN between two folders of images (any sizes and counts), or smileys2animals.",
        discussion: """
        Examples:
          gesso cyclegan train smileys2animals --out runs/smileys2animals --minutes 30
          gesso cyclegan train ~/monet ~/photos --size 128 --out runs/monet
          gesso cyclegan train --resume --out runs/monet
        The learning rate stays for --epochs minus --decay-epochs, then falls linearly to 0. Every epoch writes \
        samples/epoch-NNN.png: A | A to B | back to A, and B | B to A | back to B. Ctrl-C saves and stops.
        """)

    @Argument(help: "smileys2animals (built in), or the folder of domain A.") var data: String?
    @Argument(help: "The folder of domain B.") var second: String?
    @Option(help: "Residual blocks in each generator (6 or 9 in the paper).") var blocks: Int?
    @Option(help: "Of the epochs, how many at the end decay the learning rate linearly to 0.") var decayEpochs: Int?
    @Option(help: "Weight of the identity loss (G_AB(b) close to b) as a share of the cycle weight: 0.5 keeps colours, 0 lets them change.")
    var identityWeight: Float?
    @OptionGroup var common: TranslationTrainArguments

    func validate() throws {
        if !common.resume {
            guard let data else { throw ValidationError("give two folders (domain A, domain B), or smileys2animals") }
            if data != "smileys2animals" && second == nil { throw ValidationError("give the folder of domain B too: gesso cyclegan train FOLDER_A FOLDER_B") }
        }
        if let b = blocks, b < 1 { throw ValidationError("--blocks must be at least 1") }
        if let d = decayEpochs, d < 0 { throw ValidationError("--decay-epochs must be 0 or more") }
        if let w = identityWeight, !(w >= 0) { throw ValidationError("--identity-weight must be 0 or more") }
        try common.check(kind: "cyclegan")
    }

    func run() throws {
        do { try train() } catch let e as DataError { fail(e.description) } catch let e as CheckpointError { fail(e.description) }
    }

    func train() throws {
        var (folder, options) = common.begin(.cycleGANDefaults, data: data, second: second) { o in
            o.blocks = blocks ?? o.blocks
            o.identityWeight = identityWeight ?? o.identityWeight
            o.decayEpochs = decayEpochs ?? o.epochs / 2
        }
        if common.resume { options.decayEpochs = decayEpochs ?? options.decayEpochs }
        guard options.decayEpochs <= options.epochs else {
            fail("--decay-epochs \(options.decayEpochs) is more than --epochs \(options.epochs): the decay is part of the epochs")
        }
        let sets = try options.load()
        print("Training CycleGAN on \(sets.train.a.count) images of A and \(sets.train.b.count) of B, \(options.size)x\(options.size)x\(options.channels)"
              + (sets.test.map { ", \($0.a.count) + \($0.b.count) held out" } ?? ""))
        var model = CycleGANModel(trainer: options.makeCycleGAN(), train: sets.train, fixed: fixedSet(sets, size: options.size))
        print("Generators \(model.trainer.aToB.parameterCount) parameters each, discriminators \(model.trainer.judgeA.parameterCount) each. "
              + "Run folder: \(folder.path)")
        try runTranslationTraining(&model, options: options, folder: folder, resume: common.resume, minutes: common.minutes, command: "cyclegan")
    }
}
