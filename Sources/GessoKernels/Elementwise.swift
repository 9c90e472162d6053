import CGessoKernels

/// Binary elementwise operations of the C kernels.
public enum BinaryOp: Sendable {
    case add, sub, mul, div, max, min
    var c: gesso_binary_op {
        switch self {
        case .add: GESSO_BINARY_ADD
        case .sub: GESSO_BINARY_SUB
        case .mul: GESSO_BINARY_MUL
        case .div: GESSO_BINARY_DIV
        case .max: GESSO_BINARY_MAX
        case .min: GESSO_BINARY_MIN
        }
    }
}

/// Unary elementwise operations of the C kernels (`alpha`: leaky_relu's slope, elu's scale).
public enum UnaryOp: Sendable {
    case relu, relu6, leakyRelu, elu, tanh, sigmoid, exp, log, neg, square, sqrt, abs, sign
    var c: gesso_unary_op {
        switch self {
        case .relu: GESSO_UNARY_RELU
        case .relu6: GESSO_UNARY_RELU6
        case .leakyRelu: GESSO_UNARY_LEAKY_RELU
        case .elu: GESSO_UNARY_ELU
        case .tanh: GESSO_UNARY_TANH
        case .sigmoid: GESSO_UNARY_SIGMOID
        case .exp: GESSO_UNARY_EXP
        case .log: GESSO_UNARY_LOG
        case .neg: GESSO_UNARY_NEG
        case .square: GESSO_UNARY_SQUARE
        case .sqrt: GESSO_UNARY_SQRT
        case .abs: GESSO_UNARY_ABS
        case .sign: GESSO_UNARY_SIGN
        }
    }
}

/// y = a op b over `count` elements (same shapes), split across cores when long.
public func binary(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                   _ y: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count) { s, e in gesso_binary(op.c, a + s, b + s, y + s, Int64(e - s)) }
}

/// y = a op s, or s op a when `scalarOnLeft`.
public func binaryScalar(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ s: Float, scalarOnLeft: Bool,
                         _ y: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count) { st, e in gesso_binary_scalar(op.c, a + st, s, scalarOnLeft ? 1 : 0, y + st, Int64(e - st)) }
}

/// y[r, c] = a[r, c] op b[c] over a [rows, cols] matrix.
public func binaryRows(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    parallelChunks(rows, threshold: max(1, parallelThreshold / max(cols, 1))) { s, e in
        gesso_binary_rows(op.c, a + s * cols, b, y + s * cols, Int64(e - s), Int64(cols))
    }
}

/// y = f(x).
public func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, alpha: Float = 0, _ y: UnsafeMutablePointer<Float>,
                  count: Int) {
    parallelChunks(count) { s, e in gesso_unary(op.c, x + s, alpha, y + s, Int64(e - s)) }
}

/// dx = dy * f'(x), with f' read from the input x or the output y as the op needs.
public func unaryBackward(_ op: UnaryOp, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                          dy: UnsafePointer<Float>, alpha: Float = 0, dx: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count) { s, e in gesso_unary_backward(op.c, x + s, y + s, dy + s, alpha, dx + s, Int64(e - s)) }
}

/// y += alpha * x.
public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count) { s, e in gesso_axpy(alpha, x + s, y + s, Int64(e - s)) }
}

/// The sum of `count` elements, accumulated in Double.
public func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
    gesso_sum(x, Int64(count))
}

/// out[c] = sum over rows of x[r, c]; long matrices are split by rows across cores and the parts added.
public func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, _ out: UnsafeMutablePointer<Float>) {
    if rows * cols < parallelThreshold || coreCount == 1 || rows < 2 {
        gesso_column_sums(x, Int64(rows), Int64(cols), out)
        return
    }
    let parts = min(coreCount, rows)
    let per = (rows + parts - 1) / parts
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: parts * cols)
    defer { partial.deallocate() }
    parallelChunks(parts, threshold: 1) { p0, p1 in
        for p in p0..<p1 {
            let start = p * per, end = min(rows, start + per)
            gesso_column_sums(x + start * cols, Int64(max(0, end - start)), Int64(cols), partial + p * cols)
        }
    }
    for c in 0..<cols {
        var s: Float = 0
        for p in 0..<parts { s += partial[p * cols + c] }
        out[c] = s
    }
}

/// Per-column mean and biased variance of a [rows, cols] matrix.
public func columnMoments(_ x: UnsafePointer<Float>, rows: Int, cols: Int, mean: UnsafeMutablePointer<Float>,
                          variance: UnsafeMutablePointer<Float>) {
    gesso_column_moments(x, Int64(rows), Int64(cols), mean, variance)
}

/// y[r, c] = x[r, c] * scale[c] + shift[c], rows split across cores.
public func scaleShiftRows(_ x: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    parallelChunks(rows, threshold: max(1, parallelThreshold / max(cols, 1))) { s, e in
        gesso_scale_shift_rows(x + s * cols, scale, shift, y + s * cols, Int64(e - s), Int64(cols))
    }
}

/// The two per-column sums of a normalisation's backward pass: sum(dy) and sum(dy * xhat).
public func normalizationBackwardSums(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                      inverseStd: UnsafePointer<Float>, rows: Int, cols: Int,
                                      sumDy: UnsafeMutablePointer<Double>, sumDyXhat: UnsafeMutablePointer<Double>) {
    gesso_norm_backward_sums(x, dy, mean, inverseStd, Int64(rows), Int64(cols), sumDy, sumDyXhat)
}

/// dx = k1 * (dy - k2 - xhat * k3) per column, rows split across cores.
public func normalizationBackwardInput(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                       inverseStd: UnsafePointer<Float>, k1: UnsafePointer<Float>, k2: UnsafePointer<Float>,
                                       k3: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    parallelChunks(rows, threshold: max(1, parallelThreshold / max(cols, 1))) { s, e in
        gesso_norm_backward_dx(x + s * cols, dy + s * cols, mean, inverseStd, k1, k2, k3, dx + s * cols, Int64(e - s), Int64(cols))
    }
}
