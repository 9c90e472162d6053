import TensorCore

/// Experience replay that keeps each frame once, as bytes: entry t holds the frame seen at step t, the action taken
/// on it, the reward and whether the episode ended there. A state is the frame with the three before it, never
/// reaching back across the start of its episode (the first frame repeats instead) or past the oldest entry kept.
/// Memory: `capacity * 6,400` bytes of frames (50,000 entries: 320 MB) plus 6 bytes an entry.
public struct ReplayBuffer: Sendable {
    public let capacity: Int
    public let frameSize: Int
    private var frames: [UInt8]
    private var actions: [UInt8]
    private var rewards: [Float]
    private var dones: [Bool]
    private var starts: [Bool]
    /// Entries kept (at most `capacity`).
    public private(set) var count = 0
    private var next = 0

    public init(capacity: Int, frameSize: Int = FlappyEnvironment.frameSide * FlappyEnvironment.frameSide) {
        precondition(capacity >= 2, "the replay buffer needs room for at least 2 entries")
        self.capacity = capacity; self.frameSize = frameSize
        frames = [UInt8](repeating: 0, count: capacity * frameSize)
        actions = [UInt8](repeating: 0, count: capacity)
        rewards = [Float](repeating: 0, count: capacity)
        dones = [Bool](repeating: false, count: capacity)
        starts = [Bool](repeating: false, count: capacity)
    }

    public static func memoryBytes(capacity: Int) -> Int { capacity * (FlappyEnvironment.frameSide * FlappyEnvironment.frameSide + 6) }

    /// Stores one step: `frame` was seen, `action` taken, `reward` received, `done` if the episode ended;
    /// `episodeStart` marks the first frame of an episode.
    public mutating func add(frame: [UInt8], action: Int, reward: Float, done: Bool, episodeStart: Bool) {
        precondition(frame.count == frameSize, "replay: frame of \(frame.count) bytes, expected \(frameSize)")
        frames.withUnsafeMutableBufferPointer { dst in
            frame.withUnsafeBufferPointer { src in
                (dst.baseAddress! + next * frameSize).update(from: src.baseAddress!, count: frameSize)
            }
        }
        actions[next] = UInt8(action); rewards[next] = reward; dones[next] = done; starts[next] = episodeStart
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
    }

    private var oldest: Int { count < capacity ? 0 : next }

    /// The entry index of the `offset`-th oldest entry.
    func index(offset: Int) -> Int { (oldest + offset) % capacity }

    /// The frame indices of the state ending at entry `i`, oldest first (4 of them; repeats at an episode start).
    func stateIndices(endingAt i: Int, depth: Int = FrameStack.depth) -> [Int] {
        var result = [i]
        var j = i
        for _ in 1..<depth {
            if starts[j] || j == oldest { result.insert(j, at: 0); continue }
            j = (j - 1 + capacity) % capacity
            result.insert(j, at: 0)
        }
        return result
    }

    public struct Batch {
        public var states: Tensor, nextStates: Tensor   // [B, 80, 80, 4]
        public var actions: [Int], rewards: [Float], dones: [Bool]
        /// The entries sampled (for tests).
        public var entries: [Int]
    }

    /// Transitions that can be sampled: every entry except the newest (whose next frame is not stored yet).
    public var sampleable: Int { max(0, count - 1) }

    /// `size` entry indices drawn uniformly with replacement from the sampleable ones.
    func sampleEntries(_ size: Int, using random: inout RandomGenerator) -> [Int] {
        precondition(sampleable > 0, "replay: nothing to sample yet")
        return (0..<size).map { _ in index(offset: Int(random.next() % UInt64(sampleable))) }
    }

    /// `size` transitions drawn uniformly with replacement.
    public func sample(_ size: Int, using random: inout RandomGenerator) -> Batch {
        var states: [[[UInt8]]] = [], nexts: [[[UInt8]]] = []
        var batch = Batch(states: Tensor(0), nextStates: Tensor(0), actions: [], rewards: [], dones: [], entries: [])
        for i in sampleEntries(size, using: &random) {
            let n = (i + 1) % capacity
            states.append(stateIndices(endingAt: i).map(frame))
            // After a terminal step the next state is never used (its target is the reward alone).
            nexts.append(dones[i] ? states.last! : stateIndices(endingAt: n).map(frame))
            batch.actions.append(Int(actions[i])); batch.rewards.append(rewards[i]); batch.dones.append(dones[i])
            batch.entries.append(i)
        }
        batch.states = FrameStack.tensor(states)
        batch.nextStates = FrameStack.tensor(nexts)
        return batch
    }

    func frame(_ i: Int) -> [UInt8] { Array(frames[(i * frameSize)..<((i + 1) * frameSize)]) }
    func isStart(_ i: Int) -> Bool { starts[i] }
}
