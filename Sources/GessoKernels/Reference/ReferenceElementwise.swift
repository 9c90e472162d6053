import Foundation

/// Naive twins of the C elementwise kernels, one scalar at a time, same signatures.

private func apply(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
    switch op {
    case .add: a + b
    case .sub: a - b
    case .mul: a * b
    case .div: a / b
    case .max: Swift.max(a, b)
    case .min: Swift.min(a, b)
    }
}

public func referenceBinary(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                            _ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = apply(op, a[i], b[i]) }
}

public func referenceBinaryScalar(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ s: Float, scalarOnLeft: Bool,
                                  _ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = scalarOnLeft ? apply(op, s, a[i]) : apply(op, a[i], s) }
}

public func referenceBinaryRows(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows { for c in 0..<cols { y[r * cols + c] = apply(op, a[r * cols + c], b[c]) } }
}

public func referenceUnary(_ op: UnaryOp, _ x: UnsafePointer<Float>, alpha: Float = 0,
                           _ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let v = Double(x[i])
        let r: Double
        switch op {
        case .relu: r = Swift.max(v, 0)
        case .relu6: r = Swift.min(Swift.max(v, 0), 6)
        case .leakyRelu: r = v > 0 ? v : Double(alpha) * v
        case .elu: r = v > 0 ? v : Double(alpha) * Foundation.expm1(v)
        case .tanh: r = Foundation.tanh(v)
        case .sigmoid: r = 1 / (1 + Foundation.exp(-v))
        case .exp: r = Foundation.exp(v)
        case .log: r = Foundation.log(v)
        case .neg: r = -v
        case .square: r = v * v
        case .sqrt: r = v.squareRoot()
        case .abs: r = Swift.abs(v)
        case .sign: r = v > 0 ? 1 : (v < 0 ? -1 : 0)
        }
        y[i] = Float(r)
    }
}

public func referenceUnaryBackward(_ op: UnaryOp, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                                   dy: UnsafePointer<Float>, alpha: Float = 0, dx: UnsafeMutablePointer<Float>,
                                   count: Int) {
    for i in 0..<count {
        let v = Double(x[i]), g = Double(dy[i])
        let d: Double
        switch op {
        case .relu: d = v > 0 ? 1 : 0
        case .relu6: d = v > 0 && v < 6 ? 1 : 0
        case .leakyRelu: d = v > 0 ? 1 : Double(alpha)
        case .elu: d = v > 0 ? 1 : Double(alpha) * Foundation.exp(v)
        case .tanh: let t = Foundation.tanh(v); d = 1 - t * t
        case .sigmoid: let s = 1 / (1 + Foundation.exp(-v)); d = s * (1 - s)
        case .exp: d = Foundation.exp(v)
        case .log: d = 1 / v
        case .neg: d = -1
        case .square: d = 2 * v
        case .sqrt: d = 0.5 / v.squareRoot()
        case .abs: d = v > 0 ? 1 : (v < 0 ? -1 : 0)
        case .sign: d = 0
        }
        dx[i] = Float(g * d)
    }
}

public func referenceAxpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += alpha * x[i] }
}

public func referenceSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var s = 0.0
    for i in 0..<count { s += Double(x[i]) }
    return s
}

public func referenceColumnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, _ out: UnsafeMutablePointer<Float>) {
    for c in 0..<cols {
        var s = 0.0
        for r in 0..<rows { s += Double(x[r * cols + c]) }
        out[c] = Float(s)
    }
}

public func referenceColumnMoments(_ x: UnsafePointer<Float>, rows: Int, cols: Int, mean: UnsafeMutablePointer<Float>,
                                   variance: UnsafeMutablePointer<Float>) {
    for c in 0..<cols {
        var s = 0.0
        for r in 0..<rows { s += Double(x[r * cols + c]) }
        let m = s / Double(rows)
        var v = 0.0
        for r in 0..<rows { let d = Double(x[r * cols + c]) - m; v += d * d }
        mean[c] = Float(m)
        variance[c] = Float(v / Double(rows))
    }
}

public func referenceScaleShiftRows(_ x: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                                    _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows { for c in 0..<cols { y[r * cols + c] = Float(Double(x[r * cols + c]) * Double(scale[c]) + Double(shift[c])) } }
}

public func referenceNormalizationBackwardSums(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                               inverseStd: UnsafePointer<Float>, rows: Int, cols: Int,
                                               sumDy: UnsafeMutablePointer<Double>, sumDyXhat: UnsafeMutablePointer<Double>) {
    for c in 0..<cols {
        var a = 0.0, b = 0.0
        for r in 0..<rows {
            let g = Double(dy[r * cols + c])
            a += g
            b += g * (Double(x[r * cols + c]) - Double(mean[c])) * Double(inverseStd[c])
        }
        sumDy[c] = a; sumDyXhat[c] = b
    }
}

public func referenceNormalizationBackwardInput(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                                inverseStd: UnsafePointer<Float>, k1: UnsafePointer<Float>,
                                                k2: UnsafePointer<Float>, k3: UnsafePointer<Float>,
                                                dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows {
        for c in 0..<cols {
            let xhat = (Double(x[r * cols + c]) - Double(mean[c])) * Double(inverseStd[c])
            dx[r * cols + c] = Float(Double(k1[c]) * (Double(dy[r * cols + c]) - Double(k2[c]) - xhat * Double(k3[c])))
        }
    }
}
