/// Naive twin of `matmul`, accumulating in Double.
public func referenceMatmul(m: Int, n: Int, k: Int, _ a: MatrixOperand, _ b: MatrixOperand,
                            _ c: UnsafeMutablePointer<Float>) {
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                s += Double(a.base[i * a.rowStride + p * a.columnStride]) * Double(b.base[p * b.rowStride + j * b.columnStride])
            }
            c[i * n + j] = Float(s)
        }
    }
}
