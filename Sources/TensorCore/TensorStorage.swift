import Foundation

/// A float buffer owned by one or more tensors (copy-on-write). Freed buffers go back to a size-keyed pool,
/// so a training loop that makes the same shapes every step touches fresh memory only in its first step.
final class TensorStorage {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>
    /// Names the contents: a new number on creation and on every mutation, never reused. Kernels that keep
    /// derived copies (oneDNN's reordered weights) compare it to know when to redo them.
    private(set) var version: UInt64

    init(count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count)
        self.version = VersionCounter.next()
        StorageCounter.change(+1)
    }

    deinit {
        BufferPool.shared.give(pointer, count: count)
        StorageCounter.change(-1)
    }

    func touch() { version = VersionCounter.next() }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

enum VersionCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var value: UInt64 = 0
    static func next() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value
    }
}

/// Live tensor buffers, for leak tests: a training loop's count must stay flat from step to step.
public enum StorageCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live = 0
    static func change(_ d: Int) {
        lock.lock(); live += d; lock.unlock()
    }
    /// Tensor buffers alive now.
    public static var liveBuffers: Int {
        lock.lock(); defer { lock.unlock() }
        return live
    }
}

/// A caching allocator: free lists keyed by element count, capped in total bytes.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    /// At most this many bytes wait in the pool; beyond it buffers go back to the system.
    var capacityBytes = 2 << 30

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if var list = free[count], let p = list.popLast() {
            free[count] = list
            cachedBytes -= count * 4
            lock.unlock()
            return p
        }
        lock.unlock()
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard let raw = aligned_alloc(64, (bytes + 63) / 64 * 64) else {
            preconditionFailure("out of memory allocating a tensor of \(count) elements")
        }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        if cachedBytes + count * 4 <= capacityBytes {
            free[count, default: []].append(p)
            cachedBytes += count * 4
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(p)
        }
    }

    /// Returns every cached buffer to the system.
    func drain() {
        lock.lock(); defer { lock.unlock() }
        for (_, list) in free { for p in list { Foundation.free(p) } }
        free = [:]
        cachedBytes = 0
    }
}
