import Foundation
import GessoKernels

extension Tensor {
    /// Applies a last-axis op along `axis` by moving that axis last and back.
    func alongAxis(_ axis: Int, op: String, _ f: (Tensor) -> Tensor) -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(op): axis \(axis) outside shape \(describe(shape))")
        if a == rank - 1 { return f(self) }
        var perm = Array(0..<rank)
        perm.swapAt(a, rank - 1)
        return f(transposed(perm)).transposed(perm)
    }

    /// Row-wise softmax (log-softmax when `log`) over the last axis, without the tape.
    func softmaxRows(log: Bool) -> Tensor {
        let cols = shape.last ?? 1
        let rows = count / Swift.max(cols, 1)
        var out = Tensor(uninitializedShape: shape)
        let x = pointer, y = out.storage.pointer
        parallelChunks(rows, threshold: Swift.max(1, parallelThreshold / Swift.max(cols, 1))) { s, e in
            for r in s..<e {
                let xr = x + r * cols, yr = y + r * cols
                var m = -Float.infinity
                for c in 0..<cols { m = Swift.max(m, xr[c]) }
                var total: Double = 0
                for c in 0..<cols { let v = Foundation.exp(xr[c] - m); yr[c] = v; total += Double(v) }
                if log {
                    let lse = Float(Foundation.log(total))
                    for c in 0..<cols { yr[c] = xr[c] - m - lse }
                } else {
                    let inv = Float(1 / total)
                    for c in 0..<cols { yr[c] *= inv }
                }
            }
        }
        return out
    }

    /// `tf.nn.softmax` along `axis`.
    public func softmax(axis: Int = -1) -> Tensor {
        alongAxis(axis, op: "softmax") { x in
            let y = x.softmaxRows(log: false)
            return Tensor.record(y, [x]) { g in [y * (g - (g * y).sum(alongAxes: [-1], keepDims: true))] }
        }
    }

    /// `tf.nn.log_softmax` along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        alongAxis(axis, op: "log_softmax") { x in
            let y = x.softmaxRows(log: true)
            return Tensor.record(y, [x]) { g in [g - y.exp() * g.sum(alongAxes: [-1], keepDims: true)] }
        }
    }
}
