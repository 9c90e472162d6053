import Foundation

/// Interpolation of `resize`.
public enum ResizeMethod: String, Sendable {
    case nearest, bilinear
}

extension Tensor {
    /// `tf.image.resize(images, size, method)` over NHWC images with half-pixel centres (TensorFlow 2's only
    /// mode): output pixel o samples input position (o + 0.5) * in / out - 0.5.
    public func resized(to size: [Int], method: ResizeMethod) -> Tensor {
        precondition(rank == 4 && size.count == 2 && size.allSatisfy { $0 > 0 },
                     "resize: needs NHWC images and a [height, width] size, got shape \(describe(shape)) and size \(size)")
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let (oh, ow) = (size[0], size[1])
        // Per output row/column: two source indices and the weight of the second.
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            let scale = Float(inSize) / Float(outSize)
            return (0..<outSize).map { o in
                switch method {
                case .nearest:
                    let s = Swift.min(Int(Foundation.floor((Float(o) + 0.5) * scale)), inSize - 1)
                    return (s, s, 0)
                case .bilinear:
                    let p = (Float(o) + 0.5) * scale - 0.5
                    let f = Foundation.floor(p)
                    let lo = Swift.max(Int(f), 0), hi = Swift.min(Int(Foundation.ceil(p)), inSize - 1)
                    return (lo, hi, p - f)
                }
            }
        }
        let ys = taps(oh, h), xs = taps(ow, w)
        var out = Tensor(uninitializedShape: [n, oh, ow, c])
        let x = pointer, y = out.storage.pointer
        for b in 0..<n { for (oy, (y0, y1, ly)) in ys.enumerated() { for (ox, (x0, x1, lx)) in xs.enumerated() {
            let o = ((b * oh + oy) * ow + ox) * c
            let p00 = ((b * h + y0) * w + x0) * c, p01 = ((b * h + y0) * w + x1) * c
            let p10 = ((b * h + y1) * w + x0) * c, p11 = ((b * h + y1) * w + x1) * c
            for ch in 0..<c {
                let top = x[p00 + ch] + (x[p01 + ch] - x[p00 + ch]) * lx
                let bottom = x[p10 + ch] + (x[p11 + ch] - x[p10 + ch]) * lx
                y[o + ch] = top + (bottom - top) * ly
            }
        } } }
        let inShape = shape
        return Tensor.record(out, [self]) { g in
            var dx = Tensor.zeros(inShape)
            let d = dx.storage.pointer, gp = g.pointer
            for b in 0..<n { for (oy, (y0, y1, ly)) in ys.enumerated() { for (ox, (x0, x1, lx)) in xs.enumerated() {
                let o = ((b * oh + oy) * ow + ox) * c
                let p00 = ((b * h + y0) * w + x0) * c, p01 = ((b * h + y0) * w + x1) * c
                let p10 = ((b * h + y1) * w + x0) * c, p11 = ((b * h + y1) * w + x1) * c
                for ch in 0..<c {
                    let v = gp[o + ch]
                    d[p00 + ch] += v * (1 - ly) * (1 - lx)
                    d[p01 + ch] += v * (1 - ly) * lx
                    d[p10 + ch] += v * ly * (1 - lx)
                    d[p11 + ch] += v * ly * lx
                }
            } } }
            return [dx]
        }
    }
}
