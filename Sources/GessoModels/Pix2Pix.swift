import Foundation
import GessoNN
import GessoOptim

/// The image-to-image networks of pix2pix (Isola et al. 2017) and CycleGAN (Zhu et al. 2017), as in their reference
/// trainer (junyanz/pytorch-CycleGAN-and-pix2pix). Its symbols, mapped once: ngf = `width` of a generator, ndf =
/// `width` of a discriminator, input_nc / output_nc = `inputChannels` / `outputChannels`, lambda_L1 = `l1Weight`,
/// lambda_A / lambda_B = `cycleWeight`, lambda_identity = `identityWeight`, pool_size = `ImagePool.capacity`.
public enum TranslationNorm: String, CaseIterable, Sendable, Codable {
    /// Batch normalisation (pix2pix's default; at batch size 1 it normalises each image, as instance norm).
    case batch
    /// Instance normalisation without parameters (CycleGAN's default).
    case instance

    func layer(_ channels: Int) -> any Layer {
        switch self {
        case .batch: return BatchNorm(channels: channels, momentum: 0.9, epsilon: 1e-5)
        case .instance: return InstanceNorm(channels: channels, affine: false)
        }
    }

    /// Convolutions before a batch norm need no bias (the norm's offset does its job); before instance norm
    /// without parameters they keep theirs, as in the reference.
    var convolutionBias: Bool { self == .instance }
}

/// pix2pix's U-Net generator: an encoder of 4x4 stride-2 convolutions down to 1x1 and a decoder of transposed
/// convolutions back up, each decoder level fed the encoder's output of the same size (after its LeakyReLU) beside
/// its own (the skip connections that carry the input's edges straight across).
///
/// `[N, S, S, inputChannels]` -> `[N, S, S, outputChannels]` in [-1, 1], S a multiple of 2^levels (levels = log2 of
/// the training size: 6 for 64, 8 for 256). Channels at level i: width * min(2^i, 8). Parameters are named
/// "down.I.K..." and "up.I.K...".
public struct UNetGenerator: Layer {
    /// The encoder's levels (each a Sequential), outermost first.
    public var downs: Sequential
    /// The decoder's levels, outermost (the output) first.
    public var ups: Sequential

    /// - Parameters:
    ///   - levels: stride-2 steps (log2 of the image size in the reference, so the bottleneck is 1x1).
    ///   - dropout: 0.5 in the decoder's width*8 levels next to the bottleneck (the reference's "noise").
    public init(levels: Int, inputChannels: Int, outputChannels: Int, width: Int = 64, norm: TranslationNorm = .batch,
                dropout: Bool = true, seed: UInt64) {
        precondition(levels >= 2, "UNetGenerator needs at least 2 levels, got \(levels)")
        var g = RandomGenerator(seed: seed)
        let w = Initializer.normal(standardDeviation: 0.02)
        let bias = norm.convolutionBias
        func channels(_ i: Int) -> Int { width * min(1 << i, 8) }
        downs = Sequential((0..<levels).map { i in
            let conv = Conv2D(inChannels: i == 0 ? inputChannels : channels(i - 1), outChannels: channels(i), kernelSize: 4,
                              stride: 2, useBias: bias, weightInitializer: w, using: &g)
            // The reference's LeakyReLU runs in place at the start of the next level, so the skip connections carry
            // its output: here it ends each level instead (same function, same skips).
            if i == 0 { return Sequential([conv, Activation(.leakyRelu(alpha: 0.2))]) }               // [N, S/2, S/2, w]
            if i == levels - 1 { return Sequential([conv]) }                                          // [N, 1, 1, 8w]
            return Sequential([conv, norm.layer(channels(i)), Activation(.leakyRelu(alpha: 0.2))])     // size /2
        })
        ups = Sequential((0..<levels).map { i in
            let inputs = i == levels - 1 ? channels(i) : 2 * channels(i)        // the bottleneck has no skip beside it
            let outputs = i == 0 ? outputChannels : channels(i - 1)
            let conv = ConvTranspose2D(inChannels: inputs, outChannels: outputs, kernelSize: 4, stride: 2,
                                       useBias: i == 0 ? true : bias, weightInitializer: w, using: &g)
            if i == 0 { return Sequential([Activation(.relu), conv, Activation(.tanh)]) }          // [N, S, S, out]
            var layers: [any Layer] = [Activation(.relu), conv, norm.layer(outputs)]              // size x2
            if dropout && i >= 4 && i <= levels - 2 { layers.append(Dropout(rate: 0.5)) }
            return Sequential(layers)
        })
        // Batch norm's scale starts at N(1, 0.02), as the reference initialises it.
        for i in downs.layers.indices { downs.layers[i].parameters = Self.jitteredScales(downs.layers[i].parameters, using: &g) }
        for i in ups.layers.indices { ups.layers[i].parameters = Self.jitteredScales(ups.layers[i].parameters, using: &g) }
    }

    static func jitteredScales(_ p: [String: Tensor], using g: inout RandomGenerator) -> [String: Tensor] {
        var p = p
        for k in p.keys.sorted() where k.hasSuffix(".gamma") {
            p[k] = Tensor.randomNormal(p[k]!.shape, mean: 1, standardDeviation: 0.02, using: &g)
        }
        return p
    }

    /// The factor every image side must be a multiple of.
    public var sizeMultiple: Int { 1 << downs.layers.count }

    public var parameters: [String: Tensor] {
        get { prefixed(downs.parameters, "down").merging(prefixed(ups.parameters, "up")) { a, _ in a } }
        set { downs.parameters = unprefixed(newValue, "down"); ups.parameters = unprefixed(newValue, "up") }
    }
    public var buffers: [String: Tensor] {
        get { prefixed(downs.buffers, "down").merging(prefixed(ups.buffers, "up")) { a, _ in a } }
        set { downs.buffers = unprefixed(newValue, "down"); ups.buffers = unprefixed(newValue, "up") }
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        let m = sizeMultiple
        precondition(input.rank == 4 && input.shape[1] % m == 0 && input.shape[2] % m == 0,
                     "UNetGenerator: image sides must be multiples of \(m), got \(input.shape)")
        var skips: [Tensor] = []
        var x = input
        for i in downs.layers.indices { x = downs.layers[i](x, context: &context); skips.append(x) }   // level i: size / 2^(i+1)
        let last = ups.layers.count - 1
        x = ups.layers[last](x, context: &context)
        for i in (0..<last).reversed() {
            x = ups.layers[i](Tensor.concatenate([skips[i], x], alongAxis: 3), context: &context)  // [skip, decoded]
        }
        return x
    }
}

/// The PatchGAN discriminator (70x70 receptive field with 3 layers): one logit per overlapping patch.
/// `[N, S, S, inputChannels]` -> `[N, S/8 - 2, S/8 - 2, 1]` (64 -> 6x6, 256 -> 30x30).
public func patchDiscriminator(inputChannels: Int, width: Int = 64, layers: Int = 3, norm: TranslationNorm,
                               seed: UInt64) -> Sequential {
    var g = RandomGenerator(seed: seed)
    let w = Initializer.normal(standardDeviation: 0.02)
    let pad1: Padding = .explicit([[0, 0], [1, 1], [1, 1], [0, 0]])
    var body: [any Layer] = [
        Conv2D(inChannels: inputChannels, outChannels: width, kernelSize: 4, stride: 2, padding: pad1,
               weightInitializer: w, using: &g),                                                      // [N, S/2, S/2, w]
        Activation(.leakyRelu(alpha: 0.2)),
    ]
    var c = width
    for i in 1...layers {
        let next = width * min(1 << i, 8)
        body += [Conv2D(inChannels: c, outChannels: next, kernelSize: 4, stride: i < layers ? 2 : 1, padding: pad1,
                        useBias: norm.convolutionBias, weightInitializer: w, using: &g),               // /2, then -1
                 norm.layer(next), Activation(.leakyRelu(alpha: 0.2))]
        c = next
    }
    body.append(Conv2D(inChannels: c, outChannels: 1, kernelSize: 4, stride: 1, padding: pad1,
                       weightInitializer: w, using: &g))                                              // [N, P, P, 1]
    var model = Sequential(body)
    model.parameters = UNetGenerator.jitteredScales(model.parameters, using: &g)
    return model
}

/// The adversarial part of a translation objective, on patch logits.
extension GANLoss {
    /// Mean loss of logits `[N, P, P, 1]` against an all-real (true) or all-fake target.
    func patchLoss(_ logits: Tensor, real: Bool) -> Tensor {
        switch self {
        case .minimax: return losses.sigmoidCrossEntropy(labels: Tensor(repeating: real ? 1 : 0, shape: logits.shape), logits: logits)
        case .leastSquares: return (real ? (logits - 1).squared() : logits.squared()).mean()
        }
    }
}

/// Trains pix2pix on batches of aligned pairs (input A, target B), both `[N, S, S, C]` in [-1, 1]: G learns A -> B
/// with loss GAN + l1Weight * L1(G(A), B); D judges (A, B) pairs against (A, G(A)). Never reads files.
public struct Pix2PixTrainer {
    public var generator: UNetGenerator
    public var discriminator: Sequential
    public var generatorOptimizer: Adam
    public var discriminatorOptimizer: Adam
    public let loss: GANLoss
    public let l1Weight: Float
    /// Draws dropout; saved in checkpoints.
    public var random: RandomGenerator
    public var step = 0

    /// The reference's recipe: Adam 2e-4, beta1 0.5 for both; vanilla GAN loss; lambda_L1 = 100.
    public init(size: Int, inputChannels: Int, outputChannels: Int, width: Int = 64, norm: TranslationNorm = .batch,
                loss: GANLoss = .minimax, l1Weight: Float = 100, seed: UInt64) {
        precondition(size >= 8 && size & (size - 1) == 0, "pix2pix needs a power-of-two size, got \(size)")
        generator = UNetGenerator(levels: size.trailingZeroBitCount, inputChannels: inputChannels,
                                  outputChannels: outputChannels, width: width, norm: norm, seed: seed)
        discriminator = patchDiscriminator(inputChannels: inputChannels + outputChannels, width: width, norm: norm,
                                           seed: seed &+ 1)
        generatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5)
        discriminatorOptimizer = Adam(learningRate: 2e-4, beta1: 0.5)
        self.loss = loss
        self.l1Weight = l1Weight
        random = RandomGenerator(seed: seed &+ 0x9E3)
    }

    public struct StepResult {
        public var discriminatorLoss: Float, generatorGANLoss: Float, l1: Float
    }

    /// One round: G translates A once; D learns from (A, B) against (A, G(A)) detached; then G learns through the
    /// updated D plus the L1 distance to B (the reference's optimize_parameters).
    public mutating func trainStep(input a: Tensor, target b: Tensor) -> StepResult {
        precondition(a.shape[0] == b.shape[0] && a.shape[1] == b.shape[1] && a.shape[2] == b.shape[2],
                     "pix2pix: inputs \(a.shape) and targets \(b.shape) must be pairs of the same size")
        var context = LayerContext(training: true, random: random)
        let objective = loss, weight = l1Weight
        var d = discriminator, g = generator, dOptimizer = discriminatorOptimizer
        var dLoss = Tensor(0), ganLoss = Tensor(0), l1 = Tensor(0)
        let realPair = Tensor.concatenate([a, b], alongAxis: 3)                              // [N, S, S, Ca + Cb]
        let (_, gGrads) = g.valueWithGradients(context: &context) { g, c in
            let fake = g(a, context: &c)                                                     // [N, S, S, Cb]
            let fakePair = Tensor.concatenate([a, fake], alongAxis: 3)
            let (loss, dGrads) = d.valueWithGradients(context: &c) { d, c in
                (objective.patchLoss(d(realPair, context: &c), real: true)
                    + objective.patchLoss(d(fakePair.detached(), context: &c), real: false)) * 0.5
            }
            dLoss = loss
            var dParameters = d.parameters
            dOptimizer.update(&dParameters, with: dGrads)
            d.parameters = dParameters
            let adversarial = objective.patchLoss(d(fakePair, context: &c), real: true)     // D's weights: plain tensors
            let distance = (fake - b).abs().mean()
            ganLoss = adversarial.detached(); l1 = distance.detached()
            return adversarial + distance * weight
        }
        discriminatorOptimizer = dOptimizer
        var gParameters = g.parameters
        generatorOptimizer.update(&gParameters, with: gGrads)
        g.parameters = gParameters
        generator = g
        discriminator = d
        random = context.random
        step += 1
        return StepResult(discriminatorLoss: dLoss.scalar, generatorGANLoss: ganLoss.scalar, l1: l1.scalar)
    }

    /// Translations of `a` `[N, S, S, C]` (S a multiple of `generator.sizeMultiple`), image by image, the way the
    /// pix2pix paper tests: normalisation with each image's own statistics and dropout on (seeded, so repeatable).
    public func translate(_ a: Tensor) -> Tensor {
        Self.translate(a, with: generator)
    }

    static func translate(_ a: Tensor, with generator: UNetGenerator) -> Tensor {
        var g = generator
        var context = LayerContext(training: true, random: RandomGenerator(seed: 7))
        return withoutGradients {
            Tensor.concatenate((0..<a.shape[0]).map { g(a[$0..<($0 + 1)], context: &context) }, alongAxis: 0)
        }
    }
}
