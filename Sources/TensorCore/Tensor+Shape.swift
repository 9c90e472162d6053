import GessoKernels

extension Tensor {
    /// The same elements under a new shape; one entry may be -1 (inferred), as in `tf.reshape`.
    public func reshaped(to newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0,
                         "reshape: cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
            s[i] = count / known
        }
        precondition(s.reduce(1, *) == count,
                     "reshape: cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
        let original = shape
        return Tensor.record(Tensor(shape: s, storage: storage), [self]) { g in [g.reshaped(to: original)] }
    }

    /// Axes reordered: output axis i is input axis `permutation[i]` (as `tf.transpose(x, perm)`).
    public func transposed(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank),
                     "transpose: permutation \(permutation) does not fit shape \(describe(shape))")
        let outShape = permutation.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = permutation.map { inStrides[$0] }
        var out = Tensor(uninitializedShape: outShape)
        copyStrided(from: pointer, strides: strides, shape: outShape, to: out.storage.pointer)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Tensor.record(out, [self]) { g in [g.transposed(inverse)] }
    }

    /// A 2-D transpose.
    public var transposed: Tensor {
        precondition(rank == 2, "transposed: needs a matrix, got shape \(describe(shape))")
        return transposed([1, 0])
    }

    /// The part `[begin, begin + size)` along every axis (`tf.slice`); a size of -1 runs to the end.
    public func slice(begin: [Int], size: [Int]) -> Tensor {
        precondition(begin.count == rank && size.count == rank,
                     "slice: begin \(begin) and size \(size) must each have \(rank) entries for shape \(describe(shape))")
        let sz = zip(zip(begin, size), shape).map { bs, d in bs.1 == -1 ? d - bs.0 : bs.1 }
        for a in 0..<rank {
            precondition(begin[a] >= 0 && sz[a] >= 0 && begin[a] + sz[a] <= shape[a],
                         "slice: begin \(begin) size \(size) is outside shape \(describe(shape))")
        }
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let offset = zip(begin, strides).map(*).reduce(0, +)
        var out = Tensor(uninitializedShape: sz)
        copyStrided(from: pointer + offset, strides: strides, shape: sz, to: out.storage.pointer)
        let original = shape
        return Tensor.record(out, [self]) { g in
            [g.padded(zip(begin, zip(original, sz)).map { b, os in [b, os.0 - b - os.1] }, mode: .constant)]
        }
    }

    /// Element `i` along the first axis (rank drops by one).
    public subscript(_ i: Int) -> Tensor {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "subscript: index \(i) outside shape \(describe(shape))")
        return slice(begin: [i] + [Int](repeating: 0, count: rank - 1), size: [1] + Array(shape.dropFirst()))
            .reshaped(to: Array(shape.dropFirst()))
    }

    /// Elements `range` along the first axis.
    public subscript(_ range: Range<Int>) -> Tensor {
        slice(begin: [range.lowerBound] + [Int](repeating: 0, count: rank - 1),
              size: [range.count] + Array(shape.dropFirst()))
    }

    /// Tensors joined along `axis` (`tf.concat`); all other axes must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors given")
        let first = tensors[0]
        let ax = axis < 0 ? axis + first.rank : axis
        for t in tensors {
            precondition(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == ax || t.shape[$0] == first.shape[$0] },
                         "concat: shapes \(describe(first.shape)) and \(describe(t.shape)) differ off axis \(axis)")
        }
        var outShape = first.shape
        outShape[ax] = tensors.map { $0.shape[ax] }.reduce(0, +)
        var out = Tensor(uninitializedShape: outShape)
        let outer = first.shape[..<ax].reduce(1, *)
        let inner = first.shape[(ax + 1)...].reduce(1, *)
        let rowOut = outShape[ax] * inner
        var offset = 0
        for t in tensors {
            let row = t.shape[ax] * inner
            for o in 0..<outer {
                (out.storage.pointer + o * rowOut + offset).update(from: t.pointer + o * row, count: row)
            }
            offset += row
        }
        let sizes = tensors.map { $0.shape[ax] }
        return record(out, tensors) { g in
            var start = 0
            return sizes.map { s in
                var begin = [Int](repeating: 0, count: g.rank), size = g.shape
                begin[ax] = start; size[ax] = s
                start += s
                return g.slice(begin: begin, size: size)
            }
        }
    }
}

/// Copies a strided view (`shape`, element `strides`, starting at `source`) into contiguous `destination`.
func copyStrided(from source: UnsafePointer<Float>, strides: [Int], shape: [Int], to destination: UnsafeMutablePointer<Float>) {
    let rank = shape.count
    let total = shape.reduce(1, *)
    if total == 0 { return }
    if rank == 0 { destination[0] = source[0]; return }
    let innerCount = shape[rank - 1], innerStride = strides[rank - 1]
    var index = [Int](repeating: 0, count: rank)
    var src = 0, dst = 0
    while dst < total {
        if innerStride == 1 {
            (destination + dst).update(from: source + src, count: innerCount)
        } else {
            for j in 0..<innerCount { destination[dst + j] = source[src + j * innerStride] }
        }
        dst += innerCount
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            src += strides[axis]
            if index[axis] < shape[axis] { break }
            src -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
        if axis < 0 { break }
    }
}
