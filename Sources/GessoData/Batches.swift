import Dispatch
import TensorCore

/// Mini-batches over a data set, for one epoch.
///
/// Shuffled with a seed derived from `(seed, epoch)`, so a run resumed at epoch e sees the same order it would have
/// seen without stopping. While the caller trains on one batch, the next is assembled on a background thread.
/// Each element is `(images [B, H, W, C], labels [B], indices [B])`, the indices pointing into the data set; the last
/// batch may be smaller than `batchSize` unless `dropLast`.
public struct Batches: Sequence, Sendable {
    public typealias Element = (images: Tensor, labels: [Int], indices: [Int])

    public let data: LabeledImages
    public let batchSize: Int
    /// The data set's indices in the order this epoch visits them.
    public let order: [Int]
    /// Batches per epoch.
    public let count: Int

    public init(_ data: LabeledImages, batchSize: Int, shuffle: Bool, seed: UInt64, epoch: Int, dropLast: Bool = false) {
        precondition(batchSize >= 1, "Batches: batchSize must be 1 or more, got \(batchSize)")
        self.data = data
        self.batchSize = batchSize
        var order = Array(0..<data.count)
        if shuffle {
            var generator = RandomGenerator(seed: epochSeed(seed, epoch))
            seededShuffle(&order, using: &generator)
        }
        self.order = order
        self.count = dropLast ? data.count / batchSize : (data.count + batchSize - 1) / batchSize
    }

    /// The data set's indices that batch `b` holds.
    public func indices(ofBatch b: Int) -> [Int] {
        precondition(b >= 0 && b < count, "Batches: batch \(b) outside 0..<\(count)")
        return Array(order[(b * batchSize)..<Swift.min((b + 1) * batchSize, order.count)])
    }

    /// Batch `b`, assembled now on the calling thread.
    public subscript(b: Int) -> Element {
        let indices = indices(ofBatch: b)
        return (gatherRows(data.images, indices), indices.map { data.labels[$0] }, indices)
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    /// Hands out the batches in order, assembling the next one in the background.
    public final class Iterator: IteratorProtocol {
        private let batches: Batches
        private var position = 0
        private var pending: Pending?

        init(_ batches: Batches) { self.batches = batches }

        public func next() -> Element? {
            guard position < batches.count else { return nil }
            let current = pending?.wait() ?? batches[position]
            position += 1
            pending = position < batches.count ? Pending(batches, position) : nil
            return current
        }
    }

    /// One batch being assembled on a background thread.
    private final class Pending: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Element?

        init(_ batches: Batches, _ b: Int) {
            DispatchQueue.global(qos: .userInitiated).async {
                self.result = batches[b]
                self.done.signal()
            }
        }

        func wait() -> Element {
            done.wait()
            return result!   // set before the signal
        }
    }
}

/// A generator seed for one epoch: SplitMix64's finaliser over the run's seed and the epoch, so neighbouring epochs
/// (and neighbouring seeds) give unrelated orders.
func epochSeed(_ seed: UInt64, _ epoch: Int) -> UInt64 {
    func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    return mix(seed ^ mix(UInt64(bitPattern: Int64(epoch))))
}
