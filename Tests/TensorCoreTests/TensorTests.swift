import Foundation
import Testing
@testable import TensorCore

struct TensorTests {
    @Test func valueSemanticsCopyOnWrite() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        var b = a
        b.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(a.scalars == [1, 2, 3, 4])
        #expect(b.scalars == [10, 2, 3, 4])
        #expect(a.version != b.version)
    }

    @Test func creationAndBroadcasting() {
        #expect(Tensor.zeros([2, 3]).scalars == [0, 0, 0, 0, 0, 0])
        #expect(Tensor(repeating: 7, shape: [3]).scalars == [7, 7, 7])
        #expect(broadcastShape([2, 1, 4], [3, 1], op: "t") == [2, 3, 4])
        let a = Tensor(shape: [2, 1], scalars: [1, 2]), b = Tensor([10, 20, 30])
        #expect((a + b).shape == [2, 3])
        #expect((a + b).scalars == [11, 21, 31, 12, 22, 32])
        #expect((b * 2).scalars == [20, 40, 60])
        #expect((1 - b).scalars == [-9, -19, -29])
        #expect(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).transposed.scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func indexingAndSlicing() {
        let x = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x[1].scalars == [3, 4])
        #expect(x[1..<3].scalars == [3, 4, 5, 6])
        #expect(x.slice(begin: [0, 1], size: [-1, 1]).scalars == [2, 4, 6])
        #expect(Tensor.concatenate([x, x], alongAxis: 1).scalars == [1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6])
    }

    @Test func seededRandomNumbers() {
        var g1 = RandomGenerator(seed: 42), g2 = RandomGenerator(seed: 42), g3 = RandomGenerator(seed: 43)
        let a = Tensor.randomNormal([1000], using: &g1), b = Tensor.randomNormal([1000], using: &g2)
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != Tensor.randomNormal([1000], using: &g3).scalars)

        var g = RandomGenerator(seed: 7)
        let u = Tensor.randomUniform([20000], lower: -2, upper: 3, using: &g).scalars
        #expect(u.allSatisfy { $0 >= -2 && $0 < 3 })
        // Mean of U(-2, 3) is 0.5, standard error 5 / sqrt(12 * 20000) = 0.0102; allow 4 of them.
        #expect(abs(u.reduce(0, +) / 20000 - 0.5) < 0.041)

        let n = Tensor.randomNormal([20000], mean: 1, standardDeviation: 2, using: &g).scalars
        let mean = n.reduce(0, +) / 20000
        let sd = (n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000).squareRoot()
        #expect(abs(mean - 1) < 0.06)    // standard error 2 / sqrt(20000) = 0.014
        #expect(abs(sd - 2) < 0.06)

        // Truncated normal: nothing beyond 2 standard deviations; its standard deviation is
        // 0.8796 sigma (the normal's restricted to [-2, 2]: sqrt(1 - 2 * 2 phi(2) / (2 Phi(2) - 1))).
        let t = Tensor.truncatedNormal([20000], standardDeviation: 0.1, using: &g).scalars
        #expect(t.allSatisfy { abs($0) <= 0.2 })
        let tsd = (t.map { $0 * $0 }.reduce(0, +) / 20000).squareRoot()
        #expect(abs(tsd - 0.08796) < 0.003)
    }

    @Test func npyRoundTripAndErrors() throws {
        let t = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 4, 5, 6])
        let back = try NumpyFile.decode(NumpyFile.encode(t))
        #expect(back.shape == [2, 3] && back.scalars == t.scalars)
        #expect(throws: NumpyFileError.self) { try NumpyFile.decode(Data("not numpy".utf8), path: "x.npy") }
        #expect(throws: NumpyFileError.self) { try NumpyFile.decode(NumpyFile.encode(t).prefix(100), path: "cut.npy") }
    }
}

struct AutodiffTests {
    @Test func accumulatesWhereATensorIsUsedTwice() {
        let x = Tensor([1, 2, 3])
        let (value, grads) = valueWithGradients(at: [x]) { v in (v[0] * v[0] + v[0] * 3).sum() }
        #expect(value.scalar == 1 + 4 + 9 + 18)
        #expect(grads[0].scalars == [5, 7, 9])  // d/dx (x^2 + 3x) = 2x + 3
    }

    @Test func gradientsOfUnusedVariablesAreZero() {
        let a = Tensor([1, 2]).requiringGradient(), b = Tensor([3]).requiringGradient()
        let grads = gradients(of: (a * 2).sum(), withRespectTo: [a, b])
        #expect(grads[0].scalars == [2, 2])
        #expect(grads[1].scalars == [0])
    }

    @Test func noGradientModeRecordsNothing() {
        let w = Tensor([1, 2]).requiringGradient()
        let y = withoutGradients { (w * 3).relu() }
        #expect(!y.isTracked)
        #expect((w * 3).isTracked)
        #expect(!(w.detached() * 3).isTracked)
    }

    /// 1,000 training steps of a small conv net: the number of live tensor buffers after each step must not
    /// grow (the tape is freed with the step's tensors; nothing accumulates globally).
    @Test func memoryStaysFlatOverAThousandSteps() {
        var g = RandomGenerator(seed: 1)
        var w = Tensor.truncatedNormal([3, 3, 1, 4], standardDeviation: 0.1, using: &g)
        var b = Tensor.zeros([4])
        var fc = Tensor.truncatedNormal([16, 2], standardDeviation: 0.1, using: &g)
        let x = Tensor.randomNormal([2, 4, 4, 1], using: &g), target = Tensor.randomNormal([2, 2], using: &g)
        var live: [Int] = []
        var firstLoss: Float = 0, lastLoss: Float = 0
        for step in 0..<1000 {
            let (loss, grads) = valueWithGradients(at: [w, b, fc]) { p in
                let h = nn.maxPool(nn.relu(nn.conv2d(x, p[0], strides: [1, 1, 1, 1], padding: .same) + p[1]),
                                   ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: .same)  // [2, 2, 2, 4]
                return losses.meanSquaredError(predictions: tf.matmul(h.reshaped(to: [2, 16]), p[2]), labels: target)
            }
            withoutGradients {
                w = w - grads[0] * 0.05; b = b - grads[1] * 0.05; fc = fc - grads[2] * 0.05
            }
            if step == 0 { firstLoss = loss.scalar }
            lastLoss = loss.scalar
            live.append(StorageCounter.liveBuffers)
        }
        #expect(lastLoss < firstLoss, "the loss should fall: \(firstLoss) -> \(lastLoss)")
        // Other tests run in parallel and allocate too (the counter is global), so compare this loop's own floor:
        // the fewest live buffers in steps 900-1,000 against the fewest in steps 10-100. A parallel test's passing
        // allocations lift single readings, not a window's minimum; a leak of one buffer a step would add 800.
        let early = live[10..<100].min()!, late = live[900..<1000].min()!
        #expect(late <= early + 50, "live buffers grew from \(early) to \(late)")
    }
}

struct InPlaceUpdateTests {
    @Test func addScaledUpdatesInPlaceAndRespectsCopies() {
        var w = Tensor([1, 2, 3])
        let copy = w
        w.addScaled(Tensor([10, 10, 10]), by: -0.5)
        #expect(w.scalars == [-4, -3, -2])
        #expect(copy.scalars == [1, 2, 3])  // copy-on-write: the other value is untouched
        #expect(!w.requiringGradient().detached().isTracked)
    }
}
