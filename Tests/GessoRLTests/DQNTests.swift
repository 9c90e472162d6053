import Foundation
import Testing
@testable import GessoRL
import GessoNN
import TensorCore

struct ReplayBufferTests {
    /// Episodes whose frames are filled with their episode number: a state mixing episodes would show two values.
    func filled(capacity: Int, episodes lengths: [Int]) -> ReplayBuffer {
        var replay = ReplayBuffer(capacity: capacity, frameSize: 6400)
        for (e, length) in lengths.enumerated() {
            for t in 0..<length {
                replay.add(frame: [UInt8](repeating: UInt8(e + 1), count: 6400), action: t % 2, reward: Float(t),
                           done: t == length - 1, episodeStart: t == 0)
            }
        }
        return replay
    }

    @Test func statesNeverCrossEpisodes() {
        for capacity in [7, 50, 1000] {    // 7 and 50 wrap around
            let replay = filled(capacity: capacity, episodes: [3, 1, 5, 2, 8, 4, 6])
            var g = RandomGenerator(seed: 9)
            let batch = replay.sample(200, using: &g)
            let s = batch.states.scalars, n = batch.nextStates.scalars
            for i in 0..<200 {
                let values = Set((0..<4).map { c in s[i * 6400 * 4 + c] })
                #expect(values.count == 1, "state \(i) mixes episodes: \(values)")
                if !batch.dones[i] {
                    let next = Set((0..<4).map { c in n[i * 6400 * 4 + c] })
                    #expect(next == values, "next state \(i) crosses into another episode")
                }
            }
        }
    }

    @Test func episodeStartRepeatsFirstFrame() {
        var replay = ReplayBuffer(capacity: 10, frameSize: 6400)
        for t in 0..<3 { replay.add(frame: [UInt8](repeating: UInt8(10 + t), count: 6400), action: 0, reward: 0, done: false, episodeStart: t == 0) }
        #expect(replay.stateIndices(endingAt: 1) == [0, 0, 0, 1])
        #expect(replay.stateIndices(endingAt: 2) == [0, 0, 1, 2])
    }

    @Test func samplesUniformly() {
        let replay = filled(capacity: 40, episodes: [41])     // wrapped: 40 kept, 39 sampleable
        #expect(replay.count == 40 && replay.sampleable == 39)
        var g = RandomGenerator(seed: 2)
        var counts: [Int: Int] = [:]
        let draws = 39_000
        for i in replay.sampleEntries(draws, using: &g) { counts[i, default: 0] += 1 }
        #expect(replay.sample(5, using: &g).entries.count == 5)
        #expect(counts.count == 39, "every sampleable entry appears, the newest never")
        // Each entry expects 1,000 draws; binomial sd ~31, so 5 sd = 155.
        #expect(counts.values.allSatisfy { abs($0 - 1000) < 155 }, "\(counts.values.sorted())")
    }
}

struct DQNAgentTests {
    static func smallConfig() -> DQNConfig {
        var c = DQNConfig()
        c.batchSize = 4; c.replayCapacity = 500; c.learningStarts = 20; c.trainEvery = 2; c.targetSync = 30
        c.epsilonSteps = 100
        return c
    }

    @Test func huberMatchesTensorFlow() {
        // tf.keras.losses.Huber()(y_true=[0, 0, 0], y_pred=[0.5, 2, -3]) = mean(0.125, 1.5, 2.5) = 1.375
        let y = Tensor([0, 0, 0]), p = Tensor([0.5, 2, -3])
        let (loss, grads) = valueWithGradients(at: [p]) { v in losses.huber(labels: y, predictions: v[0]) }
        #expect(abs(loss.scalar - 1.375) < 1e-6)
        #expect(zip(grads[0].scalars, [0.5 / 3, 1.0 / 3, -1.0 / 3]).allSatisfy { abs($0 - Float($1)) < 1e-6 })
    }

    @Test func targetNetworkChangesOnlyAtSync() {
        var trainer = DQNTrainer(config: Self.smallConfig(), seed: 4)
        let initial = trainer.agent.target.parameters["W_fc2"]!.scalars
        var sawUpdate = false
        for _ in 0..<29 {
            if trainer.advance().loss != nil { sawUpdate = true }
            #expect(trainer.agent.target.parameters["W_fc2"]!.scalars == initial)
        }
        #expect(sawUpdate && trainer.agent.online.parameters["W_fc2"]!.scalars != initial, "the online network learned")
        _ = trainer.advance()   // step 30: sync
        #expect(trainer.agent.target.parameters["W_fc2"]!.scalars == trainer.agent.online.parameters["W_fc2"]!.scalars)
        _ = trainer.advance(); _ = trainer.advance()
        #expect(trainer.agent.target.parameters["W_fc2"]!.scalars != trainer.agent.online.parameters["W_fc2"]!.scalars,
                "the online network moves on, the target waits for the next sync")
    }

    @Test func seededSmokeRunRepeatsAndResumes() throws {
        func run(_ steps: Int) -> DQNTrainer {
            var t = DQNTrainer(config: Self.smallConfig(), seed: 11)
            for _ in 0..<steps {
                let r = t.advance()
                if let l = r.loss { #expect(l.isFinite) }
            }
            return t
        }
        let a = run(300), b = run(300)
        #expect(a.episodes.count > 3, "a few hundred steps of mostly random play end several episodes")
        #expect(a.episodes == b.episodes)
        #expect(a.agent.online.parameters["W_fc1"]!.scalars == b.agent.online.parameters["W_fc1"]!.scalars)
        #expect(a.epsilon == Self.smallConfig().epsilonEnd)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-dqn-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try DQNCheckpoint.write(a, to: url)
        let r = try DQNCheckpoint.restore(from: url)
        #expect(r.step == 300 && r.episodes == a.episodes && r.agent.updates == a.agent.updates)
        #expect(r.agent.online.parameters["W_conv1"]!.scalars == a.agent.online.parameters["W_conv1"]!.scalars)
        #expect(r.agent.target.parameters["W_conv1"]!.scalars == a.agent.target.parameters["W_conv1"]!.scalars)
        #expect(r.agent.optimizer.state().tensors.count == a.agent.optimizer.state().tensors.count)

        // A truncated checkpoint fails with the file's name.
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        #expect { _ = try DQNCheckpoint.restore(from: url) } throws: { "\($0)".contains(url.path) }
    }

    @Test func policiesPlayWholeEpisodes() {
        let agent = DQNAgent(config: Self.smallConfig(), seed: 1)
        var frames = 0
        let e = DQNEvaluation.play(config: Self.smallConfig(), seed: 3, maxSteps: 50, policy: DQNEvaluation.greedy(agent)) { _, _, _ in frames += 1 }
        #expect(e.steps >= 1 && e.steps <= 50 && frames == e.steps + 1)
        let r = DQNEvaluation.play(config: Self.smallConfig(), seed: 3, maxSteps: 500, policy: DQNEvaluation.random(seed: 1))
        #expect(r.steps < 500, "a random policy crashes")
    }
}
