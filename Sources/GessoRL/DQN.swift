import Foundation
import GessoModels
import GessoNN
import GessoOptim

/// The deep Q-learning recipe (Mnih et al. 2015) at a size that learns on 2 cores.
public struct DQNConfig: Codable, Equatable, Sendable {
    public var gamma: Float = 0.99
    public var batchSize = 32
    public var replayCapacity = 50_000
    /// Steps of random play before the first update.
    public var learningStarts = 1_000
    /// One update every this many agent steps.
    public var trainEvery = 4
    /// Agent steps between copies of the online network into the target network.
    public var targetSync = 1_000
    public var epsilonStart: Float = 1, epsilonEnd: Float = 0.05
    /// A random action is a flap with this probability. Uniformly random actions (0.5) flap so often that the bird
    /// flies into the ceiling within a second and never meets a pipe; about one flap in seven agent steps hovers.
    public var exploreFlapProbability: Float = 0.15
    /// Agent steps over which epsilon falls linearly from start to end.
    public var epsilonSteps = 10_000
    public var optimizer = OptimizerChoice.adam
    public var learningRate: Float = 1e-4
    public var frameSkip = 2
    public var difficulty = "normal"

    public init() {}

    public func epsilon(atStep step: Int) -> Float {
        if step >= epsilonSteps { return epsilonEnd }
        let t = Float(step) / Float(max(1, epsilonSteps))
        return epsilonStart + (epsilonEnd - epsilonStart) * t
    }

    public var game: FlappyConfig { FlappyConfig(difficulty: difficulty) ?? FlappyConfig() }
}

/// The Q-network is the lecture's `createNetwork()` (LectureNetwork); the target network is a copy that only
/// changes at `syncTarget()`.
public struct DQNAgent {
    public var online: LectureNetwork
    public private(set) var target: LectureNetwork
    public var optimizer: any Optimizer
    public let config: DQNConfig
    /// Updates taken.
    public var updates = 0

    public init(config: DQNConfig, seed: UInt64) {
        self.config = config
        online = LectureNetwork(actions: FlappyEnvironment.actions, seed: seed)
        target = online
        optimizer = config.optimizer.make(learningRate: config.learningRate)
    }

    /// Copies the online network's weights into the target network (fresh buffers, not shared ones).
    public mutating func syncTarget() {
        target = LectureNetwork(parameters: online.parameters.mapValues { Tensor(shape: $0.shape, scalars: $0.scalars) })
    }

    /// Restores weights saved by a checkpoint.
    public mutating func load(online o: [String: Tensor], target t: [String: Tensor]) {
        online = LectureNetwork(parameters: o); target = LectureNetwork(parameters: t)
    }

    /// Q-values `[N, 2]` of the online network.
    public func qValues(_ states: Tensor) -> Tensor { withoutGradients { online(states) } }

    /// The greedy action, or a random one with probability `epsilon`.
    public func act(_ state: Tensor, epsilon: Float, using random: inout RandomGenerator) -> Int {
        if random.nextUnitFloat() < epsilon { return random.nextUnitFloat() < config.exploreFlapProbability ? 1 : 0 }
        return qValues(state).argmax()[0]
    }

    /// One gradient step on a replay batch: Huber loss between Q(s, a) and r + gamma * max_a' Q_target(s', a')
    /// (just r after a crash). Returns the loss.
    @discardableResult
    public mutating func update(on batch: ReplayBuffer.Batch) -> Float {
        let n = batch.actions.count, actions = FlappyEnvironment.actions
        let nextQ = withoutGradients { target(batch.nextStates).max(alongAxes: [1]) }.scalars   // [B]
        let targets = (0..<n).map { i in batch.rewards[i] + (batch.dones[i] ? 0 : config.gamma * nextQ[i]) }
        var mask = [Float](repeating: 0, count: n * actions)
        for (i, a) in batch.actions.enumerated() { mask[i * actions + a] = 1 }
        let chosen = Tensor(shape: [n, actions], scalars: mask)
        let y = Tensor(shape: [n], scalars: targets)
        let names = LectureNetwork.parameterNames
        let (loss, grads) = valueWithGradients(at: names.map { online.parameters[$0]! }) { p in
            let net = LectureNetwork(parameters: Dictionary(uniqueKeysWithValues: zip(names, p)))
            let q = (net(batch.states) * chosen).sum(alongAxes: [1])                                  // [B]
            return losses.huber(labels: y, predictions: q)
        }
        var parameters = online.parameters
        optimizer.update(&parameters, with: Dictionary(uniqueKeysWithValues: zip(names, grads)))
        online.parameters = parameters
        updates += 1
        return loss.scalar
    }
}
