import Foundation
import Testing
@testable import GessoModels
import GessoNN

struct GANTests {
    @Test(arguments: [16, 32, 64, 128])
    func dcganShapesForEachSize(_ size: Int) {
        for channels in [1, 3] {
            let g = GANArchitecture.dcgan.generator(size: size, channels: channels, latentSize: 100, width: 8, seed: 1)
            let d = GANArchitecture.dcgan.discriminator(size: size, channels: channels, width: 8, seed: 1)
            let images = g.inference(Tensor.zeros([2, 100]))
            #expect(images.shape == [2, size, size, channels])
            #expect(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 }, "tanh output")
            #expect(d.inference(images).shape == [2, 1])
        }
    }

    @Test func mlpGANShapes() {
        let g = GANArchitecture.mlp.generator(size: 28, channels: 1, latentSize: 16, seed: 1)
        let d = GANArchitecture.mlp.discriminator(size: 28, channels: 1, seed: 1)
        #expect(g.inference(Tensor.zeros([3, 16])).shape == [3, 28, 28, 1])
        #expect(d.inference(Tensor.zeros([3, 28, 28, 1])).shape == [3, 1])
    }

    /// A seeded smoke run on tiny data: both losses stay finite, the discriminator learns to tell the real
    /// images (a fixed bright square) from the generator's first attempts, and the same seed repeats exactly.
    @Test(arguments: GANLoss.allCases)
    func smokeRun(_ loss: GANLoss) {
        func run() -> [GANTrainer.StepResult] {
            var trainer = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, loss: loss, seed: 3)
            var pixels = [Float](repeating: -1, count: 16 * 16)
            for y in 4..<12 { for x in 4..<12 { pixels[y * 16 + x] = 1 } }
            let real = Tensor(shape: [1, 16, 16, 1], scalars: pixels).broadcast(to: [8, 16, 16, 1])
            return (0..<6).map { _ in trainer.trainStep(real: real) }
        }
        let results = run()
        #expect(results.allSatisfy { $0.discriminatorLoss.isFinite && $0.generatorLoss.isFinite })
        #expect(results.last!.realScore > results.last!.fakeScore, "D tells real from fake: \(results.last!)")
        #expect(run().map(\.generatorLoss) == results.map(\.generatorLoss), "seeded runs repeat")
    }

    /// `--average`: the running average follows average = d * average + (1 - d) * weights after each step, samples
    /// come from it, and a checkpoint keeps it.
    @Test func generatorWeightAverage() throws {
        var trainer = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, width: 4, seed: 5)
        trainer.averageDecay = 0.5
        let real = Tensor(repeating: 0.5, shape: [4, 16, 16, 1])
        var expected: [String: [Float]] = [:]
        for step in 0..<12 {
            _ = trainer.trainStep(real: real)
            for (k, v) in trainer.generator.parameters {
                // The first average is the weights themselves; then d = min(0.5, (1 + t) / (10 + t)) after step t
                // (the warm-up up to step 7, 0.5 from step 8 on).
                let d = min(Float(0.5), Float(2 + step) / Float(11 + step))
                expected[k] = step == 0 ? v.scalars : zip(expected[k]!, v.scalars).map { d * $0 + (1 - d) * $1 }
            }
        }
        let average = try #require(trainer.averageWeights)
        for (k, v) in average {
            // Float32 arithmetic in a different order: |got - want| <= 1e-6 + 1e-5 |want|.
            #expect(zip(v.scalars, expected[k]!).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($1) }, "\(k)")
        }
        let z = Tensor.randomNormal([2, 8], using: &trainer.random)
        #expect(trainer.sample(z).scalars != trainer.sample(z, averaged: false).scalars)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-gan-average-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try GANCheckpoint.write(trainer, fixedNoise: z, epoch: 1, config: [:], to: url)
        var restored = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, width: 4, seed: 9)
        _ = try GANCheckpoint.restore(&restored, from: url)
        #expect(restored.sample(z).scalars == trainer.sample(z).scalars)
    }

    /// The averaged generator normalises with statistics of its own: one training-mode pass over the fixed batch of
    /// latents sets each batch norm's running mean and variance to that batch's (momentum 0 for the pass), and
    /// leaves the momentum as it was; the current generator keeps its running statistics.
    @Test func averagedGeneratorHasItsOwnStatistics() throws {
        var trainer = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, width: 4, seed: 5)
        trainer.averageDecay = 0.9
        let real = Tensor(repeating: 0.5, shape: [4, 16, 16, 1])
        for _ in 0..<5 { _ = trainer.trainStep(real: real) }
        let averaged = trainer.averagedGenerator(statisticsBatch: 32)
        var random = RandomGenerator(seed: GANTrainer.statisticsSeed)
        let z = Tensor.randomNormal([32, 8], using: &random)
        // Layers 0-1 (reshape, transposed conv) feed the first batch norm, layer 2.
        let front = Sequential(Array(averaged.layers[0..<2]))
        let moments = nn.moments(front.inference(z), axes: [0, 1, 2])
        let buffers = averaged.buffers
        #expect(zip(buffers["2.runningMean"]!.scalars, moments.mean.scalars).allSatisfy { abs($0 - $1) <= 1e-5 + 1e-4 * abs($1) })
        #expect(zip(buffers["2.runningVariance"]!.scalars, moments.variance.scalars).allSatisfy { abs($0 - $1) <= 1e-5 + 1e-4 * abs($1) })
        #expect(buffers["2.runningMean"]!.scalars != trainer.generator.buffers["2.runningMean"]!.scalars)
        #expect((averaged.layers[2] as? BatchNorm)?.momentum == 0.9)
        #expect(averaged.parameters["1.weight"]!.scalars == trainer.averageWeights!["1.weight"]!.scalars)
        // prepareSampling caches the averaged generator; a step clears it, and samples follow the new average.
        let probe = Tensor.randomNormal([2, 8], using: &random)
        trainer.prepareSampling()
        #expect(trainer.averagedGeneratorCache != nil)
        let before = trainer.sample(probe).scalars
        #expect(before == trainer.averagedGenerator().inference(probe).scalars && before != trainer.sample(probe, averaged: false).scalars)
        _ = trainer.trainStep(real: real)
        #expect(trainer.averagedGeneratorCache == nil)
        #expect(trainer.sample(probe).scalars != before)
    }

    /// `minibatchDeviation` adds ProGAN's spread channel before D's last convolution, which then has one more input.
    @Test func discriminatorWithMinibatchDeviation() {
        let plain = GANArchitecture.dcgan.discriminator(size: 32, channels: 1, width: 8, seed: 1)
        let d = GANArchitecture.dcgan.discriminator(size: 32, channels: 1, width: 8, minibatchDeviation: true, seed: 1)
        #expect(d.layers.contains { $0 is MinibatchStandardDeviation })
        #expect(d.parameterCount == plain.parameterCount + 16)   // a 4x4 kernel for the one extra input channel
        #expect(d.inference(Tensor.zeros([3, 32, 32, 1])).shape == [3, 1])
        var trainer = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, width: 4, minibatchDeviation: true, seed: 2)
        let r = trainer.trainStep(real: Tensor(repeating: 0.5, shape: [4, 16, 16, 1]))
        #expect(r.discriminatorLoss.isFinite && r.generatorLoss.isFinite)
    }

    /// Fitting 28x28 images to 32x32: a border of black keeps every pixel and comes off again exactly; without one
    /// they are stretched.
    @Test func imagesFitWithABorderOrStretched() {
        var g = RandomGenerator(seed: 4)
        let x = Tensor.randomUniform([2, 28, 28, 1], lower: 0.1, upper: 1, using: &g)
        let framed = GANImages.fit(x, size: 32, border: 2)
        #expect(framed.shape == [2, 32, 32, 1])
        #expect(framed.slice(begin: [0, 0, 0, 0], size: [2, 2, 32, 1]).scalars.allSatisfy { $0 == 0 })
        #expect(framed.slice(begin: [0, 0, 30, 0], size: [2, 32, 2, 1]).scalars.allSatisfy { $0 == 0 })
        #expect(GANImages.removeBorder(framed, border: 2).scalars == x.scalars)
        let stretched = GANImages.fit(x, size: 32, border: nil)
        #expect(stretched.shape == [2, 32, 32, 1] && stretched.scalars.allSatisfy { $0 > 0.05 })
        #expect(GANImages.removeBorder(stretched, border: nil).scalars == stretched.scalars)
        #expect(GANImages.fit(x, size: 28, border: nil).scalars == x.scalars)
    }

    /// One-sided label smoothing: D's real target becomes 0.9, the fake target and G's target stay as they were.
    @Test func oneSidedLabelSmoothing() {
        var t = GANTrainer(architecture: .mlp, size: 4, channels: 1, latentSize: 2, seed: 1)
        let real = Tensor(shape: [3, 1], scalars: [2, -1, 0.5]), fake = Tensor(shape: [2, 1], scalars: [-3, 1])
        // Binary cross-entropy with logits x and target y: softplus(x) - x*y, averaged per term.
        func bce(_ x: [Float], _ y: Float) -> Float {
            x.map { log(1 + exp($0)) - $0 * y }.reduce(0, +) / Float(x.count)
        }
        let plain = t.discriminatorLoss(real: real, fake: fake).scalar
        #expect(abs(plain - (bce([2, -1, 0.5], 1) + bce([-3, 1], 0))) < 1e-5)
        t.realLabel = 0.9
        let smoothed = t.discriminatorLoss(real: real, fake: fake).scalar
        #expect(abs(smoothed - (bce([2, -1, 0.5], 0.9) + bce([-3, 1], 0))) < 1e-5)
        #expect(abs(t.generatorLoss(fake: fake).scalar - bce([-3, 1], 1)) < 1e-5)
    }

    @Test func interpolationEndpointsAreTheTwoLatents() {
        var g = RandomGenerator(seed: 4)
        let a = Tensor.randomNormal([1, 100], using: &g), b = Tensor.randomNormal([1, 100], using: &g)
        for spherical in [false, true] {
            let path = Latent.interpolate(a, b, steps: 7, spherical: spherical)
            #expect(path.count == 7)
            #expect(zip(path[0].scalars, a.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
            #expect(zip(path[6].scalars, b.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
        // Spherical keeps the norm of equal-norm endpoints along the way; linear shrinks it in the middle.
        let u = Tensor([1, 0]), v = Tensor([0, 1])
        let mid = Latent.interpolate(u, v, steps: 3, spherical: true)[1].scalars
        #expect(abs(mid[0] * mid[0] + mid[1] * mid[1] - 1) < 1e-5)
        let straight = Latent.interpolate(u, v, steps: 3, spherical: false)[1].scalars
        #expect(straight == [0.5, 0.5])
    }

    @Test func latentArithmeticOnKnownVectors() {
        // "man with glasses - man + woman": means of groups, then a - b + c.
        let withGlasses = Latent.mean([Tensor([2, 1]), Tensor([4, 1])])   // [3, 1]
        let man = Latent.mean([Tensor([1, 0])]), woman = Latent.mean([Tensor([1, 5]), Tensor([3, 5])])  // [2, 5]
        #expect((withGlasses - man + woman).scalars == [4, 6])
    }
}
