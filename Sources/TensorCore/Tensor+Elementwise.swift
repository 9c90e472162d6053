import GessoKernels

/// The shape two operands broadcast to (NumPy / TensorFlow rules: align trailing axes; 1 stretches).
func broadcastShape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1,
                     "\(op): shapes \(describe(a)) and \(describe(b)) cannot be broadcast together")
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Row-major strides of a shape, with 0 for axes of extent 1 when broadcasting to `target`.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let t = i + target.count - shape.count
        strides[t] = shape[i] == 1 ? 0 : s
        s *= shape[i]
    }
    return strides
}

/// Whether `small` (without its leading ones) is a trailing part of `big`: then `big op small` is a row-wise op.
func isTrailingSuffix(_ small: [Int], of big: [Int]) -> Bool {
    var s = small
    while let f = s.first, f == 1, s.count > 0 { s.removeFirst() }
    return s.count <= big.count && Array(big.suffix(s.count)) == s
}

extension Tensor {
    /// Elementwise `self op other` with broadcasting, without the tape.
    func applyBinary(_ op: BinaryOp, _ other: Tensor, name: String) -> Tensor {
        let outShape = broadcastShape(shape, other.shape, op: name)
        var out = Tensor(uninitializedShape: outShape)
        let y = out.storage.pointer
        if shape == other.shape {
            binary(op, pointer, other.pointer, y, count: count)
        } else if other.count == 1 && outShape == shape {
            binaryScalar(op, pointer, other.storage.pointer[0], scalarOnLeft: false, y, count: count)
        } else if count == 1 && outShape == other.shape {
            binaryScalar(op, other.pointer, storage.pointer[0], scalarOnLeft: true, y, count: other.count)
        } else if outShape == shape && isTrailingSuffix(other.shape, of: shape) {
            binaryRows(op, pointer, other.pointer, y, rows: count / Swift.max(other.count, 1), cols: other.count)
        } else {
            // General broadcast: walk the output with an odometer over both operands' strides.
            let sa = broadcastStrides(shape, to: outShape), sb = broadcastStrides(other.shape, to: outShape)
            let a = pointer, b = other.pointer
            var ia = 0, ib = 0
            var index = [Int](repeating: 0, count: outShape.count)
            let f: (Float, Float) -> Float
            switch op {
            case .add: f = (+)
            case .sub: f = (-)
            case .mul: f = (*)
            case .div: f = (/)
            case .max: f = { Swift.max($0, $1) }
            case .min: f = { Swift.min($0, $1) }
            }
            for o in 0..<out.count {
                y[o] = f(a[ia], b[ib])
                var axis = outShape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    ia += sa[axis]; ib += sb[axis]
                    if index[axis] < outShape[axis] { break }
                    ia -= sa[axis] * outShape[axis]; ib -= sb[axis] * outShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return out
    }

    /// Sums a broadcast gradient back down to `target` (the shape of the operand that was broadcast).
    func unbroadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        if isTrailingSuffix(target, of: shape) {
            let cols = Swift.max(target.reduce(1, *), 1)
            var out = Tensor(uninitializedShape: target)
            columnSums(pointer, rows: count / cols, cols: cols, out.storage.pointer)
            return out
        }
        let lead = shape.count - target.count
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        return sum(alongAxes: axes, keepDims: true).reshaped(to: target)
    }

    static func binaryOp(_ a: Tensor, _ b: Tensor, _ op: BinaryOp, _ name: String,
                         _ backward: @escaping (Tensor) -> (Tensor?, Tensor?)) -> Tensor {
        record(a.applyBinary(op, b, name: name), [a, b]) { g in
            let (ga, gb) = backward(g)
            return [ga?.unbroadcast(to: a.shape), gb?.unbroadcast(to: b.shape)]
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .add, "add") { g in (g, g) } }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .sub, "subtract") { g in (g, -g) } }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(a, b, .mul, "multiply") { g in (g * b, g * a) } }
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, .div, "divide") { g in (g / b, -(g * a) / (b * b)) }
    }

    /// Elementwise maximum; where equal the gradient goes to `a` (TensorFlow's choice).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        binaryOp(a, b, .max, "maximum") { g in
            let mask = a.mask(b, where: >=)
            return (g * mask, g * (1 - mask))
        }
    }

    /// Elementwise minimum; where equal the gradient goes to `a`.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        binaryOp(a, b, .min, "minimum") { g in
            let mask = a.mask(b, where: <=)
            return (g * mask, g * (1 - mask))
        }
    }

    /// 1 where `compare(self, other)` holds, else 0 (broadcast), outside the tape.
    func mask(_ other: Tensor, where compare: (Float, Float) -> Bool) -> Tensor {
        let outShape = broadcastShape(shape, other.shape, op: "compare")
        let a = shape == outShape ? self : self.broadcast(to: outShape)
        let b = other.shape == outShape ? other : other.broadcast(to: outShape)
        var out = Tensor(uninitializedShape: outShape)
        for i in 0..<out.count { out.storage.pointer[i] = compare(a.pointer[i], b.pointer[i]) ? 1 : 0 }
        return out
    }

    /// This tensor repeated along axes of extent 1 up to `target` (differentiable).
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        _ = broadcastShape(shape, target, op: "broadcast")
        return self + Tensor.zeros(target).detached()
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(s) }
    public static func + (s: Float, a: Tensor) -> Tensor { Tensor(s) + a }
    public static func - (a: Tensor, s: Float) -> Tensor { a - Tensor(s) }
    public static func - (s: Float, a: Tensor) -> Tensor { Tensor(s) - a }
    public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(s) }
    public static func * (s: Float, a: Tensor) -> Tensor { Tensor(s) * a }
    public static func / (a: Tensor, s: Float) -> Tensor { a / Tensor(s) }
    public static func / (s: Float, a: Tensor) -> Tensor { Tensor(s) / a }
    public static prefix func - (a: Tensor) -> Tensor { a.unary(.neg) }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }

    /// f(self) elementwise, with its derivative from the C kernels.
    func unary(_ op: UnaryOp, alpha: Float = 0) -> Tensor {
        var out = Tensor(uninitializedShape: shape)
        GessoKernels.unary(op, pointer, alpha: alpha, out.storage.pointer, count: count)
        let x = self, y = out
        return Tensor.record(out, [self]) { g in
            var dx = Tensor(uninitializedShape: x.shape)
            unaryBackward(op, x: x.pointer, y: y.pointer, dy: g.pointer, alpha: alpha, dx: dx.storage.pointer,
                          count: x.count)
            return [dx]
        }
    }

    public func exp() -> Tensor { unary(.exp) }
    public func log() -> Tensor { unary(.log) }
    public func squareRoot() -> Tensor { unary(.sqrt) }
    public func squared() -> Tensor { unary(.square) }
    public func abs() -> Tensor { unary(.abs) }
    public func sign() -> Tensor { unary(.sign) }
    public func tanh() -> Tensor { unary(.tanh) }
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    public func relu() -> Tensor { unary(.relu) }
    public func relu6() -> Tensor { unary(.relu6) }
    public func leakyRelu(alpha: Float = 0.2) -> Tensor { unary(.leakyRelu, alpha: alpha) }
    public func elu(alpha: Float = 1) -> Tensor { unary(.elu, alpha: alpha) }
}

extension Tensor {
    /// In place: `self += scale * other` (same shapes), one pass over memory, outside the tape. For optimizer
    /// updates: `weights.addScaled(gradient, by: -learningRate)`. Copies first if the buffer is shared.
    public mutating func addScaled(_ other: Tensor, by scale: Float) {
        precondition(shape == other.shape, "addScaled: shapes \(describe(shape)) and \(describe(other.shape)) differ")
        let source = other.pointer, n = count
        withUnsafeMutableBufferPointer { b in axpy(scale, source, b.baseAddress!, count: n) }
    }
}
