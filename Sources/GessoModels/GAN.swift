import Foundation
import GessoNN
import GessoOptim

/// The GAN models of the studio. Symbols of the DCGAN paper (Radford et al. 2016) and pytorch/examples, mapped once:
/// nz = `latentSize`, ngf = `generatorWidth`, ndf = `discriminatorWidth`, nc = `channels`.
public enum GANArchitecture: String, CaseIterable, Sendable, Codable {
    /// The lecture's GAN: noise N(0, 1) -> MLP generator; MLP discriminator.
    case mlp
    /// DCGAN: transposed convs + batch norm + ReLU (tanh out) in G; strided convs + LeakyReLU 0.2 + batch norm in D.
    case dcgan

    /// The generator: latents `[N, latentSize]` -> images `[N, size, size, channels]` in [-1, 1].
    public func generator(size: Int, channels: Int, latentSize: Int = 100, width: Int = 64, seed: UInt64) -> Sequential {
        var g = RandomGenerator(seed: seed)
        let w = Initializer.normal(standardDeviation: 0.02)
        switch self {
        case .mlp:
            return Sequential([
                Dense(inputs: latentSize, outputs: 256, activation: .leakyRelu(alpha: 0.2), using: &g),      // [N, 256]
                Dense(inputs: 256, outputs: size * size * channels, activation: .tanh, using: &g),          // [N, S*S*C]
                Reshape([size, size, channels]),                                                             // [N, S, S, C]
            ])
        case .dcgan:
            let ups = upsamplings(size)
            var layers: [any Layer] = [Reshape([1, 1, latentSize])]                                          // [N, 1, 1, nz]
            var c = width * (1 << (ups - 1))
            layers += [ConvTranspose2D(inChannels: latentSize, outChannels: c, kernelSize: 4, stride: 1, padding: .valid,
                                       useBias: false, weightInitializer: w, using: &g),                     // [N, 4, 4, ngf*2^(k-1)]
                       BatchNorm(channels: c), Activation(.relu)]
            for _ in 1..<ups {
                layers += [ConvTranspose2D(inChannels: c, outChannels: c / 2, kernelSize: 4, stride: 2, useBias: false,
                                           weightInitializer: w, using: &g),                                 // size x2, channels /2
                           BatchNorm(channels: c / 2), Activation(.relu)]
                c /= 2
            }
            layers += [ConvTranspose2D(inChannels: c, outChannels: channels, kernelSize: 4, stride: 2, useBias: false,
                                       weightInitializer: w, using: &g),                                     // [N, S, S, nc]
                       Activation(.tanh)]
            return Sequential(layers)
        }
    }

    /// The discriminator: images `[N, size, size, channels]` -> one logit `[N, 1]` (real vs fake). With
    /// `minibatchDeviation`, DCGAN's last convolution also sees the batch's spread (`MinibatchStandardDeviation`).
    public func discriminator(size: Int, channels: Int, width: Int = 64, minibatchDeviation: Bool = false,
                              seed: UInt64) -> Sequential {
        var g = RandomGenerator(seed: seed &+ 1)
        let w = Initializer.normal(standardDeviation: 0.02)
        switch self {
        case .mlp:
            return Sequential([
                Flatten(),                                                                                   // [N, S*S*C]
                Dense(inputs: size * size * channels, outputs: 256, activation: .leakyRelu(alpha: 0.2), using: &g),  // [N, 256]
                Dense(inputs: 256, outputs: 1, using: &g),                                                   // [N, 1]
            ])
        case .dcgan:
            let downs = upsamplings(size)
            var layers: [any Layer] = [
                Conv2D(inChannels: channels, outChannels: width, kernelSize: 4, stride: 2, useBias: false,
                       weightInitializer: w, using: &g),                                                     // [N, S/2, S/2, ndf]
                Activation(.leakyRelu(alpha: 0.2)),
            ]
            var c = width
            for _ in 1..<downs {
                layers += [Conv2D(inChannels: c, outChannels: c * 2, kernelSize: 4, stride: 2, useBias: false,
                                  weightInitializer: w, using: &g),                                          // size /2, channels x2
                           BatchNorm(channels: c * 2), Activation(.leakyRelu(alpha: 0.2))]
                c *= 2
            }
            if minibatchDeviation { layers.append(MinibatchStandardDeviation()); c += 1 }                     // [N, 4, 4, c + 1]
            layers += [Conv2D(inChannels: c, outChannels: 1, kernelSize: 4, stride: 1, padding: .valid, useBias: false,
                              weightInitializer: w, using: &g),                                              // [N, 1, 1, 1]
                       Flatten()]                                                                            // [N, 1]
            return Sequential(layers)
        }
    }

    /// Doublings from 4x4 to `size` (32 -> 3, 64 -> 4, 128 -> 5).
    func upsamplings(_ size: Int) -> Int {
        precondition([16, 32, 64, 128].contains(size), "DCGAN sizes are 16, 32, 64 or 128, got \(size)")
        var n = 0, s = 4
        while s < size { s *= 2; n += 1 }
        return n
    }
}

/// The GAN objective.
public enum GANLoss: String, CaseIterable, Sendable, Codable {
    /// The minimax game, with the non-saturating generator loss -log D(G(z)).
    case minimax
    /// Least squares (LSGAN): D pushes real to 1 and fake to 0, G pushes fake to 1, in squared error.
    case leastSquares = "lsgan"
}

/// Trains a generator against a discriminator on batches of real images in [-1, 1] (never reads files).
public struct GANTrainer {
    public var generator: Sequential
    public var discriminator: Sequential
    public var generatorOptimizer: any Optimizer
    public var discriminatorOptimizer: any Optimizer
    public let latentSize: Int
    public let loss: GANLoss
    /// Draws latents and dropout; saved in checkpoints.
    public var random: RandomGenerator
    public var step = 0
    /// With a decay (0.999 typically), a running average of the generator's weights, updated after every step:
    /// `average = d * average + (1 - d) * weights` with d = min(decay, (1 + step) / (10 + step)) (Yazici et al. 2019;
    /// as ProGAN/StyleGAN sample; the warm-up is TensorFlow's `ExponentialMovingAverage(num_updates:)`). Samples
    /// then come from the average, which smooths the players' oscillation; running statistics are the generator's.
    public var averageDecay: Float?
    public var averageWeights: [String: Tensor]? { didSet { averagedGeneratorCache = nil } }
    /// `prepareSampling`'s averaged generator, valid until the next step.
    var averagedGeneratorCache: Sequential?
    /// One-sided label smoothing (Salimans et al. 2016, "Improved techniques for training GANs"): the discriminator's
    /// target for real images in the minimax loss (1: none; 0.9 is the paper's). Fakes keep 0, and the generator's
    /// target stays 1, so only D's overconfidence on real images is tempered.
    public var realLabel: Float = 1

    /// DCGAN's recipe: Adam, learning rate 2e-4, beta1 0.5, for both players.
    public init(architecture: GANArchitecture, size: Int, channels: Int, latentSize: Int = 100, width: Int = 64,
                loss: GANLoss = .minimax, minibatchDeviation: Bool = false, seed: UInt64) {
        generator = architecture.generator(size: size, channels: channels, latentSize: latentSize, width: width, seed: seed)
        discriminator = architecture.discriminator(size: size, channels: channels, width: width,
                                                   minibatchDeviation: minibatchDeviation, seed: seed)
        generatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5)
        discriminatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5)
        self.latentSize = latentSize
        self.loss = loss
        random = RandomGenerator(seed: seed &+ 0x6A4)
    }

    public struct StepResult {
        public var discriminatorLoss: Float, generatorLoss: Float
        /// Mean D(x) on the real batch and D(G(z)) on the fakes, as probabilities (minimax) or raw scores (LSGAN).
        public var realScore: Float, fakeScore: Float
    }

    /// Standard normal latents `[count, latentSize]`.
    public mutating func latents(_ count: Int) -> Tensor {
        Tensor.randomNormal([count, latentSize], using: &random)
    }

    func discriminatorLoss(real: Tensor, fake: Tensor) -> Tensor {
        switch loss {
        case .minimax:
            return losses.sigmoidCrossEntropy(labels: Tensor(repeating: realLabel, shape: real.shape), logits: real)
                + losses.sigmoidCrossEntropy(labels: Tensor.zeros(fake.shape), logits: fake)
        case .leastSquares:
            return ((real - 1).squared().mean() + fake.squared().mean()) * 0.5
        }
    }

    func generatorLoss(fake: Tensor) -> Tensor {
        switch loss {
        case .minimax: return losses.sigmoidCrossEntropy(labels: Tensor.ones(fake.shape), logits: fake)
        case .leastSquares: return (fake - 1).squared().mean() * 0.5
        }
    }

    /// One round of the game on a batch of real images `[B, S, S, C]` in [-1, 1]: a discriminator step on real and
    /// generated images, then a generator step through the (fixed) discriminator.
    public mutating func trainStep(real: Tensor) -> StepResult {
        let z = latents(real.shape[0])
        return trainStep(real: real, latents: z)
    }

    /// One round of the game with given latents `[B, latentSize]` (the same ones for both players' steps).
    public mutating func trainStep(real: Tensor, latents z: Tensor) -> StepResult {
        var context = LayerContext(training: true, random: random)
        var realLogits = Tensor(0), fakeLogits = Tensor(0), dLoss = Tensor(0)
        let objective = self   // the loss functions, read-only inside the closures
        var d = discriminator, g = generator
        var dOptimizer = discriminatorOptimizer
        // One generator pass serves both steps, as in pytorch/examples: D learns from the fakes detached, then G's
        // loss goes through the updated D back into the same pass.
        let (gLoss, gGrads) = g.valueWithGradients(context: &context) { g, c in
            let fake = g(z, context: &c)                                                  // [B, S, S, C]
            let (loss, dGrads) = d.valueWithGradients(context: &c) { d, c in
                realLogits = d(real, context: &c)                                         // [B, 1]
                fakeLogits = d(fake.detached(), context: &c)                              // [B, 1]
                return objective.discriminatorLoss(real: realLogits, fake: fakeLogits)
            }
            dLoss = loss
            var dParameters = d.parameters
            dOptimizer.update(&dParameters, with: dGrads)
            d.parameters = dParameters
            return objective.generatorLoss(fake: d(fake, context: &c))                  // D's weights: plain tensors
        }
        discriminatorOptimizer = dOptimizer
        var gParameters = g.parameters
        generatorOptimizer.update(&gParameters, with: gGrads)
        g.parameters = gParameters
        generator = g
        discriminator = d
        random = context.random
        step += 1
        if let target = averageDecay {
            // TensorFlow's ExponentialMovingAverage with num_updates: min(decay, (1 + t) / (10 + t)), so a short run's
            // average forgets its first, untrained weights instead of dragging them along for thousands of steps.
            let decay = min(target, Float(1 + step) / Float(10 + step))
            let current = g.parameters
            averageWeights = withoutGradients {
                Dictionary(uniqueKeysWithValues: current.map { k, v in (k, averageWeights.flatMap { $0[k] }.map { $0 * decay + v * (1 - decay) } ?? v) })
            }
        }
        let minimax = loss == .minimax
        let score: (Tensor) -> Float = { logits in withoutGradients { (minimax ? logits.sigmoid() : logits).mean().scalar } }
        return StepResult(discriminatorLoss: dLoss.scalar, generatorLoss: gLoss.scalar, realScore: score(realLogits),
                          fakeScore: score(fakeLogits))
    }

    /// Images `[N, S, S, C]` in [-1, 1] for latents `[N, latentSize]` (inference: running statistics).
    /// With weight averaging on, the averaged weights draw (`averaged: false` asks for the current ones), with batch
    /// norm statistics of their own (`averagedGenerator`).
    public func sample(_ latents: Tensor, averaged: Bool = true) -> Tensor {
        guard averaged, averageWeights != nil else { return generator.inference(latents) }
        return (averagedGeneratorCache ?? averagedGenerator()).inference(latents)
    }

    /// The generator with the averaged weights and batch norm statistics measured on them. The running statistics
    /// training keeps belong to the current weights (momentum 0.9: the last ten or so batches); the averaged weights
    /// make other activations, and normalising them with the wrong statistics blurs the samples. So, as SWA's
    /// `update_bn` (Izmailov et al. 2018), one pass in training mode over a fixed batch of `statisticsBatch` latents
    /// sets every running mean and variance to the averaged generator's own (momentum 0 for that pass). The batch
    /// norms must be the generator's own layers (DCGAN's are; one nested in a container would keep its momentum).
    public func averagedGenerator(statisticsBatch: Int = GANTrainer.statisticsBatch) -> Sequential {
        var g = generator
        guard let average = averageWeights else { return g }
        g.parameters = average
        let momenta = g.layers.map { ($0 as? BatchNorm)?.momentum }
        for i in g.layers.indices { if var bn = g.layers[i] as? BatchNorm { bn.momentum = 0; g.layers[i] = bn } }
        var random = RandomGenerator(seed: Self.statisticsSeed)
        let z = Tensor.randomNormal([statisticsBatch, latentSize], using: &random)
        var context = LayerContext(training: true)
        withoutGradients { _ = g(z, context: &context) }
        for (i, m) in momenta.enumerated() { if let m, var bn = g.layers[i] as? BatchNorm { bn.momentum = m; g.layers[i] = bn } }
        return g
    }

    /// The seed and the number of the latents the averaged generator's statistics are measured on (256: the means
    /// and variances of 256 x H x W values per channel; about 270 MB of activations at 128x128, width 64).
    public static let statisticsSeed: UInt64 = 0xB47C
    public static let statisticsBatch = 256

    /// Measures the averaged generator's statistics once for many `sample` calls (training clears it).
    public mutating func prepareSampling() {
        averagedGeneratorCache = averageWeights == nil ? nil : averagedGenerator()
    }
}

/// How a data set's images become a GAN's training images, and how its samples lose the frame again.
public enum GANImages {
    /// Images `[N, H, W, C]` -> `[N, size, size, C]`: with a border, framed in `border` pixels of 0 on each side (as
    /// LeNet-5 fed 28x28 MNIST at 32x32: the pixels stay as they are), otherwise stretched (bilinear) where the size
    /// differs.
    public static func fit(_ images: Tensor, size: Int, border: Int?) -> Tensor {
        let s = images.shape
        if let b = border, b > 0 {
            precondition(s[1] + 2 * b == size && s[2] + 2 * b == size, "a border of \(b) does not make \(s) images \(size) wide")
            return images.padded([[0, 0], [b, b], [b, b], [0, 0]])
        }
        return s[1] == size && s[2] == size ? images : images.resized(to: [size, size], method: .bilinear)
    }

    /// The inverse of `fit` with a border: the middle `[N, S - 2b, S - 2b, C]` (unchanged without a border).
    public static func removeBorder(_ images: Tensor, border: Int?) -> Tensor {
        guard let b = border, b > 0 else { return images }
        let s = images.shape
        return images.slice(begin: [0, b, b, 0], size: [s[0], s[1] - 2 * b, s[2] - 2 * b, s[3]])
    }
}

/// Latent-space walks.
public enum Latent {
    /// `steps` points from a to b (both ends included), straight (linear) or along the great circle (spherical).
    public static func interpolate(_ a: Tensor, _ b: Tensor, steps: Int, spherical: Bool) -> [Tensor] {
        precondition(a.shape == b.shape && steps >= 2, "interpolate: shapes \(a.shape), \(b.shape), steps \(steps)")
        let va = a.scalars.map(Double.init), vb = b.scalars.map(Double.init)
        let dot = zip(va, vb).reduce(0) { $0 + $1.0 * $1.1 }
        let na = va.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = vb.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let omega = acos(max(-1, min(1, dot / max(na * nb, 1e-12))))
        return (0..<steps).map { i in
            let t = Double(i) / Double(steps - 1)
            let (wa, wb): (Double, Double)
            if spherical && sin(omega) > 1e-6 {
                (wa, wb) = (sin((1 - t) * omega) / sin(omega), sin(t * omega) / sin(omega))
            } else {
                (wa, wb) = (1 - t, t)
            }
            return Tensor(shape: a.shape, scalars: zip(va, vb).map { Float(wa * $0 + wb * $1) })
        }
    }

    /// The mean of several latents (the DCGAN paper's averaged groups for vector arithmetic).
    public static func mean(_ latents: [Tensor]) -> Tensor {
        precondition(!latents.isEmpty, "mean of no latents")
        return withoutGradients { latents.dropFirst().reduce(latents[0]) { $0 + $1 } / Float(latents.count) }
    }
}
