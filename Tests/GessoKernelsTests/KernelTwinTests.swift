import Testing
@testable import GessoKernels

/// Every fast kernel against its naive twin (Sources/GessoKernels/Reference) over awkward shapes.
///
/// Tolerance: |fast - naive| <= 1e-4 + 1e-4 |naive|. Inputs are uniform in [-1, 1]; the naive twins sum in
/// Double, the fast ones in float32 in their own order, so the difference is float32 rounding of sums of at
/// most a few hundred products of order 1: about 1e-5.
struct KernelTwinTests {
    /// A seeded uniform [-1, 1) buffer (a tiny LCG keeps this target free of the tensor core).
    static func randomBuffer(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: s >> 11) % 2_000_001) / 1_000_000 - 1
        }
    }

    static func expectClose(_ got: [Float], _ want: [Float], _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(what): \(got.count) elements vs \(want.count)", sourceLocation: sourceLocation)
        guard got.count == want.count else { return }
        var bad = 0, worst = 0
        for i in 0..<got.count where !(abs(got[i] - want[i]) <= 1e-4 + 1e-4 * abs(want[i])) {
            if bad == 0 || abs(got[i] - want[i]) > abs(got[worst] - want[worst]) { worst = i }
            bad += 1
        }
        #expect(bad == 0, "\(what): \(bad) elements differ; worst at \(worst): \(bad > 0 ? got[worst] : 0) vs \(bad > 0 ? want[worst] : 0)",
                sourceLocation: sourceLocation)
    }

    /// (batch, h, w, inC, outC, kh, kw, stride, dilation, pads t/b/l/r, groups)
    static let convCases: [ConvGeometry] = {
        func make(_ n: Int, _ h: Int, _ w: Int, _ ci: Int, _ co: Int, _ kh: Int, _ kw: Int, _ s: Int, _ d: Int,
                  _ p: (Int, Int, Int, Int), groups: Int = 1) -> ConvGeometry {
            let oh = (h + p.0 + p.1 - ((kh - 1) * d + 1)) / s + 1
            let ow = (w + p.2 + p.3 - ((kw - 1) * d + 1)) / s + 1
            let strides = groups == 1 ? ConvGeometry.hwioStrides(kernelWidth: kw, inChannels: ci, outChannels: co)
                                      : ConvGeometry.depthwiseStrides(kernelWidth: kw, inChannels: ci, multiplier: co / ci)
            return ConvGeometry(batch: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow,
                                outChannels: co, kernelHeight: kh, kernelWidth: kw, strideHeight: s, strideWidth: s,
                                dilationHeight: d, dilationWidth: d, padTop: p.0, padBottom: p.1, padLeft: p.2,
                                padRight: p.3, groups: groups, weightStrides: strides)
        }
        return [
            make(1, 7, 5, 3, 4, 3, 3, 1, 1, (1, 1, 1, 1)),        // odd sizes, batch 1
            make(2, 9, 9, 2, 3, 2, 2, 3, 1, (0, 0, 0, 0)),        // stride > kernel
            make(2, 6, 7, 5, 6, 1, 1, 1, 1, (0, 0, 0, 0)),        // 1x1
            make(1, 8, 8, 3, 2, 3, 3, 2, 1, (0, 1, 0, 1)),        // SAME-style odd extra at bottom/right
            make(3, 10, 6, 2, 2, 3, 2, 1, 2, (2, 2, 1, 1)),       // dilation
            make(1, 5, 5, 1, 1, 5, 5, 1, 1, (0, 0, 0, 0)),        // kernel = image
            make(2, 9, 7, 4, 8, 3, 3, 2, 1, (1, 1, 1, 1), groups: 4),  // depthwise, multiplier 2
            make(1, 4, 4, 16, 32, 3, 3, 1, 1, (1, 1, 1, 1)),      // blocked-channel sizes
        ]
    }()

    @Test(arguments: convCases)
    func convolutionMatchesTwin(_ g: ConvGeometry) {
        let x = Self.randomBuffer(g.inputCount, seed: 1), w = Self.randomBuffer(g.weightCount, seed: 2)
        let dy = Self.randomBuffer(g.outputCount, seed: 3)
        var fast = [Float](repeating: 0, count: g.outputCount), slow = fast
        convForward(g, input: x, weights: w, weightsVersion: 0, output: &fast)
        referenceConvForward(g, input: x, weights: w, output: &slow)
        Self.expectClose(fast, slow, "forward \(g)")

        var dxFast = [Float](repeating: 0, count: g.inputCount), dxSlow = dxFast
        convBackwardData(g, outputGradient: dy, weights: w, inputGradient: &dxFast)
        referenceConvBackwardData(g, outputGradient: dy, weights: w, inputGradient: &dxSlow)
        Self.expectClose(dxFast, dxSlow, "backward data \(g)")

        var dwFast = [Float](repeating: 0, count: g.weightCount), dwSlow = dwFast
        convBackwardWeights(g, input: x, outputGradient: dy, weightsGradient: &dwFast)
        referenceConvBackwardWeights(g, input: x, outputGradient: dy, weightsGradient: &dwSlow)
        Self.expectClose(dwFast, dwSlow, "backward weights \(g)")
    }

    @Test func reorderedWeightsFollowTheirVersion() {
        let g = Self.convCases[7]
        let x = Self.randomBuffer(g.inputCount, seed: 4)
        var w = Self.randomBuffer(g.weightCount, seed: 5)
        var y1 = [Float](repeating: 0, count: g.outputCount), y2 = y1, want = y1
        convForward(g, input: x, weights: w, weightsVersion: 1000, output: &y1)
        for i in w.indices { w[i] *= -2 }
        convForward(g, input: x, weights: w, weightsVersion: 1001, output: &y2)  // changed: must be re-read
        referenceConvForward(g, input: x, weights: w, output: &want)
        Self.expectClose(y2, want, "after a weight change")
        #expect(zip(y1, y2).contains { $0 != $1 })
    }

    static let poolCases: [PoolGeometry] = {
        var cases: [PoolGeometry] = []
        for kind in [PoolGeometry.Kind.max, .average] {
            cases.append(PoolGeometry(kind: kind, batch: 1, inHeight: 5, inWidth: 7, channels: 3, outHeight: 3, outWidth: 4,
                                      kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2,
                                      padTop: 0, padBottom: 1, padLeft: 0, padRight: 1))       // SAME, odd sizes
            cases.append(PoolGeometry(kind: kind, batch: 2, inHeight: 9, inWidth: 9, channels: 2, outHeight: 3, outWidth: 3,
                                      kernelHeight: 2, kernelWidth: 2, strideHeight: 3, strideWidth: 3))  // stride > window
            cases.append(PoolGeometry(kind: kind, batch: 2, inHeight: 6, inWidth: 6, channels: 17, outHeight: 3, outWidth: 3,
                                      kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2,
                                      padTop: 0, padBottom: 1, padLeft: 0, padRight: 1))
            cases.append(PoolGeometry(kind: kind, batch: 1, inHeight: 4, inWidth: 4, channels: 1, outHeight: 4, outWidth: 4,
                                      kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1))  // 1x1
        }
        return cases
    }()

    /// Gesso's pooling kernels and oneDNN's, both against the naive twin.
    @Test(arguments: poolCases)
    func poolingMatchesTwin(_ g: PoolGeometry) {
        let x = Self.randomBuffer(g.inputCount, seed: 6), dy = Self.randomBuffer(g.outputCount, seed: 7)
        var slow = [Float](repeating: 0, count: g.outputCount), dxSlow = [Float](repeating: 0, count: g.inputCount)
        referencePoolForward(g, input: x, output: &slow, workspace: nil)
        x.withUnsafeBufferPointer { xb in
            referencePoolBackward(g, outputGradient: dy, workspace: UnsafeRawPointer(xb.baseAddress!), inputGradient: &dxSlow)
        }
        typealias Forward = (PoolGeometry, UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutableRawPointer?) -> Void
        typealias Backward = (PoolGeometry, UnsafePointer<Float>, UnsafeRawPointer?, UnsafeMutablePointer<Float>) -> Void
        let paths: [(String, Int, Forward, Backward)] = [
            ("gesso", g.workspaceByteCount, { poolForward($0, input: $1, output: $2, workspace: $3) },
             { poolBackward($0, outputGradient: $1, workspace: $2, inputGradient: $3) }),
            ("oneDNN", g.dnnlWorkspaceByteCount, { dnnlPoolForward($0, input: $1, output: $2, workspace: $3) },
             { dnnlPoolBackward($0, outputGradient: $1, workspace: $2, inputGradient: $3) }),
        ]
        for (name, wsBytes, forward, backward) in paths {
            let ws = UnsafeMutableRawPointer.allocate(byteCount: max(wsBytes, 1), alignment: 64)
            defer { ws.deallocate() }
            var fast = [Float](repeating: 0, count: g.outputCount)
            forward(g, x, &fast, g.kind == .max ? ws : nil)
            Self.expectClose(fast, slow, "\(name) forward \(g)")
            var dxFast = [Float](repeating: 1, count: g.inputCount)  // not zero: the kernel must clear it
            backward(g, dy, g.kind == .max ? UnsafeRawPointer(ws) : nil, &dxFast)
            Self.expectClose(dxFast, dxSlow, "\(name) backward \(g)")
        }
    }

    @Test func poolingSplitAcrossSamplesMatchesTwin() {
        // Enough samples that the kernel runs on both cores (input > 64K elements).
        let g = PoolGeometry(kind: .max, batch: 9, inHeight: 33, inWidth: 31, channels: 24, outHeight: 17, outWidth: 16,
                             kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2, padBottom: 1, padRight: 1)
        let x = Self.randomBuffer(g.inputCount, seed: 18), dy = Self.randomBuffer(g.outputCount, seed: 19)
        var fast = [Float](repeating: 0, count: g.outputCount), slow = fast
        var dxFast = [Float](repeating: 0, count: g.inputCount), dxSlow = dxFast
        let ws = UnsafeMutableRawPointer.allocate(byteCount: g.workspaceByteCount, alignment: 64)
        defer { ws.deallocate() }
        poolForward(g, input: x, output: &fast, workspace: ws)
        poolBackward(g, outputGradient: dy, workspace: ws, inputGradient: &dxFast)
        referencePoolForward(g, input: x, output: &slow, workspace: nil)
        x.withUnsafeBufferPointer { xb in
            referencePoolBackward(g, outputGradient: dy, workspace: UnsafeRawPointer(xb.baseAddress!), inputGradient: &dxSlow)
        }
        Self.expectClose(fast, slow, "forward")
        Self.expectClose(dxFast, dxSlow, "backward")
    }

    @Test(arguments: [(1, 1, 1, false, false), (3, 5, 7, false, true), (17, 2, 33, true, false), (8, 9, 1, true, true)])
    func matmulMatchesTwin(_ m: Int, _ n: Int, _ k: Int, _ ta: Bool, _ tb: Bool) {
        let a = Self.randomBuffer(m * k, seed: 8), b = Self.randomBuffer(k * n, seed: 9)
        var fast = [Float](repeating: 0, count: m * n), slow = fast
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
            let ao = MatrixOperand.rowMajor(ap.baseAddress!, cols: ta ? m : k, transposed: ta)
            let bo = MatrixOperand.rowMajor(bp.baseAddress!, cols: tb ? k : n, transposed: tb)
            matmul(m: m, n: n, k: k, ao, bo, &fast)
            referenceMatmul(m: m, n: n, k: k, ao, bo, &slow)
        } }
        Self.expectClose(fast, slow, "matmul \(m)x\(k) * \(k)x\(n) ta \(ta) tb \(tb)")
    }

    /// Lengths around the vector widths and the parallel threshold (so the split across cores is exercised).
    static let lengths = [1, 7, 16, 33, parallelThreshold + 5]

    @Test(arguments: [UnaryOp.relu, .relu6, .leakyRelu, .elu, .tanh, .sigmoid, .exp, .log, .neg, .square, .sqrt, .abs, .sign])
    func unaryMatchesTwin(_ op: UnaryOp) {
        for n in Self.lengths {
            // Inputs in [-8, 8] (log and sqrt get |x| + 0.1), so relu6's clip and sigmoid's tails are reached.
            var x = Self.randomBuffer(n, seed: 10).map { $0 * 8 }
            if op == .log || op == .sqrt { x = x.map { abs($0) + 0.1 } }
            let dy = Self.randomBuffer(n, seed: 11)
            var fast = [Float](repeating: 0, count: n), slow = fast
            unary(op, x, alpha: 0.3, &fast, count: n)
            referenceUnary(op, x, alpha: 0.3, &slow, count: n)
            Self.expectClose(fast, slow, "\(op) forward n=\(n)")
            var dFast = [Float](repeating: 0, count: n), dSlow = dFast
            unaryBackward(op, x: x, y: fast, dy: dy, alpha: 0.3, dx: &dFast, count: n)
            referenceUnaryBackward(op, x: x, y: slow, dy: dy, alpha: 0.3, dx: &dSlow, count: n)
            Self.expectClose(dFast, dSlow, "\(op) backward n=\(n)")
        }
    }

    @Test(arguments: [BinaryOp.add, .sub, .mul, .div, .max, .min])
    func binaryMatchesTwin(_ op: BinaryOp) {
        for n in Self.lengths {
            let a = Self.randomBuffer(n, seed: 12), b = Self.randomBuffer(n, seed: 13).map { $0 + 2 }
            var fast = [Float](repeating: 0, count: n), slow = fast
            binary(op, a, b, &fast, count: n)
            referenceBinary(op, a, b, &slow, count: n)
            Self.expectClose(fast, slow, "\(op) n=\(n)")
            for left in [false, true] {
                binaryScalar(op, b, 1.5, scalarOnLeft: left, &fast, count: n)
                referenceBinaryScalar(op, b, 1.5, scalarOnLeft: left, &slow, count: n)
                Self.expectClose(fast, slow, "\(op) scalar left=\(left) n=\(n)")
            }
        }
        for (rows, cols) in [(1, 1), (3, 7), (257, 3), (parallelThreshold / 4 + 1, 5)] {
            let a = Self.randomBuffer(rows * cols, seed: 14), b = Self.randomBuffer(cols, seed: 15).map { $0 + 2 }
            var fast = [Float](repeating: 0, count: rows * cols), slow = fast
            binaryRows(op, a, b, &fast, rows: rows, cols: cols)
            referenceBinaryRows(op, a, b, &slow, rows: rows, cols: cols)
            Self.expectClose(fast, slow, "\(op) rows \(rows)x\(cols)")
        }
    }

    @Test func reductionsMatchTwins() {
        for (rows, cols) in [(1, 1), (5, 3), (300, 17), (1000, 64)] {
            let x = Self.randomBuffer(rows * cols, seed: 16)
            var fast = [Float](repeating: 0, count: cols), slow = fast
            columnSums(x, rows: rows, cols: cols, &fast)
            referenceColumnSums(x, rows: rows, cols: cols, &slow)
            Self.expectClose(fast, slow, "column sums \(rows)x\(cols)")
            var m1 = fast, v1 = fast, m2 = fast, v2 = fast
            columnMoments(x, rows: rows, cols: cols, mean: &m1, variance: &v1)
            referenceColumnMoments(x, rows: rows, cols: cols, mean: &m2, variance: &v2)
            Self.expectClose(m1, m2, "means \(rows)x\(cols)")
            Self.expectClose(v1, v2, "variances \(rows)x\(cols)")
            let total = sum(x, count: x.count), want = referenceSum(x, count: x.count)
            #expect(abs(total - want) <= 1e-4 + 1e-6 * abs(want), "sum of \(x.count): \(total) vs \(want)")
            var y1 = Self.randomBuffer(rows * cols, seed: 17), y2 = y1
            axpy(0.5, x, &y1, count: x.count)
            referenceAxpy(0.5, x, &y2, count: x.count)
            Self.expectClose(y1, y2, "axpy \(x.count)")
        }
    }

    @Test func normalisationKernelsMatchTwins() {
        for (rows, cols) in [(1, 1), (7, 3), (300, 17), (parallelThreshold / 16 + 3, 32)] {
            let x = Self.randomBuffer(rows * cols, seed: 20), dy = Self.randomBuffer(rows * cols, seed: 21)
            let mean = Self.randomBuffer(cols, seed: 22), inv = Self.randomBuffer(cols, seed: 23).map { abs($0) + 0.5 }
            let k1 = Self.randomBuffer(cols, seed: 24), k2 = Self.randomBuffer(cols, seed: 25), k3 = Self.randomBuffer(cols, seed: 26)
            var fast = [Float](repeating: 0, count: rows * cols), slow = fast
            scaleShiftRows(x, scale: k1, shift: k2, &fast, rows: rows, cols: cols)
            referenceScaleShiftRows(x, scale: k1, shift: k2, &slow, rows: rows, cols: cols)
            Self.expectClose(fast, slow, "scale-shift \(rows)x\(cols)")
            var a1 = [Double](repeating: 0, count: cols), b1 = a1, a2 = a1, b2 = a1
            normalizationBackwardSums(x: x, dy: dy, mean: mean, inverseStd: inv, rows: rows, cols: cols, sumDy: &a1, sumDyXhat: &b1)
            referenceNormalizationBackwardSums(x: x, dy: dy, mean: mean, inverseStd: inv, rows: rows, cols: cols, sumDy: &a2, sumDyXhat: &b2)
            Self.expectClose(a1.map(Float.init), a2.map(Float.init), "sum dy \(rows)x\(cols)")
            Self.expectClose(b1.map(Float.init), b2.map(Float.init), "sum dy xhat \(rows)x\(cols)")
            normalizationBackwardInput(x: x, dy: dy, mean: mean, inverseStd: inv, k1: k1, k2: k2, k3: k3, dx: &fast, rows: rows, cols: cols)
            referenceNormalizationBackwardInput(x: x, dy: dy, mean: mean, inverseStd: inv, k1: k1, k2: k2, k3: k3, dx: &slow,
                                                rows: rows, cols: cols)
            Self.expectClose(fast, slow, "dx \(rows)x\(cols)")
        }
    }
}
