import Dispatch

/// Elements below which a loop stays on the calling thread: fork/join costs about 0.25 us here, and a
/// memory-bound loop over fewer elements is done before a second core could help.
public let parallelThreshold = 1 << 16

/// Threads for Gesso's own loops: the online cores, or `GESSO_KERNEL_THREADS` when set (oneDNN manages its own
/// threads, through OpenMP: `OMP_NUM_THREADS`).
public let coreCount: Int = {
    if let v = getenv("GESSO_KERNEL_THREADS"), let n = Int(String(cString: v)), n >= 1 { return n }
    return max(1, System.activeProcessorCount)
}()

enum System {
    static var activeProcessorCount: Int {
        #if os(Linux)
        return Int(sysconfNumProcessors())
        #else
        return 1
        #endif
    }
}

#if os(Linux)
import Glibc
private func sysconfNumProcessors() -> Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }
#endif

/// Runs `body(start, end)` over `0..<count` split into contiguous chunks, one per core, when `count` is at
/// least `threshold`; otherwise runs `body(0, count)` on the caller.
@inline(__always)
public func parallelChunks(_ count: Int, threshold: Int = parallelThreshold, _ body: (Int, Int) -> Void) {
    if count < threshold || coreCount == 1 {
        body(0, count)
        return
    }
    let chunks = coreCount
    let per = (count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let start = c * per
        let end = min(count, start + per)
        if start < end { body(start, end) }
    }
}
