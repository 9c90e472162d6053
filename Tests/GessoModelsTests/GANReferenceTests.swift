import Foundation
import Testing
@testable import GessoModels
import GessoNN

/// Three DCGAN training steps against PyTorch (Fixtures/make_dcgan_steps.py: pytorch/examples' recipe on a tiny
/// 16x16 grey DCGAN with the same layout and initial weights). Tolerance: the losses within 1e-4 (float32 sums over
/// a few hundred terms), the parameters within 2e-5 + 1e-3|want| after three Adam steps of 2e-4 each: Adam divides
/// by sqrt(v), so a gradient that is ~0 in both can take a step of either sign, capped at the learning rate.
struct GANReferenceTests {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dcgan-steps.safetensors")

    @Test func threeStepsMatchPyTorch() throws {
        let all = try SafeTensors.read(Self.url).tensors
        func group(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: all.compactMap { k, v in
                k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
        }
        var trainer = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, width: 8, seed: 1)
        #expect(Set(trainer.generator.parameters.keys) == Set(group("init.G.").keys))
        #expect(Set(trainer.discriminator.parameters.keys) == Set(group("init.D.").keys))
        trainer.generator.parameters = group("init.G.")
        trainer.discriminator.parameters = group("init.D.")
        let lossD = all["lossD"]!.scalars, lossG = all["lossG"]!.scalars
        let realScore = all["realScore"]!.scalars, fakeScore = all["fakeScore"]!.scalars
        for t in 0..<3 {
            let r = trainer.trainStep(real: all["real.\(t)"]!, latents: all["z.\(t)"]!)
            #expect(abs(r.discriminatorLoss - lossD[t]) < 1e-4, "step \(t) D loss \(r.discriminatorLoss) vs \(lossD[t])")
            #expect(abs(r.generatorLoss - lossG[t]) < 1e-4, "step \(t) G loss \(r.generatorLoss) vs \(lossG[t])")
            #expect(abs(r.realScore - realScore[t]) < 1e-4 && abs(r.fakeScore - fakeScore[t]) < 1e-4)
        }
        for (player, got) in [("G", trainer.generator.parameters), ("D", trainer.discriminator.parameters)] {
            for (name, want) in group("after.\(player).") {
                let g = got[name]!
                #expect(g.shape == want.shape)
                let worst = zip(g.scalars, want.scalars).map { abs($0 - $1) - 1e-3 * abs($1) }.max()!
                #expect(worst < 2e-5, "\(player).\(name): off by \(worst)")
            }
        }
    }

    /// Every step draws fresh latents (a bug once reused the first batch's latents for the whole run).
    @Test func eachStepDrawsNewLatents() {
        var trainer = GANTrainer(architecture: .dcgan, size: 16, channels: 1, latentSize: 8, width: 8, seed: 1)
        let before = trainer.random
        let real = Tensor.zeros([2, 16, 16, 1])
        _ = trainer.trainStep(real: real)
        let afterOne = trainer.random
        _ = trainer.trainStep(real: real)
        #expect(afterOne != before && trainer.random != afterOne)
    }
}
