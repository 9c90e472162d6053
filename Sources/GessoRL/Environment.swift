import TensorCore

/// The game as the agent meets it: an action every `frameSkip` frames (repeated on each), rewards, and 80x80 grey
/// frames. Rewards per action: `alive` for staying in the air, `pipe` for each pipe passed, `crash` for crashing.
public struct FlappyEnvironment: Sendable {
    public static let actions = 2          // 0: do nothing, 1: flap
    public static let frameSide = 80

    public struct Rewards: Codable, Equatable, Sendable {
        public var alive: Float = 0.1, pipe: Float = 1, crash: Float = -1
        public init() {}
    }

    public let config: FlappyConfig
    public let frameSkip: Int
    public let rewards: Rewards
    public private(set) var game: FlappyGame

    public init(config: FlappyConfig = FlappyConfig(), frameSkip: Int = 2, rewards: Rewards = Rewards(), seed: UInt64) {
        precondition(frameSkip >= 1, "frame skip must be at least 1")
        self.config = config; self.frameSkip = frameSkip; self.rewards = rewards
        game = FlappyGame(config: config, seed: seed)
    }

    /// Starts a new episode (its pipes drawn from `seed`) and returns its first frame.
    public mutating func reset(seed: UInt64) -> [UInt8] {
        game = FlappyGame(config: config, seed: seed)
        return game.greyFrame(side: Self.frameSide)
    }

    /// Plays `action` for `frameSkip` frames; returns the last frame, the summed reward and whether the episode ended.
    public mutating func step(_ action: Int) -> (frame: [UInt8], reward: Float, done: Bool) {
        var reward: Float = 0
        for _ in 0..<frameSkip {
            switch game.advance(flap: action == 1) {
            case .alive: continue
            case .passedPipe: reward += rewards.pipe
            case .crashed: return (game.greyFrame(side: Self.frameSide), reward + rewards.crash, true)
            }
        }
        return (game.greyFrame(side: Self.frameSide), reward + rewards.alive, false)
    }
}

/// The network's input: the last four frames stacked as channels, oldest first (`[80, 80, 4]`, values in [0, 1]).
public struct FrameStack: Sendable {
    public static let depth = 4
    public private(set) var frames: [[UInt8]]

    /// A new episode: its first frame four times.
    public init(first: [UInt8]) { frames = Array(repeating: first, count: Self.depth) }

    public mutating func push(_ frame: [UInt8]) { frames.removeFirst(); frames.append(frame) }

    /// `[1, 80, 80, 4]`.
    public var state: Tensor { Self.tensor([frames]) }

    /// Stacks several states, each `depth` frames oldest first, into `[N, 80, 80, depth]` scaled to [0, 1].
    public static func tensor(_ states: [[[UInt8]]]) -> Tensor {
        let side = FlappyEnvironment.frameSide, pixels = side * side
        var out = [Float](repeating: 0, count: states.count * pixels * depth)
        for (n, frames) in states.enumerated() {
            precondition(frames.count == depth && frames.allSatisfy { $0.count == pixels }, "a state is \(depth) frames of \(pixels) bytes")
            let base = n * pixels * depth
            for (c, f) in frames.enumerated() {
                for p in 0..<pixels { out[base + p * depth + c] = Float(f[p]) * (1.0 / 255.0) }
            }
        }
        return Tensor(shape: [states.count, side, side, depth], scalars: out)
    }
}
