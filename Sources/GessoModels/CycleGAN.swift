import Foundation
import GessoNN
import GessoOptim

/// CycleGAN's ResNet generator (Johnson et al.'s transfer network as the reference trainer builds it):
/// `[N, S, S, inputChannels]` -> `[N, S, S, outputChannels]` in [-1, 1], S a multiple of 4.
///
/// reflect-pad 3, 7x7 conv (width) + norm + ReLU; two 3x3 stride-2 convs (2 width, 4 width); `blocks` residual blocks
/// (reflect-pad 1, 3x3 conv, norm, ReLU, reflect-pad 1, 3x3 conv, norm, plus the input); two 3x3 stride-2 transposed
/// convs back (2 width, width); reflect-pad 3, 7x7 conv to `outputChannels`, tanh.
public func resNetGenerator(inputChannels: Int, outputChannels: Int, width: Int = 64, blocks: Int = 6,
                            norm: TranslationNorm = .instance, seed: UInt64) -> Sequential {
    var g = RandomGenerator(seed: seed)
    let w = Initializer.normal(standardDeviation: 0.02)
    let bias = norm.convolutionBias
    let pad1: Padding = .explicit([[0, 0], [1, 1], [1, 1], [0, 0]])
    var layers: [any Layer] = [
        ReflectionPad2D(3),
        Conv2D(inChannels: inputChannels, outChannels: width, kernelSize: 7, padding: .valid, useBias: bias,
               weightInitializer: w, using: &g),                                                       // [N, S, S, w]
        norm.layer(width), Activation(.relu),
    ]
    for m in [1, 2] {
        layers += [Conv2D(inChannels: width * m, outChannels: width * m * 2, kernelSize: 3, stride: 2, padding: pad1,
                          useBias: bias, weightInitializer: w, using: &g),                            // size /2, channels x2
                   norm.layer(width * m * 2), Activation(.relu)]
    }
    let c = width * 4
    for _ in 0..<blocks {
        layers.append(Residual(Sequential([
            ReflectionPad2D(1),
            Conv2D(inChannels: c, outChannels: c, kernelSize: 3, padding: .valid, useBias: bias, weightInitializer: w, using: &g),
            norm.layer(c), Activation(.relu),
            ReflectionPad2D(1),
            Conv2D(inChannels: c, outChannels: c, kernelSize: 3, padding: .valid, useBias: bias, weightInitializer: w, using: &g),
            norm.layer(c),
        ])))                                                                                         // [N, S/4, S/4, 4w]
    }
    for m in [4, 2] {
        layers += [ConvTranspose2D(inChannels: width * m, outChannels: width * m / 2, kernelSize: 3, stride: 2, padding: pad1,
                                   useBias: bias, weightInitializer: w, using: &g),                   // size x2, channels /2
                   norm.layer(width * m / 2), Activation(.relu)]
    }
    layers += [ReflectionPad2D(3),
               Conv2D(inChannels: width, outChannels: outputChannels, kernelSize: 7, padding: .valid,
                      weightInitializer: w, using: &g),                                               // [N, S, S, out]
               Activation(.tanh)]
    var model = Sequential(layers)
    model.parameters = UNetGenerator.jitteredScales(model.parameters, using: &g)
    return model
}

/// The history of generated images a CycleGAN discriminator learns from (Shrivastava et al.), so that it does not
/// forget older fakes: up to `capacity` stored. Each new image, once the pool is full, has an even chance of being
/// swapped for a stored one (which is returned instead) or of being returned itself.
public struct ImagePool {
    public let capacity: Int
    public private(set) var images: [Tensor] = []   // each [1, S, S, C]

    public init(capacity: Int = 50) { self.capacity = capacity }

    /// The batch to show the discriminator for fakes `[N, S, S, C]` (detached).
    public mutating func query(_ fakes: Tensor, using g: inout RandomGenerator) -> Tensor {
        guard capacity > 0 else { return fakes }
        var out: [Tensor] = []
        for i in 0..<fakes.shape[0] {
            let image = fakes[i..<(i + 1)].detached()
            if images.count < capacity {
                images.append(image)
                out.append(image)
            } else if g.nextUnitFloat() < 0.5 {
                let k = Int(g.next() % UInt64(capacity))
                out.append(images[k])
                images[k] = image
            } else {
                out.append(image)
            }
        }
        return Tensor.concatenate(out, alongAxis: 0)
    }

    /// The stored images as one tensor `[count, S, S, C]` (for checkpoints), or nil when empty.
    public var stacked: Tensor? { images.isEmpty ? nil : Tensor.concatenate(images, alongAxis: 0) }

    /// Restores the stored images from `stacked`.
    public mutating func restore(_ stacked: Tensor?) {
        images = stacked.map { s in (0..<min(s.shape[0], capacity)).map { s[$0..<($0 + 1)] } } ?? []
    }
}

/// Trains CycleGAN on unpaired batches of domain A and domain B, `[N, S, S, C]` in [-1, 1]: generators A -> B and
/// B -> A, a discriminator per domain, LSGAN losses, cycle consistency and identity losses. Never reads files.
public struct CycleGANTrainer {
    /// `aToB` and `bToA`.
    public var aToB: Sequential, bToA: Sequential
    /// `judgeA` tells real A images from B -> A translations; `judgeB` the same for domain B.
    public var judgeA: Sequential, judgeB: Sequential
    /// One optimizer over both generators ("aToB.*", "bToA.*"), one over both discriminators ("judgeA.*", "judgeB.*").
    public var generatorOptimizer: Adam, discriminatorOptimizer: Adam
    public var poolA = ImagePool(), poolB = ImagePool()
    public let loss: GANLoss
    public let cycleWeight: Float, identityWeight: Float
    public let baseLearningRate: Float
    public var random: RandomGenerator
    public var step = 0

    /// The reference's recipe: Adam 2e-4, beta1 0.5; LSGAN; lambda 10 for each cycle; identity 0.5 * lambda.
    public init(channelsA: Int, channelsB: Int, width: Int = 64, blocks: Int = 6, discriminatorWidth: Int = 64,
                norm: TranslationNorm = .instance, loss: GANLoss = .leastSquares, cycleWeight: Float = 10,
                identityWeight: Float = 0.5, learningRate: Float = 2e-4, seed: UInt64) {
        aToB = resNetGenerator(inputChannels: channelsA, outputChannels: channelsB, width: width, blocks: blocks, norm: norm, seed: seed)
        bToA = resNetGenerator(inputChannels: channelsB, outputChannels: channelsA, width: width, blocks: blocks, norm: norm, seed: seed &+ 1)
        judgeA = patchDiscriminator(inputChannels: channelsA, width: discriminatorWidth, norm: norm, seed: seed &+ 2)
        judgeB = patchDiscriminator(inputChannels: channelsB, width: discriminatorWidth, norm: norm, seed: seed &+ 3)
        generatorOptimizer = Adam(learningRate: learningRate, beta1: 0.5)
        discriminatorOptimizer = Adam(learningRate: learningRate, beta1: 0.5)
        self.loss = loss
        self.cycleWeight = cycleWeight
        // The identity loss maps a domain's images onto themselves, so it needs the same channels on both sides.
        self.identityWeight = channelsA == channelsB ? identityWeight : 0
        baseLearningRate = learningRate
        random = RandomGenerator(seed: seed &+ 0xC1C)
    }

    public var generatorParameters: [String: Tensor] {
        get { prefixed(aToB.parameters, "aToB").merging(prefixed(bToA.parameters, "bToA")) { a, _ in a } }
        set { aToB.parameters = unprefixed(newValue, "aToB"); bToA.parameters = unprefixed(newValue, "bToA") }
    }
    public var discriminatorParameters: [String: Tensor] {
        get { prefixed(judgeA.parameters, "judgeA").merging(prefixed(judgeB.parameters, "judgeB")) { a, _ in a } }
        set { judgeA.parameters = unprefixed(newValue, "judgeA"); judgeB.parameters = unprefixed(newValue, "judgeB") }
    }

    /// The reference's linear decay: the full rate for `constantEpochs`, then down to 0 over `decayEpochs`
    /// (factor 1 - max(0, epoch + 1 - constantEpochs) / (decayEpochs + 1) in epoch `epoch`, counted from 0).
    public mutating func setLearningRate(epoch: Int, constantEpochs: Int, decayEpochs: Int) {
        let factor = 1 - Float(max(0, epoch + 1 - constantEpochs)) / Float(decayEpochs + 1)
        generatorOptimizer.learningRate = baseLearningRate * max(factor, 0)
        discriminatorOptimizer.learningRate = baseLearningRate * max(factor, 0)
    }

    public struct StepResult {
        /// Adversarial losses of the generators (A -> B judged by judgeB, B -> A by judgeA).
        public var generatorAToB: Float, generatorBToA: Float
        /// Mean absolute cycle errors |bToA(aToB(a)) - a| and |aToB(bToA(b)) - b|, and identity errors.
        public var cycleA: Float, cycleB: Float, identityA: Float, identityB: Float
        public var discriminatorA: Float, discriminatorB: Float
    }

    /// One round (the reference's optimize_parameters): both generators step through the current discriminators,
    /// then both discriminators step on real images against fakes drawn through the history pools.
    public mutating func trainStep(a: Tensor, b: Tensor) -> StepResult {
        var context = LayerContext(training: true, random: random)
        let objective = loss, cycle = cycleWeight, identity = identityWeight * cycleWeight
        // Generators: every parameter on the tape at once.
        let names = generatorParameters.keys.sorted()
        var tracked = generatorParameters
        for n in names { tracked[n] = tracked[n]!.requiringGradient() }
        generatorParameters = tracked
        let fakeB = aToB(a, context: &context)                                               // [N, S, S, Cb]
        let cycledA = bToA(fakeB, context: &context)                                         // [N, S, S, Ca]
        let fakeA = bToA(b, context: &context)
        let cycledB = aToB(fakeA, context: &context)
        let adversarialB = objective.patchLoss(judgeB(fakeB, context: &context), real: true)   // judges: plain tensors
        let adversarialA = objective.patchLoss(judgeA(fakeA, context: &context), real: true)
        let cycleA = (cycledA - a).abs().mean(), cycleB = (cycledB - b).abs().mean()
        var total = adversarialA + adversarialB + (cycleA + cycleB) * cycle
        var identityA = Tensor(0), identityB = Tensor(0)
        if identity > 0 {
            identityB = (aToB(b, context: &context) - b).abs().mean()                         // A -> B leaves B alone
            identityA = (bToA(a, context: &context) - a).abs().mean()
            total = total + (identityA + identityB) * identity
        }
        let gGrads = Dictionary(uniqueKeysWithValues: zip(names, gradients(of: total, withRespectTo: names.map { tracked[$0]! })))
        generatorParameters = generatorParameters.mapValues { $0.detached() }
        var gParameters = generatorParameters
        generatorOptimizer.update(&gParameters, with: gGrads)
        generatorParameters = gParameters

        // Discriminators, on pooled fakes.
        let pooledA = poolA.query(fakeA.detached(), using: &context.random)
        let pooledB = poolB.query(fakeB.detached(), using: &context.random)
        let dNames = discriminatorParameters.keys.sorted()
        var dTracked = discriminatorParameters
        for n in dNames { dTracked[n] = dTracked[n]!.requiringGradient() }
        discriminatorParameters = dTracked
        let lossA = (objective.patchLoss(judgeA(a, context: &context), real: true)
            + objective.patchLoss(judgeA(pooledA, context: &context), real: false)) * 0.5
        let lossB = (objective.patchLoss(judgeB(b, context: &context), real: true)
            + objective.patchLoss(judgeB(pooledB, context: &context), real: false)) * 0.5
        let dGrads = Dictionary(uniqueKeysWithValues: zip(dNames, gradients(of: lossA + lossB, withRespectTo: dNames.map { dTracked[$0]! })))
        discriminatorParameters = discriminatorParameters.mapValues { $0.detached() }
        judgeA.buffers = judgeA.buffers.mapValues { $0.detached() }
        judgeB.buffers = judgeB.buffers.mapValues { $0.detached() }
        aToB.buffers = aToB.buffers.mapValues { $0.detached() }
        bToA.buffers = bToA.buffers.mapValues { $0.detached() }
        var dParameters = discriminatorParameters
        discriminatorOptimizer.update(&dParameters, with: dGrads)
        discriminatorParameters = dParameters
        random = context.random
        step += 1
        return StepResult(generatorAToB: adversarialB.scalar, generatorBToA: adversarialA.scalar, cycleA: cycleA.scalar,
                          cycleB: cycleB.scalar, identityA: identityA.scalar, identityB: identityB.scalar,
                          discriminatorA: lossA.scalar, discriminatorB: lossB.scalar)
    }

    /// Translations A -> B (`forward`) or B -> A of `[N, S, S, C]`, S a multiple of 4, image by image.
    public func translate(_ x: Tensor, aToB forward: Bool) -> Tensor {
        let g = forward ? aToB : bToA
        return withoutGradients {
            Tensor.concatenate((0..<x.shape[0]).map { g.inference(x[$0..<($0 + 1)]) }, alongAxis: 0)
        }
    }
}
