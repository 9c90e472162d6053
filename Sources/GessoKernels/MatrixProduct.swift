import CGessoKernels

/// A matrix operand: a pointer with its row and column strides (a transposed view swaps them).
public struct MatrixOperand {
    public var base: UnsafePointer<Float>
    public var rowStride: Int
    public var columnStride: Int
    public init(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base; self.rowStride = rowStride; self.columnStride = columnStride
    }
    /// A contiguous row-major [rows, cols] matrix, transposed or not.
    public static func rowMajor(_ base: UnsafePointer<Float>, cols: Int, transposed: Bool = false) -> MatrixOperand {
        transposed ? MatrixOperand(base, rowStride: 1, columnStride: cols) : MatrixOperand(base, rowStride: cols, columnStride: 1)
    }
}

/// c[m, n] = sum_k a[m, k] * b[k, n] on oneDNN; c is contiguous row-major.
public func matmul(m: Int, n: Int, k: Int, _ a: MatrixOperand, _ b: MatrixOperand, _ c: UnsafeMutablePointer<Float>) {
    var d = gesso_matmul_desc(m: Int64(m), n: Int64(n), k: Int64(k),
                              a_row_stride: Int64(a.rowStride), a_col_stride: Int64(a.columnStride),
                              b_row_stride: Int64(b.rowStride), b_col_stride: Int64(b.columnStride))
    checkDNNL(gesso_matmul(&d, a.base, b.base, c), "matmul [\(m), \(k)] x [\(k), \(n)]")
}
