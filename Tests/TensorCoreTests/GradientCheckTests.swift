import Foundation
import Testing
@testable import TensorCore

/// Finite-difference checks, for every op and option the TensorFlow reference set does not cover.
///
/// L(x) = sum(f(x) * r) with a fixed random r, accumulated in Double; the numerical derivative is the central
/// difference (L(x + h) - L(x - h)) / 2h with h = 1e-2 on float32 inputs. Its error is the truncation term
/// h^2/6 |f'''| (about 1e-5 for these smooth ops) plus float32 rounding of L, about 1e-7 |L| / h (about 1e-4
/// for |L| ~ 10): hence |analytic - numeric| <= 2e-3 + 2e-2 |numeric|. Inputs are kept away from kinks
/// (relu's 0, relu6's 6, abs's 0, ties of max) so the one-sided slopes do not mix in.
struct GradientCheckTests {
    static func check(_ name: String, _ inputs: [Tensor], atol: Double = 2e-3, rtol: Double = 2e-2,
                      sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
        var g = RandomGenerator(seed: 99)
        let tracked = inputs.map { $0.requiringGradient() }
        let y = f(tracked)
        let r = Tensor.randomUniform(y.shape, lower: -1, upper: 1, using: &g)
        let analytic = gradients(of: y, withRespectTo: tracked, seed: r)
        func loss(_ xs: [Tensor]) -> Double {
            let out = withoutGradients { f(xs) }
            return zip(out.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let h: Float = 1e-2
        for (i, x) in inputs.enumerated() {
            #expect(analytic[i].shape == x.shape, "\(name): gradient shape \(analytic[i].shape) for input \(x.shape)",
                    sourceLocation: sourceLocation)
            // Every element of small inputs, an even spread of 40 of large ones.
            let indices = x.count <= 40 ? Array(0..<x.count) : (0..<40).map { $0 * x.count / 40 }
            for j in indices {
                var plus = inputs, minus = inputs
                plus[i].withUnsafeMutableBufferPointer { $0[j] += h }
                minus[i].withUnsafeMutableBufferPointer { $0[j] -= h }
                let numeric = (loss(plus) - loss(minus)) / Double(2 * h)
                let got = Double(analytic[i].scalars[j])
                #expect(abs(got - numeric) <= atol + rtol * abs(numeric),
                        "\(name): d/d input \(i)[\(j)] analytic \(got), numeric \(numeric)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Uniform in [-1, 1), moved away from 0 by at least 0.1 (kinks of relu, abs, sign).
    static func input(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var g = RandomGenerator(seed: seed)
        let t = Tensor.randomUniform(shape, lower: -1, upper: 1, using: &g)
        return Tensor(shape: shape, scalars: t.scalars.map { ($0 < 0 ? $0 - 0.1 : $0 + 0.1) * scale })
    }

    @Test func activations() {
        Self.check("relu6", [Self.input([3, 5], seed: 1, scale: 8)]) { $0[0].relu6() }
        Self.check("exp", [Self.input([4, 3], seed: 2)]) { $0[0].exp() }
        Self.check("log", [Self.input([4, 3], seed: 3).abs() + 0.5]) { $0[0].log() }
        Self.check("sqrt", [Self.input([4, 3], seed: 4).abs() + 0.5]) { $0[0].squareRoot() }
        Self.check("square", [Self.input([7], seed: 5)]) { $0[0].squared() }
        Self.check("abs", [Self.input([7], seed: 6)]) { $0[0].abs() }
        Self.check("elu alpha 0.5", [Self.input([9], seed: 7)]) { $0[0].elu(alpha: 0.5) }
    }

    @Test func broadcastingArithmetic() {
        let a = Self.input([2, 3, 4], seed: 10), b = Self.input([3, 1], seed: 11), c = Self.input([4], seed: 12)
        Self.check("sub broadcast", [a, b]) { $0[0] - $0[1] }
        Self.check("div broadcast", [a, b.abs() + 1]) { $0[0] / $0[1] }
        Self.check("mul trailing", [a, c]) { $0[0] * $0[1] }
        Self.check("add scalar tensor", [a, Tensor(0.5)]) { $0[1] + $0[0] }
        Self.check("max/min", [a, Self.input([1, 3, 4], seed: 13) * 0.5]) { Tensor.maximum($0[0], $0[1]) - Tensor.minimum($0[0], $0[1]) * 2 }
        Self.check("used twice", [a]) { $0[0] * $0[0] + $0[0] }
    }

    @Test func reductionsAndShapes() {
        let x = Self.input([2, 3, 4], seed: 20)
        Self.check("sum middle axis", [x]) { $0[0].sum(alongAxes: [1]) }
        Self.check("sum last keepdims", [x]) { $0[0].sum(alongAxes: [-1], keepDims: true) }
        Self.check("mean all", [x]) { $0[0].mean() }
        Self.check("mean axes 0,2", [x]) { $0[0].mean(alongAxes: [0, 2]) }
        // Max needs elements further apart than h, or the difference straddles a change of argmax:
        // a fixed shuffle of -1.15, -1.05, ..., 1.15.
        let spaced = Tensor(shape: [2, 3, 4], scalars: (0..<24).map { Float(($0 * 7) % 24) * 0.1 - 1.15 })
        Self.check("max axis 1", [spaced]) { $0[0].max(alongAxes: [1]) }
        Self.check("max all keepdims", [spaced]) { $0[0].max(keepDims: true) }
        Self.check("max with a tie shares the gradient", [Tensor([1, 3, 3, 2])]) { $0[0].max() * 2 }
        Self.check("transpose", [x]) { $0[0].transposed([2, 0, 1]) }
        Self.check("reshape", [x]) { $0[0].reshaped(to: [4, -1]) * Self.input([4, 6], seed: 21) }
        Self.check("slice", [x]) { $0[0].slice(begin: [1, 0, 1], size: [1, -1, 2]) }
        Self.check("subscript and range", [x]) { $0[0][1] + $0[0][0..<1].reshaped(to: [3, 4]) }
        Self.check("concat axis 1", [x, Self.input([2, 2, 4], seed: 22)]) { Tensor.concatenate($0, alongAxis: 1) }
        Self.check("concat axis -1", [x, Self.input([2, 3, 1], seed: 23)]) { Tensor.concatenate($0, alongAxis: -1) }
        Self.check("pad constant 2.5", [x]) { $0[0].padded([[0, 1], [2, 0], [1, 1]], value: 2.5) }
        Self.check("pad reflect 1-D", [Self.input([5], seed: 24)]) { $0[0].padded([[3, 4]], mode: .reflect) }
        Self.check("pad symmetric 2-D", [Self.input([3, 2], seed: 25)]) { $0[0].padded([[3, 1], [2, 2]], mode: .symmetric) }
    }

    @Test func softmaxAlongOtherAxes() {
        let x = Self.input([3, 4, 2], seed: 30)
        Self.check("softmax axis 1", [x]) { $0[0].softmax(axis: 1) }
        Self.check("log_softmax axis 0", [x]) { $0[0].logSoftmax(axis: 0) }
        Self.check("softmax cross entropy, labels not normalised", [Self.input([3, 5], seed: 31)]) {
            nn.softmaxCrossEntropyWithLogits(labels: Self.input([3, 5], seed: 32).abs(), logits: $0[0])
        }
        Self.check("sigmoid cross entropy, both arguments", [Self.input([6], seed: 33).abs(), Self.input([6], seed: 34, scale: 3)]) {
            nn.sigmoidCrossEntropyWithLogits(labels: $0[0], logits: $0[1])
        }
    }

    @Test func convolutionsBeyondTheFixtures() {
        // depthwise with multiplier 2, dilation 2, VALID
        Self.check("depthwise multiplier 2 dilated", [Self.input([1, 7, 6, 3], seed: 40), Self.input([2, 2, 3, 2], seed: 41)]) {
            nn.depthwiseConv2d($0[0], $0[1], strides: [1, 1, 1, 1], padding: .valid, dilations: [1, 2, 2, 1])
        }
        // conv2d stride 3 > kernel 2, explicit asymmetric padding, 1x1 output channel
        Self.check("conv2d stride 3", [Self.input([2, 8, 7, 2], seed: 42), Self.input([2, 2, 2, 1], seed: 43)]) {
            nn.conv2d($0[0], $0[1], strides: [1, 3, 3, 1], padding: .explicit([[0, 0], [0, 2], [1, 0], [0, 0]]))
        }
        // conv2d_transpose with 5x5 kernel, stride 3, odd output size
        Self.check("conv2d_transpose stride 3", [Self.input([1, 3, 3, 2], seed: 44), Self.input([5, 5, 3, 2], seed: 45)]) {
            nn.conv2dTranspose($0[0], $0[1], outputShape: [1, 9, 8, 3], strides: [1, 3, 3, 1], padding: .same)
        }
        Self.check("matmul transposed", [Self.input([4, 3], seed: 46), Self.input([5, 4], seed: 47)]) {
            tf.matmul($0[0], $0[1], transposeA: true, transposeB: true)
        }
        Self.check("avg pool 3x3 stride 1 SAME", [Self.input([1, 4, 5, 2], seed: 48)]) {
            nn.avgPool($0[0], ksize: [1, 3, 3, 1], strides: [1, 1, 1, 1], padding: .same)
        }
    }

    @Test func normalisationAndResizing() {
        let x = Self.input([2, 3, 3, 4], seed: 50)
        let mean = Self.input([4], seed: 51), variance = Self.input([4], seed: 52).abs() + 0.5
        Self.check("batch_normalization (inference)", [x, Self.input([4], seed: 53), Self.input([4], seed: 54)]) {
            nn.batchNormalization($0[0], mean: mean, variance: variance, offset: $0[2], scale: $0[1], varianceEpsilon: 1e-3)
        }
        Self.check("moments", [x]) { xs in
            let m = nn.moments(xs[0], axes: [0, 1, 2])
            return Tensor.concatenate([m.mean, m.variance], alongAxis: 0)
        }
        Self.check("batch norm train, one row per channel group", [Self.input([5, 3], seed: 55), Tensor.ones([3]), Tensor.zeros([3])]) {
            nn.batchNormTraining($0[0], scale: $0[1], offset: $0[2], epsilon: 1e-3).y
        }
        Self.check("bilinear downscale 7x5 -> 3x4", [Self.input([1, 7, 5, 2], seed: 56)]) {
            $0[0].resized(to: [3, 4], method: .bilinear)
        }
        Self.check("bilinear upscale 2x3 -> 5x7", [Self.input([2, 2, 3, 1], seed: 57)]) {
            $0[0].resized(to: [5, 7], method: .bilinear)
        }
        Self.check("nearest 5x5 -> 3x8", [Self.input([1, 5, 5, 1], seed: 58)]) {
            $0[0].resized(to: [3, 8], method: .nearest)
        }
    }

    @Test func dropoutKeepsItsMaskInTheGradient() {
        var g = RandomGenerator(seed: 5)
        let x = Tensor.ones([1000]).requiringGradient()
        let y = nn.dropout(x, rate: 0.25, using: &g)
        let kept = y.scalars.filter { $0 != 0 }
        // Each element is kept with probability 0.75: 750 +- 3 standard deviations (sqrt(1000 * .75 * .25) = 13.7).
        #expect(abs(kept.count - 750) <= 41)
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) <= 1e-6 })
        let dx = gradients(of: y, withRespectTo: [x])[0]
        #expect(dx.scalars == y.scalars)
    }
}
