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
        var inv = [Float](repeating: 0, count: groups * channels)
        for g in 0..<groups {
            let base = g * rows * channels
            columnMoments(xp + base, rows: rows, cols: channels, mean: mean.storage.pointer + g * channels,
                          variance: variance.storage.pointer + g * channels)
            var scale = [Float](repeating: 0, count: channels), shift = scale
            for c in 0..<channels {
                inv[g * channels + c] = 1 / (variance.storage.pointer[g * channels + c] + epsilon).squareRoot()
                scale[c] = gp[c] * inv[g * channels + c]
                shift[c] = bp[c] - mean.storage.pointer[g * channels + c] * scale[c]
            }
            scaleShiftRows(xp + base, scale: scale, shift: shift, yp + base, rows: rows, cols: channels)
        }
        let stats = mean, inverseStd = inv
        let out = record(y, [x, gamma, beta]) { dy in
            var dx = Tensor(uninitializedShape: x.shape)
            var dgamma = [Double](repeating: 0, count: channels), dbeta = dgamma
            var sumDy = [Double](repeating: 0, count: channels), sumDyXhat = sumDy
            var k1 = [Float](repeating: 0, count: channels), k2 = k1, k3 = k1
            for g in 0..<groups {
                let base = g * rows * channels, mu = stats.pointer + g * channels
                inverseStd.withUnsafeBufferPointer { invp in
                    let iv = invp.baseAddress! + g * channels
                    normalizationBackwardSums(x: xp + base, dy: dy.pointer + base, mean: mu, inverseStd: iv, rows: rows,
                                              cols: channels, sumDy: &sumDy, sumDyXhat: &sumDyXhat)
                    for c in 0..<channels {
                        dgamma[c] += sumDyXhat[c]; dbeta[c] += sumDy[c]
                        // dx = gamma * inv / R * (R * dy - sum(dy) - xhat * sum(dy * xhat))
                        k1[c] = gp[c] * iv[c]
                        k2[c] = Float(sumDy[c] / Double(rows))
                        k3[c] = Float(sumDyXhat[c] / Double(rows))
                    }
                    normalizationBackwardInput(x: xp + base, dy: dy.pointer + base, mean: mu, inverseStd: iv, k1: k1, k2: k2,
                                               k3: k3, dx: dx.storage.pointer + base, rows: rows, cols: channels)
                }
            }
            return [dx, Tensor(shape: [channels], scalars: dgamma.map(Float.init)),
                    Tensor(shape: [channels], scalars: dbeta.map(Float.init))]
        }
        return (out, mean, variance)
    }
}
