import Foundation
@testable import GessoModels
import GessoNN
import Testing

/// pix2pix and CycleGAN: network shapes and sizes against the reference implementation, seeded smoke runs, the
/// history pool, checkpoints and the learning-rate decay.
struct TranslationTests {
    /// Parameter counts of the reference networks as PyTorch builds them (printed by bench/peers/torch_pix2pix.py and
    /// torch_cyclegan.py at their defaults: ngf = ndf = 64, 3 channels). Equal counts mean the same layers and widths.
    @Test func parameterCountsMatchTheReference() {
        #expect(Pix2PixTrainer(size: 64, inputChannels: 3, outputChannels: 3, norm: .batch, seed: 1).generator.parameterCount == 29_244_035)
        #expect(Pix2PixTrainer(size: 64, inputChannels: 3, outputChannels: 3, norm: .instance, seed: 1).generator.parameterCount == 29_241_731)
        #expect(patchDiscriminator(inputChannels: 6, norm: .batch, seed: 1).parameterCount == 2_768_705)
        #expect(patchDiscriminator(inputChannels: 6, norm: .instance, seed: 1).parameterCount == 2_767_809)
        #expect(resNetGenerator(inputChannels: 3, outputChannels: 3, blocks: 6, seed: 1).parameterCount == 7_837_699)
        #expect(resNetGenerator(inputChannels: 3, outputChannels: 3, blocks: 9, seed: 1).parameterCount == 11_378_179)
        #expect(patchDiscriminator(inputChannels: 3, norm: .instance, seed: 1).parameterCount == 2_764_737)
    }

    @Test(arguments: [16, 64, 128, 256])
    func unetKeepsTheImageSize(size: Int) {
        let trainer = Pix2PixTrainer(size: size, inputChannels: 1, outputChannels: 3, width: 4, seed: 2)
        #expect(trainer.generator.downs.layers.count == size.trailingZeroBitCount)   // down to 1x1
        let x = Tensor.zeros([2, size, size, 1])
        #expect(trainer.generator.inference(x).shape == [2, size, size, 3])
        // Fully convolutional: twice the training size, and a wide image, translate too.
        #expect(trainer.translate(Tensor.zeros([1, 2 * size, 3 * size, 1])).shape == [1, 2 * size, 3 * size, 3])
        // The reference's dropout: 0.5 in the width*8 decoder levels next to the bottleneck (levels 4 ... L-2).
        let dropouts = trainer.generator.ups.layers.enumerated()
            .filter { ($0.element as? Sequential)?.layers.contains { $0 is Dropout } == true }.map(\.offset)
        #expect(dropouts == Array(stride(from: 4, through: size.trailingZeroBitCount - 2, by: 1)))
    }

    /// The PatchGAN's 70x70 patches: 64 -> 6x6 logits, 256 -> 30x30 (the paper's).
    @Test(arguments: [(64, 6), (128, 14), (256, 30)])
    func patchGANGivesAGridOfLogits(size: Int, patches: Int) {
        let d = patchDiscriminator(inputChannels: 6, width: 2, norm: .batch, seed: 1)
        #expect(d.inference(Tensor.zeros([1, size, size, 6])).shape == [1, patches, patches, 1])
    }

    @Test(arguments: [64, 128, 256])
    func resNetGeneratorKeepsTheImageSize(size: Int) {
        let g = resNetGenerator(inputChannels: 3, outputChannels: 1, width: 4, blocks: 2, seed: 3)
        #expect(g.inference(Tensor.zeros([1, size, size, 3])).shape == [1, size, size, 1])
        #expect(g.inference(Tensor.zeros([1, size, size + 12, 3])).shape == [1, size, size + 12, 1])
        var r = RandomGenerator(seed: 42)
        let out = g.inference(Tensor.randomUniform([1, size, size, 3], lower: -1, upper: 1, using: &r))
        #expect(out.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })                                  // tanh
    }

    /// Tiny pairs: B is A's colours inverted inside a square, so the L1 part of the loss can teach G quickly.
    static func pairs(_ n: Int, size: Int, seed: UInt64) -> (Tensor, Tensor) {
        var g = RandomGenerator(seed: seed)
        var a: [Float] = [], b: [Float] = []
        for _ in 0..<n {
            let x0 = Int(g.next() % UInt64(size / 2)), y0 = Int(g.next() % UInt64(size / 2))
            for y in 0..<size { for x in 0..<size {
                let inside = x >= x0 && x < x0 + size / 2 && y >= y0 && y < y0 + size / 2
                a += [inside ? 1 : -1, -1, -1]
                b += [inside ? -1 : 1, inside ? 1 : -1, 0]
            } }
        }
        return (Tensor(shape: [n, size, size, 3], scalars: a), Tensor(shape: [n, size, size, 3], scalars: b))
    }

    @Test func pix2pixSmokeRunLearnsAndRepeats() {
        let (a, b) = Self.pairs(4, size: 32, seed: 5)
        func run() -> [Float] {
            var t = Pix2PixTrainer(size: 32, inputChannels: 3, outputChannels: 3, width: 8, seed: 9)
            return (0..<100).map { _ in t.trainStep(input: a, target: b).l1 }
        }
        let l1 = run()
        #expect(l1.allSatisfy { $0.isFinite })
        // Mean absolute error on [-1, 1]; the first steps output about 0 against targets of +-1 and 0.
        let first = l1.prefix(5).reduce(0, +) / 5, last = l1.suffix(5).reduce(0, +) / 5
        #expect(last < 0.7 * first, "L1 \(first) -> \(last)")
        #expect(run() == l1)                                              // same seed, same run, to the bit
    }

    @Test func cycleGANSmokeRunLearnsAndRepeats() {
        let (a, b) = Self.pairs(2, size: 32, seed: 6)
        func run() -> [CycleGANTrainer.StepResult] {
            var t = CycleGANTrainer(channelsA: 3, channelsB: 3, width: 4, blocks: 1, discriminatorWidth: 4, seed: 4)
            return (0..<30).map { i in t.trainStep(a: a[(i % 2)..<(i % 2 + 1)], b: b[(i % 2)..<(i % 2 + 1)]) }
        }
        let r = run()
        let cycle = r.map { $0.cycleA + $0.cycleB }
        #expect(cycle.allSatisfy { $0.isFinite } && r.allSatisfy { $0.discriminatorA.isFinite && $0.identityA > 0 })
        let first = cycle.prefix(5).reduce(0, +) / 5, last = cycle.suffix(5).reduce(0, +) / 5
        #expect(last < 0.8 * first, "cycle L1 \(first) -> \(last)")
        #expect(run().map { $0.cycleA } == r.map(\.cycleA))
    }

    @Test func identityLossNeedsMatchingChannels() {
        #expect(CycleGANTrainer(channelsA: 1, channelsB: 3, width: 2, blocks: 1, seed: 1).identityWeight == 0)
        #expect(CycleGANTrainer(channelsA: 3, channelsB: 3, width: 2, blocks: 1, seed: 1).identityWeight == 0.5)
    }

    @Test func historyPoolFillsThenSwapsHalfTheTime() {
        var pool = ImagePool(capacity: 5)
        var g = RandomGenerator(seed: 3)
        func image(_ v: Float) -> Tensor { Tensor(repeating: v, shape: [1, 2, 2, 1]) }
        // Filling: every image comes straight back and is kept.
        for i in 0..<5 { #expect(pool.query(image(Float(i)), using: &g).scalars[0] == Float(i)) }
        #expect(pool.images.map { $0.scalars[0] } == [0, 1, 2, 3, 4])
        // Full: each answer is the new image or one that was stored (then replaced by the new one); the pool keeps 5.
        var swaps = 0
        let queries = 2_000
        for i in 5..<(5 + queries) {
            let before = Set(pool.images.map { $0.scalars[0] })
            let v = pool.query(image(Float(i)), using: &g).scalars[0]
            #expect(pool.images.count == 5)
            if v != Float(i) {
                #expect(before.contains(v))
                #expect(pool.images.contains { $0.scalars[0] == Float(i) } && !pool.images.contains { $0.scalars[0] == v })
                swaps += 1
            }
        }
        // Binomial(2000, 0.5): sd 22.4; 5 sd either side.
        #expect(abs(swaps - queries / 2) < 112, "\(swaps) swaps in \(queries)")
        // A batch is answered image by image.
        #expect(pool.query(Tensor.zeros([3, 2, 2, 1]), using: &g).shape == [3, 2, 2, 1])
        var none = ImagePool(capacity: 0)
        #expect(none.query(image(7), using: &g).scalars[0] == 7 && none.images.isEmpty)
    }

    @Test func learningRateDecaysLinearlyToZero() {
        var t = CycleGANTrainer(channelsA: 3, channelsB: 3, width: 2, blocks: 1, seed: 1)
        // The reference's lambda_rule with n_epochs = 2, n_epochs_decay = 3: 1, 1, 0.75, 0.5, 0.25.
        let rates = (0..<5).map { e -> Float in t.setLearningRate(epoch: e, constantEpochs: 2, decayEpochs: 3); return t.generatorOptimizer.learningRate }
        let want: [Float] = [1, 1, 0.75, 0.5, 0.25].map { $0 * 2e-4 }
        for (r, w) in zip(rates, want) { #expect(abs(r - w) <= 1e-9, "\(rates)") }   // exact up to float rounding
        #expect(t.discriminatorOptimizer.learningRate == t.generatorOptimizer.learningRate)
    }

    /// A checkpoint holds everything: a restored trainer's next step equals the original's, to the bit.
    @Test func checkpointsResumeExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-translation-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (a, b) = Self.pairs(2, size: 32, seed: 8)

        var p = Pix2PixTrainer(size: 32, inputChannels: 3, outputChannels: 3, width: 4, seed: 1)
        for _ in 0..<3 { _ = p.trainStep(input: a, target: b) }
        let pURL = dir.appendingPathComponent("p.safetensors")
        try TranslationCheckpoint.write(p, epoch: 2, config: ["x": "y"], extras: ["fixedA": a], to: pURL)
        var p2 = Pix2PixTrainer(size: 32, inputChannels: 3, outputChannels: 3, width: 4, seed: 77)
        let info = try TranslationCheckpoint.restore(&p2, from: pURL)
        #expect(info.epoch == 2 && info.step == 3 && info.config["x"] == "y" && info.extras["fixedA"]?.scalars == a.scalars)
        #expect(p2.trainStep(input: a, target: b).l1 == p.trainStep(input: a, target: b).l1)

        var c = CycleGANTrainer(channelsA: 3, channelsB: 3, width: 2, blocks: 1, discriminatorWidth: 2, seed: 1)
        for i in 0..<3 { _ = c.trainStep(a: a[i % 2..<(i % 2 + 1)], b: b[i % 2..<(i % 2 + 1)]) }
        let cURL = dir.appendingPathComponent("c.safetensors")
        try TranslationCheckpoint.write(c, epoch: 1, config: [:], extras: [:], to: cURL)
        var c2 = CycleGANTrainer(channelsA: 3, channelsB: 3, width: 2, blocks: 1, discriminatorWidth: 2, seed: 5)
        _ = try TranslationCheckpoint.restore(&c2, from: cURL)
        #expect(c2.poolA.images.count == 3)
        let next = c.trainStep(a: a[0..<1], b: b[0..<1]), again = c2.trainStep(a: a[0..<1], b: b[0..<1])
        #expect(next.cycleA == again.cycleA && next.discriminatorB == again.discriminatorB)

        // A model of other options, and a truncated file, are refused with the file named.
        var wide = Pix2PixTrainer(size: 32, inputChannels: 3, outputChannels: 3, width: 8, seed: 1)
        #expect { try TranslationCheckpoint.restore(&wide, from: pURL) } throws: { "\($0)".contains(pURL.path) && "\($0)".contains("does not fit") }
        let bytes = try Data(contentsOf: pURL)
        try bytes.prefix(bytes.count / 2).write(to: pURL)
        #expect { try TranslationCheckpoint.restore(&p2, from: pURL) } throws: { "\($0)".contains(pURL.path) }
        #expect { try TranslationCheckpoint.restore(&c2, from: dir.appendingPathComponent("missing.safetensors")) } throws: { _ in true }
    }
}
