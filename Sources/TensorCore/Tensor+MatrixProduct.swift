import GessoKernels

extension Tensor {
    /// `tf.matmul` of two matrices, either operand optionally transposed (no copy: oneDNN reads the strides).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul: needs two matrices, got \(describe(a.shape)) and \(describe(b.shape))")
        let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(ka == kb, "matmul: shapes \(describe(a.shape))\(transposeA ? "ᵀ" : "") and " +
                     "\(describe(b.shape))\(transposeB ? "ᵀ" : "") do not fit (inner sizes \(ka) and \(kb))")
        var c = Tensor(uninitializedShape: [m, n])
        if m * n > 0 {
            if ka == 0 {
                c.storage.buffer.initialize(repeating: 0)
            } else {
                GessoKernels.matmul(m: m, n: n, k: ka, .rowMajor(a.pointer, cols: a.shape[1], transposed: transposeA),
                                    .rowMajor(b.pointer, cols: b.shape[1], transposed: transposeB), c.storage.pointer)
            }
        }
        return record(c, [a, b]) { g in
            let da = !a.isTracked ? nil : transposeA ? matmul(b, g, transposeA: transposeB, transposeB: true)
                                                     : matmul(g, b, transposeB: !transposeB)
            let db = !b.isTracked ? nil : transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                                                     : matmul(a, g, transposeA: !transposeA)
            return [da, db]
        }
    }
}
