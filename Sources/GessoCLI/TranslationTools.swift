import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// A trained pix2pix or CycleGAN run, ready to translate.
enum TranslationRun {
    case pix2pix(Pix2PixTrainer)
    case cyclegan(CycleGANTrainer)

    static func load(_ run: String) -> (TranslationOptions, TranslationRun) {
        let options = TranslationOptions.read(run: run)
        let url = URL(fileURLWithPath: run).appendingPathComponent("checkpoint.safetensors")
        do {
            if options.kind == "pix2pix" {
                var t = options.makePix2Pix()
                _ = try TranslationCheckpoint.restore(&t, from: url)
                return (options, .pix2pix(t))
            }
            var t = options.makeCycleGAN()
            _ = try TranslationCheckpoint.restore(&t, from: url)
            return (options, .cyclegan(t))
        } catch { fail("\(error)") }
    }

    /// The factor every image side must be a multiple of.
    var sizeMultiple: Int {
        switch self {
        case .pix2pix(let t): return t.generator.sizeMultiple
        case .cyclegan: return 4
        }
    }

    /// Training steps taken.
    var step: Int {
        switch self {
        case .pix2pix(let t): return t.step
        case .cyclegan(let t): return t.step
        }
    }

    /// `[N, H, W, C]` in [-1, 1], image by image; pix2pix goes its one way, whatever `aToB` says.
    func translate(_ x: Tensor, aToB: Bool) -> Tensor {
        switch self {
        case .pix2pix(let t): return t.translate(x)
        case .cyclegan(let t): return t.translate(x, aToB: aToB)
        }
    }
}

/// Images `[N, S, S, C]` in [-1, 1] from translation images already at size S.
func tensor(_ t: TranslationImages) -> Tensor {
    TranslationData.centred(t, indices: Array(0..<t.count), size: t.images[0].width)
}

/// Mean absolute difference of two image tensors in [-1, 1], on the 0...1 pixel scale.
func pixelL1(_ x: Tensor, _ y: Tensor) -> Double {
    Double(withoutGradients { (x - y).abs().mean().scalar }) / 2
}

struct Pix2PixScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "L1 distance of a pix2pix run's translations to held-out targets, beside the mean-image baseline.",
        discussion: "Without DATA, the run's built-in held-out pairs (every 10th emoji for edges2emoji). The baseline answers every input "
            + "with the mean of the training targets; a model that learned something is closer. Writes score.json and score.png in the run.")
    @Option(name: .customLong("run"), help: "The run folder of `gesso pix2pix train`.") var runFolder: String
    @Argument(help: "Held-out pairs: a folder of side-by-side images, or the input folder with --target.") var data: String?
    @Option(help: "The held-out targets (names matching DATA's).") var target: String?

    func run() throws {
        let (options, model) = TranslationRun.load(runFolder)
        var training = options
        training.preprocess = TranslationPreprocess.resize.rawValue
        let sets: (train: TranslationPair, test: TranslationPair?)
        do { sets = try training.load() } catch { fail("\(error)") }
        var test: TranslationPair
        if let data {
            var held = training
            held.data = data; held.second = target; held.limit = nil
            do { test = try held.load().train } catch { fail("\(error)") }
        } else {
            guard let t = sets.test, t.a.count > 0 else {
                fail("this run trained on a folder, which has no held-out split: give held-out pairs, e.g. gesso pix2pix score --run \(runFolder) FOLDER")
            }
            test = t
        }
        let inputs = tensor(test.a), targets = tensor(test.b)
        let outputs = model.translate(inputs, aToB: true)
        let mean = withoutGradients { tensor(sets.train.b).mean(alongAxes: [0], keepDims: true) }
        let l1 = pixelL1(outputs, targets)
        let baseline = pixelL1(mean.broadcast(to: targets.shape), targets)
        print(String(format: "After %d steps: L1 to %d held-out targets (0-1 pixel scale): %.4f; mean-image baseline %.4f (%.0f%% of the baseline)",
                     model.step, test.a.count, l1, baseline, 100 * l1 / baseline))
        let report: [String: Any] = ["heldOutPairs": test.a.count, "l1": l1, "meanImageL1": baseline, "step": model.step]
        try write(try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]),
                  to: URL(fileURLWithPath: runFolder).appendingPathComponent("score.json"))
        let n = min(8, test.a.count)
        try ImageFile.write(tripleGrid([("input", inputs[0..<n]), ("output", outputs[0..<n]), ("target", targets[0..<n])]),
                            to: URL(fileURLWithPath: runFolder).appendingPathComponent("score.png"))
    }
}

struct CycleGANScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Share of a CycleGAN run's held-out translations that a classifier takes for the target domain.",
        discussion: "The classifier is a `gesso train classifier` run on real images of both domains (one class folder each, e.g. "
            + "`gesso data smileys-animals D` then `gesso train classifier --data D/train`). Reports, per direction, the share of "
            + "translations classified as the target domain, the classifier's accuracy on the real held-out images, and the cycle "
            + "reconstruction L1. Writes score.json and score.png in the run.")
    @Option(name: .customLong("run"), help: "The run folder of `gesso cyclegan train`.") var runFolder: String
    @Option(help: "The classifier run.") var classifier: String
    @Option(help: "The classifier's class for domain A.") var classA = "smileys"
    @Option(help: "The classifier's class for domain B.") var classB = "animals"
    @Option(help: "Held-out images of domain A (default: the built-in split).") var testA: String?
    @Option(help: "Held-out images of domain B.") var testB: String?

    func run() throws {
        let (options, model) = TranslationRun.load(runFolder)
        guard case .cyclegan(let trainer) = model else { fail("\(runFolder) is a pix2pix run: score it with gesso pix2pix score") }
        let (c, classifierTrainer) = loadClassifierRun(classifier)
        guard let ia = c.classNames.firstIndex(of: classA), let ib = c.classNames.firstIndex(of: classB) else {
            fail("the classifier knows the classes \(c.classNames.joined(separator: ", ")): name domain A's and B's with --class-a and --class-b")
        }
        var o = options
        o.preprocess = TranslationPreprocess.resize.rawValue; o.limit = nil
        let test: TranslationPair
        do {
            if let testA, let testB {
                o.data = testA; o.second = testB
                test = try o.load().train
            } else {
                guard let t = try o.load().test else { fail("this run trained on folders: give the held-out images with --test-a and --test-b") }
                test = t
            }
        } catch { fail("\(error)") }
        func predictions(_ x: Tensor) -> [Int] {
            var images = withoutGradients { (x + 1) * 0.5 }                                   // [N, S, S, C] in [0, 1]
            if images.shape[3] != c.channels {
                images = c.channels == 1 ? images.mean(alongAxes: [3], keepDims: true) : images.broadcast(to: [images.shape[0], images.shape[1], images.shape[2], 3])
            }
            return topClasses(classifierTrainer, imageSize: c.imageSize, images).map(\.index)
        }
        let a = tensor(test.a), b = tensor(test.b)
        let ab = trainer.translate(a, aToB: true), ba = trainer.translate(b, aToB: false)
        let aba = trainer.translate(ab, aToB: false), bab = trainer.translate(ba, aToB: true)
        let asB = predictions(ab).filter { $0 == ib }.count, asA = predictions(ba).filter { $0 == ia }.count
        let realRight = predictions(a).filter { $0 == ia }.count + predictions(b).filter { $0 == ib }.count
        let total = test.a.count + test.b.count
        let share = Double(asB + asA) / Double(total)
        let cycleA = pixelL1(aba, a), cycleB = pixelL1(bab, b)
        print(String(format: "A to B classified as %@: %d of %d (%.1f%%)", classB, asB, test.a.count, 100 * Double(asB) / Double(test.a.count)))
        print(String(format: "B to A classified as %@: %d of %d (%.1f%%)", classA, asA, test.b.count, 100 * Double(asA) / Double(test.b.count)))
        print(String(format: "Both directions: %.1f%% of %d held-out translations classified as the target domain", 100 * share, total))
        print(String(format: "Classifier on the real held-out images: %.1f%% right", 100 * Double(realRight) / Double(total)))
        print(String(format: "Cycle reconstruction L1 (0-1 pixel scale): A -> B -> A %.4f, B -> A -> B %.4f", cycleA, cycleB))
        let report: [String: Any] = ["aToBAsTarget": Double(asB) / Double(test.a.count), "bToAAsTarget": Double(asA) / Double(test.b.count),
                                     "targetShare": share, "heldOutA": test.a.count, "heldOutB": test.b.count,
                                     "classifierRealAccuracy": Double(realRight) / Double(total), "cycleL1A": cycleA, "cycleL1B": cycleB,
                                     "step": trainer.step]
        try write(try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]),
                  to: URL(fileURLWithPath: runFolder).appendingPathComponent("score.json"))
        let n = min(8, test.a.count, test.b.count)
        try ImageFile.write(sideBySide(tripleGrid([("A", a[0..<n]), ("A to B", ab[0..<n]), ("back to A", aba[0..<n])]),
                                       tripleGrid([("B", b[0..<n]), ("B to A", ba[0..<n]), ("back to B", bab[0..<n])])),
                            to: URL(fileURLWithPath: runFolder).appendingPathComponent("score.png"))
    }
}

struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate", abstract: "Translate images or whole folders with a pix2pix or CycleGAN run, keeping file names.",
        discussion: """
        Examples:
          gesso translate --run runs/smileys2animals --direction AtoB ~/faces --out animals
          gesso translate --run runs/edges2emoji drawing.png --out out --size 128
        The networks are fully convolutional: --size larger than the training size translates at more detail. Each image is \
        scaled so its shorter side is --size (both sides rounded to what the network needs) and written under --out with \
        its own name (folders keep their sub-folders).
        """)
    @Option(name: .customLong("run"), help: "The run folder of `gesso pix2pix train` or `gesso cyclegan train`.") var runFolder: String
    @Option(help: "AtoB or BtoA (a pix2pix run translates the one way it learned).") var direction: String?
    @Argument(help: "Images and/or folders of images.") var inputs: [String]
    @Option(help: "The folder to write into.") var out: String
    @Option(help: "Shorter side to translate at (default: the training size).") var size: Int?

    func validate() throws {
        if let d = direction, !["AtoB", "BtoA"].contains(d) { throw ValidationError("--direction must be AtoB or BtoA") }
        guard !inputs.isEmpty else { throw ValidationError("give images or folders to translate") }
        if let s = size, s < 4 || s > 2048 { throw ValidationError("--size must be between 4 and 2048") }
    }

    func run() throws {
        let (options, model) = TranslationRun.load(runFolder)
        let aToB: Bool
        if options.kind == "pix2pix" {
            if let d = direction, d != options.direction {
                fail("this pix2pix run learned \(options.direction) only; translate with --direction \(options.direction) (or train a \(d) run)")
            }
            aToB = true
        } else {
            aToB = (direction ?? "AtoB") == "AtoB"
        }
        // (file, name under --out)
        var jobs: [(URL, String)] = []
        for input in inputs {
            let url = URL(fileURLWithPath: (input as NSString).expandingTildeInPath)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                fail("\(url.path) does not exist. Check the path (it is case-sensitive).")
            }
            if isFolder.boolValue {
                do { jobs += try ImageCollection.imageFiles(in: url).map { ($0, TranslationData.relativeName($0, in: url)) } }
                catch { fail("\(error)") }
            } else {
                jobs.append((url, url.lastPathComponent))
            }
        }
        let outFolder = URL(fileURLWithPath: (out as NSString).expandingTildeInPath)
        let side = size ?? options.size, m = model.sizeMultiple
        var written = 0, failed: [String] = []
        var bar = ProgressBar(total: jobs.count, label: "translating")
        for (i, (url, name)) in jobs.enumerated() {
            defer { bar.update(i + 1, "\(written) written") }
            let image: Image
            do { image = try ImageFile.read(url).converted(toChannels: options.channels) }
            catch { failed.append("\(url.path): \((error as? ImageError)?.problem ?? "\(error)")"); continue }
            let scale = Double(side) / Double(min(image.width, image.height))
            func fit(_ n: Int) -> Int { max(m, Int((Double(n) * scale / Double(m)).rounded()) * m) }
            let (w, h) = (fit(image.width), fit(image.height))
            let x = Tensor(shape: [1, h, w, options.channels],
                           scalars: image.resized(width: w, height: h, filter: scale < 1 ? .area : .bilinear).pixels.map { Float($0) / 127.5 - 1 })
            let y = model.translate(x, aToB: aToB)
            let ext = url.pathExtension.lowercased()
            let target = outFolder.appendingPathComponent(["png", "jpg", "jpeg"].contains(ext) ? name : name + ".png")
            guard target.standardizedFileURL.path != url.standardizedFileURL.path else {
                fail("\(target.path) is the input itself: choose an --out folder that is not the input's folder")
            }
            do {
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try ImageFile.write(Image(tensor: y[0], range: -1...1), to: target)
                written += 1
            } catch { fail("cannot write \(target.path): \(error)") }
        }
        bar.finish()
        for f in failed.prefix(10) { print("skipped (unreadable): \(f)") }
        print("Translated \(written) of \(jobs.count) images (\(aToB ? "A to B" : "B to A")) into \(outFolder.path)")
        if written == 0 { fail("no image could be translated") }
    }
}

/// `gesso data edges2emoji OUT`: the pix2pix demo pairs as side-by-side PNGs (edges | emoji), train/ and test/.
struct Edges2EmojiExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edges2emoji", abstract: "Write the edges -> emoji pairs (side by side) into OUT/train and OUT/test (every 10th emoji).")
    @Argument(help: "The folder to write into.") var out: String
    @Option(help: "Side of each half.") var size = 64

    func run() throws {
        let sets: (train: TranslationPair, test: TranslationPair)
        do { sets = try TranslationData.edgesToEmoji(size: size) } catch let e as DataError { fail(e.description) }
        for (split, pairs) in [("train", sets.train), ("test", sets.test)] {
            let folder = URL(fileURLWithPath: out).appendingPathComponent(split)
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            catch { fail("cannot create \(folder.path): \(error.localizedDescription)") }
            for i in 0..<pairs.a.count {
                var canvas = Image(width: 2 * size, height: size, channels: 3, fill: 255)
                canvas.paste(pairs.a.images[i], x: 0, y: 0)
                canvas.paste(pairs.b.images[i], x: size, y: 0)
                try ImageFile.write(canvas, to: folder.appendingPathComponent(pairs.a.names[i]))
            }
        }
        print("Wrote \(sets.train.a.count) training and \(sets.test.a.count) held-out pairs to \(out)/train and \(out)/test")
    }
}

/// `gesso data smileys-animals OUT`: the CycleGAN demo domains as OUT/{train,test}/{smileys,animals}.
struct SmileysAnimalsExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smileys-animals",
        abstract: "Write smileys and animals emoji into OUT/train/{smileys,animals} and OUT/test/... (every 5th held out).",
        discussion: "OUT/train is a classifier's data set as it is: gesso train classifier --data OUT/train --out runs/domains")
    @Argument(help: "The folder to write into.") var out: String
    @Option(help: "Image side.") var size = 64

    func run() throws {
        let sets: (train: TranslationPair, test: TranslationPair)
        do { sets = try TranslationData.smileysAndAnimals(size: size) } catch let e as DataError { fail(e.description) }
        for (split, domains) in [("train", sets.train), ("test", sets.test)] {
            for (name, images) in [("smileys", domains.a), ("animals", domains.b)] {
                let folder = URL(fileURLWithPath: out).appendingPathComponent(split).appendingPathComponent(name)
                do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
                catch { fail("cannot create \(folder.path): \(error.localizedDescription)") }
                for i in 0..<images.count { try ImageFile.write(images.images[i], to: folder.appendingPathComponent(images.names[i])) }
            }
        }
        print("Wrote \(sets.train.a.count) + \(sets.train.b.count) training and \(sets.test.a.count) + \(sets.test.b.count) held-out images to \(out)")
    }
}

extension Bench {
    struct Pix2PixStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pix2pix", abstract: "One pix2pix training step on random pairs (compare with bench/peers/torch_pix2pix.py).")
        @Option(help: "Image side.") var size = 64
        @Option(help: "Pairs per step.") var batchSize = 1
        @Option(help: "batch or instance.") var norm = "batch"
        @Option(help: "Untimed steps first.") var warmup = 3
        @Option(help: "Timed steps per measurement.") var steps = 10
        @Option(help: "Measurements (the median is reported).") var repeats = 3

        func run() throws {
            guard let n = TranslationNorm(rawValue: norm) else { fail("--norm must be batch or instance") }
            var g = RandomGenerator(seed: 1)
            let a = Tensor.randomUniform([batchSize, size, size, 3], lower: -1, upper: 1, using: &g)
            let b = Tensor.randomUniform([batchSize, size, size, 3], lower: -1, upper: 1, using: &g)
            var trainer = Pix2PixTrainer(size: size, inputChannels: 3, outputChannels: 3, norm: n, seed: 1)
            print("pix2pix: G \(trainer.generator.parameterCount) parameters, D \(trainer.discriminator.parameterCount)")
            for _ in 0..<warmup { _ = trainer.trainStep(input: a, target: b) }
            let ms = median(timedRuns(repeats: repeats, calls: steps) { _ = trainer.trainStep(input: a, target: b) }.map { $0 * 1000 })
            print(String(format: "gesso pix2pix %dx%d batch %d (%@ norm): %.1f ms/step (%.2f pairs/s), median of %d", size, size, batchSize,
                         norm, ms, Double(batchSize) * 1000 / ms, repeats))
        }
    }

    struct CycleGANStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cyclegan", abstract: "One CycleGAN training step on random images (compare with bench/peers/torch_cyclegan.py).")
        @Option(help: "Image side.") var size = 64
        @Option(help: "Images of each domain per step.") var batchSize = 1
        @Option(help: "Residual blocks per generator.") var blocks = 6
        @Option(help: "ngf = ndf.") var width = 64
        @Option(help: "Untimed steps first.") var warmup = 3
        @Option(help: "Timed steps per measurement.") var steps = 10
        @Option(help: "Measurements (the median is reported).") var repeats = 3

        func run() throws {
            var g = RandomGenerator(seed: 1)
            let a = Tensor.randomUniform([batchSize, size, size, 3], lower: -1, upper: 1, using: &g)
            let b = Tensor.randomUniform([batchSize, size, size, 3], lower: -1, upper: 1, using: &g)
            var trainer = CycleGANTrainer(channelsA: 3, channelsB: 3, width: width, blocks: blocks, discriminatorWidth: width, seed: 1)
            print("cyclegan: G \(trainer.aToB.parameterCount) parameters each, D \(trainer.judgeA.parameterCount) each")
            for _ in 0..<warmup { _ = trainer.trainStep(a: a, b: b) }
            let ms = median(timedRuns(repeats: repeats, calls: steps) { _ = trainer.trainStep(a: a, b: b) }.map { $0 * 1000 })
            print(String(format: "gesso cyclegan %dx%d batch %d, %d blocks, width %d: %.1f ms/step, median of %d", size, size, batchSize,
                         blocks, width, ms, repeats))
        }
    }
}
