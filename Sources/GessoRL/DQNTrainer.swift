import Foundation
import GessoModels
import GessoNN
import GessoOptim

/// One finished training episode.
public struct EpisodeRecord: Codable, Equatable, Sendable {
    /// The agent step at which it ended.
    public var step: Int
    /// Pipes passed.
    public var score: Int
    public var totalReward: Float
}

/// Plays, remembers and learns: epsilon-greedy play feeds the replay buffer; every `trainEvery` steps a batch from it
/// trains the online network; every `targetSync` steps the target network catches up.
public struct DQNTrainer {
    public var agent: DQNAgent
    public var replay: ReplayBuffer
    public private(set) var environment: FlappyEnvironment
    public private(set) var stack: FrameStack
    /// Draws epsilon decisions and replay batches; saved in checkpoints.
    public var random: RandomGenerator
    public let seed: UInt64
    /// Agent steps taken (each `frameSkip` frames).
    public var step = 0
    public var episodes: [EpisodeRecord] = []
    private var frame: [UInt8]
    private var episodeStart = true
    private var episodeReward: Float = 0

    public init(config: DQNConfig, seed: UInt64) {
        agent = DQNAgent(config: config, seed: seed)
        replay = ReplayBuffer(capacity: config.replayCapacity)
        environment = FlappyEnvironment(config: config.game, frameSkip: config.frameSkip, seed: seed)
        random = RandomGenerator(seed: seed &+ 0xD0)
        self.seed = seed
        frame = environment.reset(seed: Self.episodeSeed(seed, 0))
        stack = FrameStack(first: frame)
    }

    /// Begins the next episode (its seed follows from the run's seed and the episodes played so far).
    mutating func startEpisode() {
        frame = environment.reset(seed: Self.episodeSeed(seed, episodes.count))
        stack = FrameStack(first: frame)
        episodeStart = true
        episodeReward = 0
    }

    /// Episode k's pipes come from this seed (so a run repeats exactly).
    static func episodeSeed(_ seed: UInt64, _ episode: Int) -> UInt64 { seed &* 1_000_003 &+ UInt64(episode) &+ 17 }

    public var config: DQNConfig { agent.config }
    public var epsilon: Float { config.epsilon(atStep: step) }

    public struct StepResult {
        public var finished: EpisodeRecord?
        public var loss: Float?
    }

    /// One agent step (and an update or a target sync when due).
    public mutating func advance() -> StepResult {
        var result = StepResult()
        let action = agent.act(stack.state, epsilon: epsilon, using: &random)
        let (next, reward, done) = environment.step(action)
        replay.add(frame: frame, action: action, reward: reward, done: done, episodeStart: episodeStart)
        episodeReward += reward
        step += 1
        if done {
            let record = EpisodeRecord(step: step, score: environment.game.score, totalReward: episodeReward)
            episodes.append(record)
            result.finished = record
            startEpisode()
        } else {
            frame = next
            stack.push(next)
            episodeStart = false
        }
        if replay.sampleable >= config.learningStarts && step % config.trainEvery == 0 {
            result.loss = agent.update(on: replay.sample(config.batchSize, using: &random))
        }
        if step % config.targetSync == 0 { agent.syncTarget() }
        return result
    }

    /// Mean score of the last `count` episodes (nil before the first).
    public func recentMeanScore(_ count: Int = 20) -> Double? {
        guard !episodes.isEmpty else { return nil }
        let tail = episodes.suffix(count)
        return Double(tail.map(\.score).reduce(0, +)) / Double(tail.count)
    }
}

/// Plays episodes without learning: the greedy agent (epsilon 0), or any policy.
public enum DQNEvaluation {
    public struct Episode: Sendable {
        public var seed: UInt64
        public var score: Int
        public var steps: Int
    }

    /// Plays one episode from `seed` with `policy`, stopping after `maxSteps` agent steps. `observe` sees every
    /// step's game (after the action) and the Q-values the policy used, if any.
    public static func play(config: DQNConfig, seed: UInt64, maxSteps: Int,
                            policy: (FrameStack) -> (action: Int, q: [Float]?),
                            observe: ((FlappyGame, Int, [Float]?) -> Void)? = nil) -> Episode {
        var env = FlappyEnvironment(config: config.game, frameSkip: config.frameSkip, seed: seed)
        var stack = FrameStack(first: env.reset(seed: seed))
        observe?(env.game, 0, nil)
        var steps = 0
        while steps < maxSteps {
            let (action, q) = policy(stack)
            let (frame, _, done) = env.step(action)
            steps += 1
            observe?(env.game, action, q)
            if done { break }
            stack.push(frame)
        }
        return Episode(seed: seed, score: env.game.score, steps: steps)
    }

    /// The greedy policy of an agent.
    public static func greedy(_ agent: DQNAgent) -> (FrameStack) -> (action: Int, q: [Float]?) {
        { stack in
            let q = agent.qValues(stack.state).scalars
            return (q[1] > q[0] ? 1 : 0, q)
        }
    }

    /// Random actions: a flap with probability `flapProbability` (0.5: uniformly random).
    public static func random(seed: UInt64, flapProbability: Float = 0.5) -> (FrameStack) -> (action: Int, q: [Float]?) {
        var g = RandomGenerator(seed: seed)
        return { _ in (g.nextUnitFloat() < flapProbability ? 1 : 0, nil) }
    }
}
