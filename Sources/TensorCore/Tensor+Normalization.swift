import Foundation
import GessoKernels

extension Tensor {
    /// Normalises x viewed as `[groups, rows, channels]` with statistics per (group, channel) over the rows,
    /// then scales by gamma and shifts by beta (both `[channels]`). Returns y and the statistics
    /// (`[groups, channels]` each; variance biased, as TensorFlow's moments).
    static func normalize(_ x: Tensor, gamma: Tensor, beta: Tensor, groups: Int, epsilon: Float, op: String)
        -> (y: Tensor, mean: Tensor, variance: Tensor) {
        let channels = x.shape.last ?? 1
        precondition(gamma.shape == [channels] && beta.shape == [channels],
                     "\(op): gamma \(describe(gamma.shape)) and beta \(describe(beta.shape)) must both be [\(channels)] " +
                     "for input \(describe(x.shape))")
        let rows = x.count / Swift.max(groups * channels, 1)
        precondition(rows > 0, "\(op): no elements to normalise over in \(describe(x.shape))")
        var mean = Tensor(uninitializedShape: [groups, channels]), variance = Tensor(uninitializedShape: [groups, channels])
        var y = Tensor(uninitializedShape: x.shape)
        let xp = x.pointer, yp = y.storage.pointer, gp = gamma.pointer, bp = beta.pointer
        for g in 0..<groups {
            let base = g * rows * channels
            columnMoments(xp + base, rows: rows, cols: channels, mean: mean.storage.pointer + g * channels,
                          variance: variance.storage.pointer + g * channels)
            var scale = [Float](repeating: 0, count: channels), shift = scale
            for c in 0..<channels {
                let inv = 1 / (variance.storage.pointer[g * channels + c] + epsilon).squareRoot()
                scale[c] = gp[c] * inv
                shift[c] = bp[c] - mean.storage.pointer[g * channels + c] * scale[c]
            }
            parallelChunks(rows, threshold: Swift.max(1, parallelThreshold / channels)) { s, e in
                for r in s..<e {
                    let o = base + r * channels
                    for c in 0..<channels { yp[o + c] = xp[o + c] * scale[c] + shift[c] }
                }
            }
        }
        let stats = (mean, variance)
        let out = record(y, [x, gamma, beta]) { dy in
            var dx = Tensor(uninitializedShape: x.shape)
            var dgamma = [Double](repeating: 0, count: channels), dbeta = dgamma
            let dyp = dy.pointer, dxp = dx.storage.pointer
            for g in 0..<groups {
                let base = g * rows * channels
                var sumDy = [Double](repeating: 0, count: channels), sumDyXhat = sumDy
                var inv = [Float](repeating: 0, count: channels), mu = inv
                for c in 0..<channels {
                    mu[c] = stats.0.pointer[g * channels + c]
                    inv[c] = 1 / (stats.1.pointer[g * channels + c] + epsilon).squareRoot()
                }
                for r in 0..<rows {
                    let o = base + r * channels
                    for c in 0..<channels {
                        let d = Double(dyp[o + c])
                        sumDy[c] += d
                        sumDyXhat[c] += d * Double((xp[o + c] - mu[c]) * inv[c])
                    }
                }
                var k1 = [Float](repeating: 0, count: channels), k2 = k1, k3 = k1
                for c in 0..<channels {
                    dgamma[c] += sumDyXhat[c]; dbeta[c] += sumDy[c]
                    // dx = gamma * inv / R * (R * dy - sum(dy) - xhat * sum(dy * xhat))
                    k1[c] = gp[c] * inv[c]
                    k2[c] = Float(sumDy[c] / Double(rows))
                    k3[c] = Float(sumDyXhat[c] / Double(rows))
                }
                parallelChunks(rows, threshold: Swift.max(1, parallelThreshold / channels)) { s, e in
                    for r in s..<e {
                        let o = base + r * channels
                        for c in 0..<channels {
                            let xhat = (xp[o + c] - mu[c]) * inv[c]
                            dxp[o + c] = k1[c] * (dyp[o + c] - k2[c] - xhat * k3[c])
                        }
                    }
                }
            }
            return [dx, Tensor(shape: [channels], scalars: dgamma.map(Float.init)),
                    Tensor(shape: [channels], scalars: dbeta.map(Float.init))]
        }
        return (out, mean, variance)
    }
}
