import Foundation
import Testing
@testable import TensorCore

/// Checks shapes first, then every element against `|got - want| <= atol + rtol * |want|`, and reports the
/// worst element. The failure points at the caller's line.
func expectClose(_ got: Tensor, _ want: Tensor, atol: Float, rtol: Float, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == want.shape else {
        Issue.record(Comment(rawValue: "\(what): shape \(got.shape), expected \(want.shape)"), sourceLocation: sourceLocation)
        return
    }
    let g = got.scalars, w = want.scalars
    var worst = -1, worstExcess: Float = 0, failures = 0
    for i in 0..<g.count {
        let err = abs(g[i] - w[i]), allowed = atol + rtol * abs(w[i])
        if !(err <= allowed) {
            failures += 1
            if worst < 0 || err - allowed > worstExcess { worst = i; worstExcess = err - allowed }
        }
    }
    if failures > 0 {
        let message = "\(what): \(failures) of \(g.count) elements outside \(atol) + \(rtol)·|want|; worst at flat " +
            "index \(worst): got \(g[worst]), want \(w[worst])"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// The test's own directory (the fixtures live beside the test sources, so a fresh clone has them).
let testDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
