import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// `gesso gan ...`: train a GAN on a folder of images, then sample it and walk its latent space.
struct GAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan", abstract: "Generative adversarial networks: train, sample, interpolate.",
        subcommands: [GANTrain.self, GANSample.self, GANInterpolate.self, GANArithmetic.self, GANScore.self])
}

/// The options of a GAN run, written into its folder and read back by --resume, sample and interpolate.
struct GANOptions: Codable, Equatable {
    var data: String
    var model: String
    var loss: String
    var size: Int
    var channels: Int
    var epochs: Int
    var batchSize: Int
    var seed: UInt64
    var latentSize: Int
    var limit: Int?
    /// The decay of the generator's weight average (nil: no average; runs from before it existed have none).
    var average: Float?
    /// Feature maps of the DCGAN's widest-resolution layer (ngf = ndf; nil: 64, as runs from before the option).
    var width: Int?
    /// For emoji: the Unicode block (smileys, animals; nil: all).
    var block: String?
    /// One-sided label smoothing: D's target for real images is 1 - this (nil: none).
    var labelSmoothing: Float?
    /// DCGAN's discriminator sees the batch's standard deviation (nil: no, as runs from before the option).
    var minibatchDeviation: Bool?
    /// Black pixels added on each side of the built-in 28x28 images to make them 32x32, as LeNet-5 fed MNIST, instead of
    /// stretching them (nil: stretched, as runs from before; stretching 28 -> 32 -> 28 blurs: the Fashion-MNIST
    /// classifier's confidence on real test images drops from 0.937 to 0.893). `gan score` crops it off again.
    var border: Int?

    static let defaults = GANOptions(data: "", model: "dcgan", loss: "minimax", size: 32, channels: 0, epochs: 5, batchSize: 64,
                                     seed: 1, latentSize: 100, limit: nil, average: nil, width: nil, block: nil, labelSmoothing: nil,
                                     minibatchDeviation: nil, border: nil)

    /// The run's images for latents, without the border it trained with (`[N, S - 2b, S - 2b, C]` in [-1, 1]): what
    /// every grid, sample, walk and score shows, so a Fashion-MNIST run makes 28x28 garments as the data set has.
    func images(_ trainer: GANTrainer, _ latents: Tensor, averaged: Bool = true) -> Tensor {
        GANImages.removeBorder(trainer.sample(latents, averaged: averaged), border: border)
    }

    var text: String { optionsText(self, defaults: Self.defaults) }

    func makeTrainer() -> GANTrainer {
        var t = GANTrainer(architecture: GANArchitecture(rawValue: model)!, size: size, channels: channels, latentSize: latentSize,
                           width: width ?? 64, loss: GANLoss(rawValue: loss)!, minibatchDeviation: minibatchDeviation ?? false,
                           seed: seed)
        t.averageDecay = average
        t.realLabel = 1 - (labelSmoothing ?? 0)
        return t
    }

    static func read(run: String) -> GANOptions {
        let url = URL(fileURLWithPath: run).appendingPathComponent("options.json")
        guard let o = try? JSONDecoder().decode(GANOptions.self, from: Data(contentsOf: url)) else {
            fail("\(url.path) is missing or damaged: --run must be the folder of a `gesso gan train` run")
        }
        return o
    }
}

/// Images in [-1, 1] -> a contact sheet.
func sheet(_ images: Tensor, columns: Int, captions: [String]? = nil) -> Image {
    let n = images.shape[0]
    let scale = max(1, 64 / images.shape[1])
    let tiles = (0..<n).map { i -> Image in
        let im = Image(tensor: images[i], range: -1...1)
        return scale > 1 ? im.resized(width: im.width * scale, height: im.height * scale, filter: .bilinear) : im
    }
    return ImageGrid.make(tiles, columns: columns, captions: captions, padding: 2)
}

struct GANTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a GAN on a folder of images (any depth), emoji, fashion-mnist or mnist.",
        discussion: """
        Examples:
          gesso gan train emoji --size 32 --epochs 20 --out runs/emoji
          gesso gan train ~/Pictures/clouds --size 64 --out runs/clouds
          gesso gan train --resume --out runs/emoji
        Every epoch writes samples/epoch-NNN.png from the same noise, so epochs compare. Ctrl-C saves and stops.
        """)

    @Argument(help: "A folder of images, emoji (Noto colour emoji), fashion-mnist or mnist.") var data: String?
    @Option(help: "dcgan or mlp (the lecture's GAN).") var model = GANOptions.defaults.model
    @Option(help: "minimax (non-saturating) or lsgan.") var loss = GANOptions.defaults.loss
    @Option(help: "Image side: 16, 32, 64 or 128.") var size = GANOptions.defaults.size
    @Option(help: "1 (grey) or 3 (colour); default: colour for folders and emoji, grey for fashion-mnist and mnist.") var channels: Int?
    @Option(help: "Passes over the images (with --resume, the saved run's number unless given).") var epochs: Int?
    @Option(help: "Images per step.") var batchSize = GANOptions.defaults.batchSize
    @Option(help: "Seed for weights, noise and shuffling.") var seed = GANOptions.defaults.seed
    @Option(help: "Use only the first N images.") var limit: Int?
    @Option(help: "The run folder.") var out: String
    @Flag(help: "Continue the run in --out.") var resume = false
    @Option(help: "Stop after this many minutes of training (saving everything), whatever --epochs says.") var minutes: Double?
    @Option(help: "Keep a running average of the generator's weights with this decay (e.g. 0.999) and draw samples from it: smoother, often clearer images.")
    var average: Float?
    @Option(help: "DCGAN width: feature maps of G's last and D's first layer, doubling at each smaller size (64 as in the paper; at 32x32, width 32 trains 2.6 times as many steps a minute).")
    var width: Int?
    @Option(help: "With emoji: only one Unicode block, smileys (U+1F600-1F64F, 80 faces) or animals (U+1F400-1F43F, 64).")
    var block: String?
    @Option(help: "One-sided label smoothing for the minimax loss: the discriminator aims at 1 - S for real images (0.1 as in Salimans et al. 2016), so it grows less sure of itself.")
    var labelSmoothing: Float?
    @Flag(help: "DCGAN: let the discriminator see how much the images of a batch differ (ProGAN's minibatch standard deviation), so a generator making too few kinds of image is caught.")
    var minibatchDeviation = false

    func validate() throws {
        if minibatchDeviation && model != "dcgan" { throw ValidationError("--minibatch-deviation is for --model dcgan") }
        if let s = labelSmoothing {
            guard s >= 0 && s < 0.5 else { throw ValidationError("--label-smoothing must be at least 0 and below 0.5 (e.g. 0.1), got \(s)") }
            guard loss == "minimax" else { throw ValidationError("--label-smoothing is for --loss minimax (LSGAN has no labels to smooth)") }
        }
        if let b = block {
            guard data == "emoji" else { throw ValidationError("--block picks emoji: use it with `gesso gan train emoji`") }
            guard let named = EmojiFont.blocks(named: b), named != nil else { throw ValidationError("--block must be smileys or animals, got \(b)") }
        }
        if let w = width, !(4...512).contains(w) { throw ValidationError("--width must be between 4 and 512, got \(w)") }
        if let a = average, !(a > 0 && a < 1) { throw ValidationError("--average must be between 0 and 1 (e.g. 0.999)") }
        if !resume && data == nil { throw ValidationError("give the images: a folder, emoji, fashion-mnist or mnist") }
        guard GANArchitecture(rawValue: model) != nil else { throw ValidationError("--model must be dcgan or mlp") }
        guard GANLoss(rawValue: loss) != nil else { throw ValidationError("--loss must be minimax or lsgan") }
        guard [16, 32, 64, 128].contains(size) else { throw ValidationError("--size must be 16, 32, 64 or 128, got \(size)") }
        if let c = channels, c != 1 && c != 3 { throw ValidationError("--channels must be 1 or 3") }
        if let m = minutes, !(m > 0) { throw ValidationError("--minutes must be positive") }
        guard batchSize >= 2, (epochs ?? 1) >= 1 else { throw ValidationError("--batch-size must be at least 2 and --epochs at least 1") }
    }

    func run() throws {
        do { try train() } catch let e as DataError { fail(e.description) } catch let e as CheckpointError { fail(e.description) }
    }

    func loadImages(_ o: inout GANOptions) throws -> Tensor {
        var set: LabeledImages
        switch o.data {
        case "fashion-mnist": set = try BuiltinData.fashionMNIST(train: true, limit: o.limit); if o.channels == 0 { o.channels = 1 }
        case "mnist": set = try BuiltinData.mnist5k(); if o.channels == 0 { o.channels = 1 }
        case "emoji":
            if o.channels == 0 { o.channels = 3 }
            let emoji = try EmojiFont.load(blocks: o.block.flatMap { EmojiFont.blocks(named: $0) } ?? nil, size: o.size)
            let tiles = emoji.map { $0.image.converted(toChannels: o.channels).toTensor() }
            set = LabeledImages(images: Tensor(shape: [tiles.count, o.size, o.size, o.channels], scalars: tiles.flatMap(\.scalars)),
                                labels: [Int](repeating: 0, count: tiles.count), classNames: ["emoji"],
                                sources: emoji.map { $0.codePoints.map { String($0, radix: 16, uppercase: true) }.joined(separator: "-") })
        default:
            if o.channels == 0 { o.channels = 3 }
            let folder = URL(fileURLWithPath: (o.data as NSString).expandingTildeInPath)
            let (images, skipped) = try ImageCollection.load(folder, imageSize: o.size, channels: o.channels)
            for s in skipped.prefix(10) { print("skipped (unreadable): \(s)") }
            if skipped.count > 10 { print("... and \(skipped.count - 10) more unreadable files skipped") }
            set = images
        }
        if let l = o.limit, l < set.count { set = set[Array(0..<l)] }
        var images = set.images
        images = GANImages.fit(images, size: o.size, border: o.border)
        if set.imageShape[2] != o.channels {
            images = o.channels == 1 ? images.mean(alongAxes: [3], keepDims: true) : images.broadcast(to: [images.shape[0], o.size, o.size, 3])
        }
        return withoutGradients { images * 2 - 1 }   // [N, S, S, C] in [-1, 1]
    }

    func train() throws {
        StopRequest.install()
        let folder = URL(fileURLWithPath: out)
        var options: GANOptions
        if resume {
            options = GANOptions.read(run: out)
            options.epochs = epochs ?? options.epochs
        } else {
            options = GANOptions(data: data!, model: model, loss: loss, size: size, channels: channels ?? 0,
                                 epochs: epochs ?? GANOptions.defaults.epochs, batchSize: batchSize, seed: seed,
                                 latentSize: GANOptions.defaults.latentSize, limit: limit, average: average, width: width,
                                 block: block?.lowercased(), labelSmoothing: labelSmoothing,
                                 minibatchDeviation: minibatchDeviation ? true : nil,
                                 border: ["fashion-mnist", "mnist"].contains(data!) && size == 32 ? 2 : nil)
        }
        let images = try loadImages(&options)
        let set = LabeledImages(images: images, labels: [Int](repeating: 0, count: images.shape[0]), classNames: ["images"],
                                sources: [String](repeating: "", count: images.shape[0]))
        print("Training a \(options.model) GAN on \(set.count) images of \(options.size)x\(options.size)x\(options.channels)")
        var trainer = options.makeTrainer()
        var fixedNoise = trainer.latents(64)
        let checkpointURL = folder.appendingPathComponent("checkpoint.safetensors")
        var startEpoch = 0, startBatch = 0
        var metrics: [String] = []
        let metricsURL = folder.appendingPathComponent("metrics.csv")
        if resume {
            let info = try GANCheckpoint.restore(&trainer, from: checkpointURL)
            fixedNoise = info.fixedNoise
            startEpoch = info.epoch
            startBatch = Int(info.config["position.batch"] ?? "0") ?? 0
            metrics = ((try? String(contentsOf: metricsURL, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst().map(String.init)
            print("Resuming \(folder.path) at epoch \(startEpoch + 1), step \(trainer.step)")
        } else {
            if FileManager.default.fileExists(atPath: checkpointURL.path) {
                fail("\(folder.path) already holds a run. Continue it with --resume, or choose another --out.")
            }
            do { try FileManager.default.createDirectory(at: folder.appendingPathComponent("samples"), withIntermediateDirectories: true) }
            catch { fail("cannot create the run folder \(folder.path): \(error.localizedDescription)") }
        }
        try write(Data(try JSONEncoder.pretty.encode(options)), to: folder.appendingPathComponent("options.json"))
        try write(Data(options.text.utf8), to: folder.appendingPathComponent("options.txt"))
        print("Generator \(trainer.generator.parameterCount) parameters, discriminator \(trainer.discriminator.parameterCount). " +
              "Run folder: \(folder.path)")
        var dHistory: [Double] = [], gHistory: [Double] = []
        for line in metrics {
            let f = line.split(separator: ",")
            if f.count >= 4 { dHistory.append(Double(f[2]) ?? .nan); gHistory.append(Double(f[3]) ?? .nan) }
        }
        let config = ["model": options.model, "data": options.data]
        let budgetStart = Date()
        if startEpoch >= options.epochs { print("This run has already trained \(startEpoch) epochs; ask for more with --epochs.") }
        for epoch in startEpoch..<max(startEpoch, options.epochs) {
            let batches = Batches(set, batchSize: options.batchSize, shuffle: true, seed: options.seed, epoch: epoch, dropLast: true)
            guard batches.count > 0 else { fail("only \(set.count) images: fewer than one batch of \(options.batchSize); lower --batch-size") }
            var bar = ProgressBar(total: batches.count, label: "epoch \(epoch + 1)/\(options.epochs)")
            var dSum = 0.0, gSum = 0.0, realSum = 0.0, fakeSum = 0.0, steps = 0
            let started = Date()
            for b in startBatch..<batches.count {
                let r = trainer.trainStep(real: batches[b].images)
                guard r.discriminatorLoss.isFinite && r.generatorLoss.isFinite else {
                    fail("the losses became NaN or infinite at step \(trainer.step): training diverged. Start again with another --seed " +
                         "or --loss lsgan; the last good checkpoint is \(checkpointURL.path)")
                }
                dSum += Double(r.discriminatorLoss); gSum += Double(r.generatorLoss)
                realSum += Double(r.realScore); fakeSum += Double(r.fakeScore); steps += 1
                bar.update(b + 1, String(format: "D %.3f G %.3f D(x) %.2f D(G(z)) %.2f %.0f img/s", dSum / Double(steps), gSum / Double(steps),
                                         realSum / Double(steps), fakeSum / Double(steps),
                                         Double(steps * options.batchSize) / max(Date().timeIntervalSince(started), 1e-9)))
                let outOfTime = minutes.map { Date().timeIntervalSince(budgetStart) > $0 * 60 } ?? false
                if StopRequest.requested != 0 || outOfTime {
                    bar.finish()
                    try GANCheckpoint.write(trainer, fixedNoise: fixedNoise, epoch: epoch,
                                            config: config.merging(["position.batch": String(b + 1)]) { $1 }, to: checkpointURL)
                    try ImageFile.write(sheet(options.images(trainer, fixedNoise), columns: 8), to: folder.appendingPathComponent("samples.png"))
                    print("\(outOfTime ? "Time is up" : "Stopped") after \(trainer.step) steps: saved \(checkpointURL.path) and " +
                          "\(folder.appendingPathComponent("samples.png").path). Continue with: gesso gan train --resume --out \(out)")
                    return
                }
            }
            bar.finish()
            startBatch = 0
            let seconds = Date().timeIntervalSince(started)
            let n = Double(max(steps, 1))
            dHistory.append(dSum / n); gHistory.append(gSum / n)
            metrics.append(String(format: "%d,%d,%.5f,%.5f,%.4f,%.4f,%.1f", epoch + 1, trainer.step, dSum / n, gSum / n,
                                  realSum / n, fakeSum / n, seconds))
            let samples = options.images(trainer, fixedNoise)
            let sampleURL = folder.appendingPathComponent(String(format: "samples/epoch-%03d.png", epoch + 1))
            try ImageFile.write(sheet(samples, columns: 8), to: sampleURL)
            try ImageFile.write(sheet(samples, columns: 8), to: folder.appendingPathComponent("samples.png"))
            try ImageFile.write(Chart.lines([("discriminator", dHistory), ("generator", gHistory)], xValues: (1...dHistory.count).map(Double.init),
                                            title: "GAN losses", xLabel: "epoch", yLabel: "loss"), to: folder.appendingPathComponent("losses.png"))
            try write(Data((["epoch,step,discriminator_loss,generator_loss,real_score,fake_score,seconds"] + metrics)
                .joined(separator: "\n").utf8 + [10]), to: metricsURL)
            try GANCheckpoint.write(trainer, fixedNoise: fixedNoise, epoch: epoch + 1, config: config, to: checkpointURL)
            print(String(format: "epoch %d: D loss %.3f, G loss %.3f, D(x) %.2f, D(G(z)) %.2f (%.0f s); samples: %@", epoch + 1,
                         dSum / n, gSum / n, realSum / n, fakeSum / n, seconds, sampleURL.path))
            // Signs of trouble, in plain words.
            if options.loss == "minimax" && dSum / n < 0.05 {
                print("warning: the discriminator's loss is near 0: it wins every round and the generator learns little. " +
                      "Try --label-smoothing 0.1, --loss lsgan, or more images.")
            }
            let spread = withoutGradients { (samples - samples.mean(alongAxes: [0], keepDims: true)).squared().mean().scalar }
            if spread < 1e-3 {
                print("warning: the samples are nearly identical (mode collapse). Try another --seed or --loss lsgan.")
            }
        }
        print("Done. Samples in \(folder.appendingPathComponent("samples").path); try: gesso gan interpolate --run \(out) --from 1 --to 2")
    }
}

/// A latent vector for a seed: the same seed always gives the same picture of a run.
func latent(seed: UInt64, size: Int) -> Tensor {
    var g = RandomGenerator(seed: seed)
    return Tensor.randomNormal([1, size], using: &g)
}

/// A run's generator, ready to draw many images (`averaged`: measure the averaged weights' statistics once).
func loadGenerator(run: String, averaged: Bool = true) -> (GANOptions, GANTrainer) {
    let options = GANOptions.read(run: run)
    var trainer = options.makeTrainer()
    do { _ = try GANCheckpoint.restore(&trainer, from: URL(fileURLWithPath: run).appendingPathComponent("checkpoint.safetensors")) }
    catch { fail("\(error)") }
    if averaged { trainer.prepareSampling() }
    return (options, trainer)
}

struct GANSample: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Draw new images from a trained GAN.")
    @Option(name: .customLong("run"), help: "The run folder of `gesso gan train`.") var runFolder: String
    @Option(help: "How many images.") var count = 16
    @Option(help: "Seed of the first image; image i uses seed + i, so any image can be drawn again.") var seed: UInt64 = 1
    @Option(help: "Where to write (default: RUN/samples-seed-S).") var out: String?

    func validate() throws { guard (1...1024).contains(count) else { throw ValidationError("--count must be between 1 and 1024") } }

    func run() throws {
        let (options, trainer) = loadGenerator(run: runFolder)
        let folder = URL(fileURLWithPath: out ?? runFolder + "/samples-seed-\(seed)")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        catch { fail("cannot create \(folder.path): \(error.localizedDescription)") }
        let seeds = (0..<UInt64(count)).map { seed + $0 }
        let latents = Tensor.concatenate(seeds.map { latent(seed: $0, size: options.latentSize) }, alongAxis: 0)
        let images = options.images(trainer, latents)
        for (i, s) in seeds.enumerated() {
            try ImageFile.write(Image(tensor: images[i], range: -1...1), to: folder.appendingPathComponent("seed-\(s).png"))
            try write(NumpyFile.encode(latents[i]), to: folder.appendingPathComponent("seed-\(s).npy"))
        }
        try ImageFile.write(sheet(images, columns: min(8, count), captions: seeds.map { "seed \($0)" }),
                            to: folder.appendingPathComponent("grid.png"))
        print("Wrote \(count) images, their latents (.npy) and grid.png to \(folder.path)")
    }
}

struct GANInterpolate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "interpolate",
                                                    abstract: "Walk the latent space between two seeds: a strip of images and an animated GIF.")
    @Option(name: .customLong("run"), help: "The run folder of `gesso gan train`.") var runFolder: String
    @Option(help: "Seed of the first image (as in `gesso gan sample`).") var from: UInt64
    @Option(help: "Seed of the last image.") var to: UInt64
    @Option(help: "Images along the way, ends included.") var steps = 9
    @Option(help: "Where to write (default: RUN/interpolate-FROM-TO).") var out: String?

    func validate() throws { guard (2...200).contains(steps) else { throw ValidationError("--steps must be between 2 and 200") } }

    func run() throws {
        let (options, trainer) = loadGenerator(run: runFolder)
        let folder = URL(fileURLWithPath: out ?? runFolder + "/interpolate-\(from)-\(to)")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        catch { fail("cannot create \(folder.path): \(error.localizedDescription)") }
        let a = latent(seed: from, size: options.latentSize), b = latent(seed: to, size: options.latentSize)
        for (name, spherical) in [("linear", false), ("spherical", true)] {
            let path = Latent.interpolate(a, b, steps: steps, spherical: spherical)
            let images = options.images(trainer, Tensor.concatenate(path, alongAxis: 0))
            try ImageFile.write(sheet(images, columns: steps), to: folder.appendingPathComponent("\(name).png"))
            let frames = (0..<steps).map { i -> Image in
                let im = Image(tensor: images[i], range: -1...1)
                let scale = max(1, 128 / im.width)
                return im.resized(width: im.width * scale, height: im.height * scale, filter: .bilinear)
            }
            // There and back again, so the loop is smooth.
            try GIFEncoder.write(frames + frames.reversed().dropFirst().dropLast(), to: folder.appendingPathComponent("\(name).gif"), delay: 12)
        }
        print("Wrote linear.png, spherical.png and their animated GIFs to \(folder.path)")
    }
}
