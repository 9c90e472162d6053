import CGessoKernels
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
public func parallelChunks(_ count: Int, threshold: Int = parallelThreshold, _ body: (Int, Int) -> Void) {
    if count < threshold || coreCount == 1 || count < 2 {
        body(0, count)
        return
    }
    let chunks = min(coreCount, count)
    let per = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        let job = ChunkJob(count: count, per: per, body: body)
        withExtendedLifetime(job) {
            gesso_parallel_chunks(Int64(chunks), { context, c in
                let job = Unmanaged<ChunkJob>.fromOpaque(context!).takeUnretainedValue()
                let start = Int(c) * job.per
                let end = min(job.count, start + job.per)
                if start < end { job.body(start, end) }
            }, Unmanaged.passUnretained(job).toOpaque())
        }
    }
}

/// What the OpenMP team needs to run one `parallelChunks` call.
private final class ChunkJob {
    let count: Int, per: Int
    let body: (Int, Int) -> Void
    init(count: Int, per: Int, body: @escaping (Int, Int) -> Void) { self.count = count; self.per = per; self.body = body }
}
