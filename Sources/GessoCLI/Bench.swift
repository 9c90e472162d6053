import ArgumentParser
import Foundation
import GessoModels
import GessoRL
import TensorCore

/// Seconds per call of `body`, for each of `repeats` timed runs of `calls` calls.
func timedRuns(repeats: Int, calls: Int, _ body: () -> Void) -> [Double] {
    (0..<repeats).map { _ in
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(calls)
    }
}

/// The middle value (the upper one of the two middles for an even count).
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// `gesso bench ops`: forward + backward time of the lecture network's and the DCGAN's layers.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (compare with bench/peers/).", subcommands: [Ops.self, Classifier.self, GANStep.self, DQNSteps.self, EffNet.self, Transfer.self, Pix2PixStep.self, CycleGANStep.self])

    struct GANStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gan",
            abstract: "One DCGAN training step (D then G, Adam) on a random batch (compare with bench/peers/torch_dcgan.py).")
        @Option(help: "Image side: 32 or 64.") var size = 64
        @Option(help: "Images per step.") var batchSize = 64
        @Option(help: "Untimed steps first.") var warmup = 3
        @Option(help: "Timed steps per measurement.") var steps = 10
        @Option(help: "Measurements (the median is reported).") var repeats = 3

        func validate() throws {
            guard [16, 32, 64, 128].contains(size) else { throw ValidationError("--size must be 16, 32, 64 or 128") }
            guard batchSize >= 2, steps >= 1, repeats >= 1, warmup >= 0 else { throw ValidationError("sizes must be positive") }
        }

        func run() throws {
            var g = RandomGenerator(seed: 1)
            let real = Tensor.randomUniform([batchSize, size, size, 3], lower: -1, upper: 1, using: &g)
            var trainer = GANTrainer(architecture: .dcgan, size: size, channels: 3, seed: 1)
            for _ in 0..<warmup { _ = trainer.trainStep(real: real) }
            let ms = median(timedRuns(repeats: repeats, calls: steps) { _ = trainer.trainStep(real: real) }.map { $0 * 1000 })
            print(String(format: "gesso dcgan %dx%d batch %d: %.1f ms/step (%.1f images/s), median of %d", size, size, batchSize,
                         ms, Double(batchSize) * 1000 / ms, repeats))
        }
    }

    struct EffNet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "effnet",
            abstract: "EfficientNet-Lite0 inference on a random 224x224 batch (compare with bench/peers/torch_effnet_lite0.py).")
        @Option(help: "Images per batch.") var batchSize = 16
        @Option(help: "Untimed batches first.") var warmup = 2
        @Option(help: "Timed batches per measurement.") var steps = 5
        @Option(help: "Measurements (the median is reported).") var repeats = 3
        @Option(help: "The weights (default $GESSO_HOME/models/efficientnet-lite0.pth).") var weights: String?
        @Flag(help: "First print the numbers of DATA.md's reference input (as the peer's --check).") var check = false

        func run() throws {
            let model = PretrainedEfficientNet.load(weights)
            if check {
                // Element i of the flat 1x3x224x224 NCHW array is ((i mod 256) - 127) / 128; laid out NHWC here.
                let nhwc: [Float] = (0..<(224 * 224 * 3)).map { (j: Int) -> Float in
                    let nchw: Int = (j % 3) * 224 * 224 + j / 3
                    return Float(nchw % 256 - 127) / 128
                }
                let embedding = model.embedding(Tensor(shape: [1, 224, 224, 3], scalars: nhwc))
                let logits = model.classifier.inference(embedding).scalars
                let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(3)
                let topText = top.map { String(format: "%d %.4f", $0, logits[$0]) }.joined(separator: ", ")
                let firstText = logits[0..<3].map { String(format: "%.4f", $0) }.joined(separator: ", ")
                print("reference input: top-3 \(topText); logits[0..2] \(firstText)" +
                      String(format: "; embedding sum %.4f", embedding.sum().scalar))
            }
            var g = RandomGenerator(seed: 1)
            let x = Tensor.randomUniform([batchSize, 224, 224, 3], lower: -1, upper: 1, using: &g)
            for _ in 0..<warmup { _ = model.logits(x) }
            let rates = timedRuns(repeats: repeats, calls: steps) { _ = model.logits(x) }.map { Double(batchSize) / $0 }
            let imagesPerSecond = median(rates)
            print(String(format: "gesso effnet-lite0: %.1f images/s (%.0f ms/batch of %d; runs: %@), median of %d", imagesPerSecond,
                         1000 * Double(batchSize) / imagesPerSecond, batchSize, rates.map { String(format: "%.1f", $0) }.joined(separator: ", "),
                         repeats))
        }
    }

    struct DQNSteps: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dqn",
            abstract: "DQN agent steps per second while learning (compare with bench/peers/torch_dqn.py).")
        @Option(help: "Random steps that fill the replay memory first (untimed).") var fill = 1000
        @Option(help: "Untimed learning steps.") var warmup = 200
        @Option(help: "Timed agent steps per measurement.") var steps = 400
        @Option(help: "Measurements (the median is reported).") var repeats = 3

        func run() throws {
            var config = DQNConfig()
            config.epsilonStart = 0.5; config.epsilonEnd = 0.5; config.learningStarts = fill
            var trainer = DQNTrainer(config: config, seed: 1)
            for _ in 0..<(fill + warmup) { _ = trainer.advance() }
            let rates = timedRuns(repeats: repeats, calls: steps) { _ = trainer.advance() }.map { 1 / $0 }
            print(String(format: "gesso dqn: %.1f agent steps/s (runs: %@), one update of batch %d every %d steps", median(rates),
                         rates.map { String(format: "%.1f", $0) }.joined(separator: ", "), config.batchSize, config.trainEvery))
        }
    }

    struct Classifier: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Training throughput of a classifier on random 28x28x1 batches (compare with bench/peers/torch_small_cnn.py).")

        @Option(help: "small-cnn or lecture.") var model = "small-cnn"
        @Option(help: "Images per step.") var batchSize = 64
        @Option(help: "Untimed steps first.") var warmup = 10
        @Option(help: "Timed steps per measurement.") var steps = 200
        @Option(help: "Measurements (the median is reported).") var repeats = 3

        func validate() throws {
            guard ClassifierArchitecture(rawValue: model) != nil else { throw ValidationError("--model must be small-cnn or lecture") }
            guard batchSize >= 1, steps >= 1, repeats >= 1, warmup >= 0 else { throw ValidationError("sizes must be positive") }
        }

        func run() throws {
            var g = RandomGenerator(seed: 1)
            let images = Tensor.randomUniform([batchSize, 28, 28, 1], using: &g)
            let labels = (0..<batchSize).map { _ in Int(g.next() % 10) }
            var trainer = ClassifierTrainer(model: ClassifierArchitecture(rawValue: model)!.make(imageSize: 28, channels: 1, classes: 10, seed: 1),
                                            optimizer: OptimizerChoice.adam.make(learningRate: 1e-3), classes: 10, seed: 1)
            for _ in 0..<warmup { _ = trainer.trainStep(images: images, labels: labels) }
            let imagesPerSecond = median(timedRuns(repeats: repeats, calls: steps) {
                _ = trainer.trainStep(images: images, labels: labels)
            }.map { Double(batchSize) / $0 })
            print(String(format: "gesso %@: %.0f images/s (%.1f ms/step), median of %d", model, imagesPerSecond,
                         1000 * Double(batchSize) / imagesPerSecond, repeats))
        }
    }

    struct Ops: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time forward + backward of the lecture network's and DCGAN 64x64's layers, and a training step.")

        @Option(help: "Timed runs per layer (the median is reported).") var repeats = 7
        @Option(help: "Untimed runs first (primitive creation, first touch of memory).") var warmup = 3
        @Option(help: "Only layers whose name starts with this (e.g. lecture, dcgan).") var only: String?
        @Option(help: "Write the results as JSON here (read by bench/peers/torch_layers.py --gesso).") var json: String?

        func validate() throws {
            guard repeats >= 1, warmup >= 0 else { throw ValidationError("--repeats must be >= 1 and --warmup >= 0") }
        }

        func run() throws {
            let cases = BenchCase.all.filter { only == nil || $0.name.hasPrefix(only!) }
            guard !cases.isEmpty else { fail("no benchmark matches --only \(only!); names start with lecture or dcgan") }
            print("Gesso ops benchmark: fp32, NHWC, forward + backward, median of \(repeats) after \(warmup) warm-up runs")
            print("| layer | shape | ms | GFLOP/s |")
            print("|---|---|---|---|")
            var results: [[String: Any]] = []
            for c in cases {
                let run = c.make()
                for _ in 0..<warmup { run() }
                let ms = median(timedRuns(repeats: repeats, calls: 1) { run() }.map { $0 * 1000 })
                let gflops = c.flops > 0 ? c.flops / ms / 1e6 : 0
                print("| \(c.name) | \(c.shape) | \(String(format: "%.3f", ms)) | \(c.flops > 0 ? String(format: "%.1f", gflops) : "-") |")
                results.append(["name": c.name, "ms": ms, "gflops": gflops])
            }
            if let json {
                let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
                let url = URL(fileURLWithPath: json)
                do { try data.write(to: url, options: .atomic) } catch {
                    fail("cannot write \(json): \(error.localizedDescription); check that its folder exists")
                }
                print("Results written to \(json)")
            }
        }
    }
}

/// One benchmark: a name, the shapes, the FLOPs of one run, and a factory that sets up tensors and returns
/// the timed closure.
struct BenchCase {
    let name: String, shape: String, flops: Double
    let make: () -> (() -> Void)

    static func random(_ shape: [Int], _ g: inout RandomGenerator) -> Tensor {
        Tensor.randomNormal(shape, standardDeviation: 0.1, using: &g)
    }

    /// conv3x3 SAME + bias (the lecture's) or conv 4x4 stride 2 (DCGAN's discriminator), fwd + bwd.
    static func conv(_ name: String, n: Int, hw: Int, ci: Int, co: Int, k: Int, s: Int, bias: Bool) -> BenchCase {
        let out = (hw + s - 1) / s
        let flops = 3 * 2 * Double(n * out * out * co * ci * k * k)
        return BenchCase(name: name, shape: "\(n)x\(hw)x\(hw)x\(ci) -> \(n)x\(out)x\(out)x\(co)", flops: flops) {
            var g = RandomGenerator(seed: 1)
            let x = random([n, hw, hw, ci], &g), w = random([k, k, ci, co], &g), b = random([co], &g)
            let dy = random([n, out, out, co], &g)
            return {
                _ = valueWithGradients(at: bias ? [x, w, b] : [x, w], seed: dy) { p in
                    let y = nn.conv2d(p[0], p[1], strides: [1, s, s, 1], padding: .same)
                    return bias ? y + p[2] : y
                }
            }
        }
    }

    static func pool(_ name: String, n: Int, hw: Int, c: Int) -> BenchCase {
        BenchCase(name: name, shape: "\(n)x\(hw)x\(hw)x\(c) -> \(n)x\(hw / 2)x\(hw / 2)x\(c)", flops: 0) {
            var g = RandomGenerator(seed: 2)
            let x = random([n, hw, hw, c], &g), dy = random([n, hw / 2, hw / 2, c], &g)
            return {
                _ = valueWithGradients(at: [x], seed: dy) { p in
                    nn.maxPool(p[0], ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: .same)
                }
            }
        }
    }

    static func dense(_ name: String, m: Int, k: Int, n: Int) -> BenchCase {
        BenchCase(name: name, shape: "\(m)x\(k) -> \(m)x\(n)", flops: 3 * 2 * Double(m * n * k)) {
            var g = RandomGenerator(seed: 3)
            let x = random([m, k], &g), w = random([k, n], &g), b = random([n], &g), dy = random([m, n], &g)
            return { _ = valueWithGradients(at: [x, w, b], seed: dy) { p in tf.matmul(p[0], p[1]) + p[2] } }
        }
    }

    /// DCGAN generator layer: conv2d_transpose 4x4 (stride 1 VALID from 1x1, else stride 2 SAME).
    static func transposed(_ name: String, n: Int, hw: Int, ci: Int, co: Int) -> BenchCase {
        let out = hw == 1 ? 4 : hw * 2
        let flops = 3 * 2 * Double(n * hw * hw * ci * co * 16)
        return BenchCase(name: name, shape: "\(n)x\(hw)x\(hw)x\(ci) -> \(n)x\(out)x\(out)x\(co)", flops: flops) {
            var g = RandomGenerator(seed: 4)
            let x = random([n, hw, hw, ci], &g), w = random([4, 4, co, ci], &g), dy = random([n, out, out, co], &g)
            return {
                _ = valueWithGradients(at: [x, w], seed: dy) { p in
                    nn.conv2dTranspose(p[0], p[1], outputShape: [n, out, out, co],
                                       strides: hw == 1 ? [1, 1, 1, 1] : [1, 2, 2, 1], padding: hw == 1 ? .valid : .same)
                }
            }
        }
    }

    /// A whole training step of the lecture network: forward, MSE against a target, backward, SGD update in place
    /// (as torch.optim.SGD does).
    static let lectureStep = BenchCase(name: "lecture.step", shape: "32x80x80x4 -> 32x2", flops: 0) {
        var g = RandomGenerator(seed: 5)
        var network = LectureNetwork(actions: 2, seed: 5)
        let s = Tensor.randomUniform([32, 80, 80, 4], using: &g), target = random([32, 2], &g)
        let names = LectureNetwork.parameterNames
        return {
            let (_, grads) = valueWithGradients(at: names.map { network.parameters[$0]! }) { p in
                let net = LectureNetwork(parameters: Dictionary(uniqueKeysWithValues: zip(names, p)))
                return losses.meanSquaredError(predictions: net(s), labels: target)
            }
            for (name, grad) in zip(names, grads) { network.parameters[name]!.addScaled(grad, by: -1e-3) }
        }
    }

    static let all: [BenchCase] = [
        conv("lecture.conv1", n: 32, hw: 80, ci: 4, co: 32, k: 3, s: 1, bias: true),
        pool("lecture.pool1", n: 32, hw: 80, c: 32),
        conv("lecture.conv2", n: 32, hw: 40, ci: 32, co: 64, k: 3, s: 1, bias: true),
        pool("lecture.pool2", n: 32, hw: 40, c: 64),
        conv("lecture.conv3", n: 32, hw: 20, ci: 64, co: 64, k: 3, s: 1, bias: true),
        pool("lecture.pool3", n: 32, hw: 20, c: 64),
        dense("lecture.fc1", m: 32, k: 6400, n: 512),
        dense("lecture.fc2", m: 32, k: 512, n: 2),
        conv("dcgan.d1", n: 64, hw: 64, ci: 3, co: 64, k: 4, s: 2, bias: false),
        conv("dcgan.d2", n: 64, hw: 32, ci: 64, co: 128, k: 4, s: 2, bias: false),
        conv("dcgan.d3", n: 64, hw: 16, ci: 128, co: 256, k: 4, s: 2, bias: false),
        conv("dcgan.d4", n: 64, hw: 8, ci: 256, co: 512, k: 4, s: 2, bias: false),
        transposed("dcgan.g1", n: 64, hw: 1, ci: 100, co: 512),
        transposed("dcgan.g2", n: 64, hw: 4, ci: 512, co: 256),
        transposed("dcgan.g3", n: 64, hw: 8, ci: 256, co: 128),
        transposed("dcgan.g4", n: 64, hw: 16, ci: 128, co: 64),
        transposed("dcgan.g5", n: 64, hw: 32, ci: 64, co: 3),
        lectureStep,
    ]
}
