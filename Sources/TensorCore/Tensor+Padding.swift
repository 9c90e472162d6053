/// How `pad` fills the border (`tf.pad` modes).
public enum PaddingMode: String, Sendable {
    /// A constant (zero unless given).
    case constant = "CONSTANT"
    /// Mirror without repeating the edge: `[1, 2, 3]` padded by 2 on the left gives `3, 2, 1, 2, 3`.
    case reflect = "REFLECT"
    /// Mirror repeating the edge: `[1, 2, 3]` padded by 2 on the left gives `2, 1, 1, 2, 3`.
    case symmetric = "SYMMETRIC"
}

extension Tensor {
    /// `tf.pad(x, paddings, mode, constant_values)`: `paddings[axis] = [before, after]`.
    public func padded(_ paddings: [[Int]], mode: PaddingMode = .constant, value: Float = 0) -> Tensor {
        precondition(paddings.count == rank && paddings.allSatisfy { $0.count == 2 && $0[0] >= 0 && $0[1] >= 0 },
                     "pad: paddings \(paddings) must be \(rank) pairs of non-negative numbers for shape \(describe(shape))")
        for (a, p) in paddings.enumerated() where mode != .constant {
            let limit = mode == .reflect ? shape[a] - 1 : shape[a]
            precondition(p[0] <= limit && p[1] <= limit,
                         "pad: \(mode.rawValue) padding \(p) on axis \(a) exceeds \(limit) for shape \(describe(shape))")
        }
        let outShape = zip(shape, paddings).map { $0 + $1[0] + $1[1] }
        // For each axis and output coordinate: the source coordinate, or -1 for a constant.
        let maps: [[Int]] = (0..<rank).map { a in
            let n = shape[a], before = paddings[a][0]
            return (0..<outShape[a]).map { o in
                var s = o - before
                if s >= 0 && s < n { return s }
                switch mode {
                case .constant: return -1
                case .reflect: s = s < 0 ? -s : 2 * n - 2 - s
                case .symmetric: s = s < 0 ? -s - 1 : 2 * n - 1 - s
                }
                return s
            }
        }
        let sources = sourceOffsets(maps: maps, outShape: outShape)
        var out = Tensor(uninitializedShape: outShape)
        for (o, s) in sources.enumerated() { out.storage.pointer[o] = s < 0 ? value : pointer[s] }
        let inShape = shape
        return Tensor.record(out, [self]) { g in
            var dx = Tensor.zeros(inShape)
            for (o, s) in sources.enumerated() where s >= 0 { dx.storage.pointer[s] += g.pointer[o] }
            return [dx]
        }
    }

    /// Flat source offsets of every output element, from one source-coordinate map per axis (-1: none).
    func sourceOffsets(maps: [[Int]], outShape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        var result = [0]
        for a in 0..<rank {
            var next: [Int] = []
            next.reserveCapacity(result.count * outShape[a])
            for base in result {
                for c in maps[a] { next.append(base < 0 || c < 0 ? -1 : base + c * strides[a]) }
            }
            result = next
        }
        return result
    }
}
