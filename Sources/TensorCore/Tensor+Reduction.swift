import GessoKernels

extension Tensor {
    /// Normalised, sorted, unique axes (negative counts from the end); nil means all axes.
    func normalizedAxes(_ axes: [Int]?, op: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let n = axes.map { $0 < 0 ? $0 + rank : $0 }
        precondition(n.allSatisfy { $0 >= 0 && $0 < rank }, "\(op): axes \(axes) outside shape \(describe(shape))")
        return Array(Set(n)).sorted()
    }

    /// The input laid out as [kept, reduced] rows (a transpose when the reduced axes are not already last).
    func rowsForReduction(_ axes: [Int]) -> (matrix: Tensor, rows: Int, cols: Int, keptShape: [Int]) {
        let kept = (0..<rank).filter { !axes.contains($0) }
        let rows = kept.map { shape[$0] }.reduce(1, *)
        let cols = axes.map { shape[$0] }.reduce(1, *)
        let m = (kept + axes) == Array(0..<rank) ? detached() : detached().transposed(kept + axes)
        return (m, rows, cols, kept.map { shape[$0] })
    }

    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Sum over `axes` (all when nil), as `tf.reduce_sum(x, axis, keepdims)`.
    public func sum(alongAxes axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "reduce_sum")
        let outShape = reducedShape(ax, keepDims: keepDims)
        var out = Tensor(uninitializedShape: outShape)
        let y = out.storage.pointer
        let kept = (0..<rank).filter { !ax.contains($0) }
        if ax == Array(0..<ax.count) {
            // Leading axes: column sums of a [reduced, kept] matrix, no copy.
            let rows = ax.map { shape[$0] }.reduce(1, *)
            columnSums(pointer, rows: rows, cols: count / Swift.max(rows, 1), y)
        } else {
            let (m, rows, cols, _) = rowsForReduction(ax)
            parallelChunks(rows, threshold: Swift.max(1, parallelThreshold / Swift.max(cols, 1))) { s, e in
                for r in s..<e { y[r] = Float(GessoKernels.sum(m.pointer + r * cols, count: cols)) }
            }
        }
        _ = kept
        let inputShape = shape
        let keptDimsShape = reducedShape(ax, keepDims: true)
        return Tensor.record(out, [self]) { g in [g.reshaped(to: keptDimsShape).broadcast(to: inputShape)] }
    }

    /// Mean over `axes` (all when nil), as `tf.reduce_mean`.
    public func mean(alongAxes axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "reduce_mean")
        let n = ax.map { shape[$0] }.reduce(1, *)
        return sum(alongAxes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum over `axes` (all when nil), as `tf.reduce_max`; the gradient is shared equally among ties.
    public func max(alongAxes axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "reduce_max")
        precondition(count > 0, "reduce_max: empty tensor of shape \(describe(shape))")
        let outShape = reducedShape(ax, keepDims: keepDims)
        var out = Tensor(uninitializedShape: outShape)
        let (m, rows, cols, _) = rowsForReduction(ax)
        for r in 0..<rows {
            var best = -Float.infinity
            for c in 0..<cols { best = Swift.max(best, m.pointer[r * cols + c]) }
            out.storage.pointer[r] = best
        }
        let x = self
        let keptDimsShape = reducedShape(ax, keepDims: true)
        let result = out
        return Tensor.record(out, [self]) { g in
            let mx = result.reshaped(to: keptDimsShape)
            let isMax = x.mask(mx, where: ==)
            let ties = isMax.sum(alongAxes: ax, keepDims: true)
            return [isMax * g.reshaped(to: keptDimsShape) / ties]
        }
    }

    /// Index of the largest element along the last axis (first one on ties); not differentiable.
    public func argmax() -> [Int] {
        let cols = shape.last ?? 1
        let rows = count / Swift.max(cols, 1)
        return (0..<rows).map { r in
            var best = 0
            for c in 1..<Swift.max(cols, 1) where pointer[r * cols + c] > pointer[r * cols + best] { best = c }
            return best
        }
    }
}
