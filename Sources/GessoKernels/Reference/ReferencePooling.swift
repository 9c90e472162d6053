/// Naive twins of the oneDNN pooling: same signatures as `poolForward` and `poolBackward`.
/// The max pool's "workspace" here is unused: the backward pass finds each window's first maximum again,
/// as TensorFlow's MaxPoolGrad does.

@inline(__always)
private func forEachWindow(_ g: PoolGeometry,
                           _ body: (_ outIndex: Int, _ taps: [Int]) -> Void) {
    for n in 0..<g.batch {
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
                for c in 0..<g.channels {
                    var taps: [Int] = []
                    for ky in 0..<g.kernelHeight {
                        let iy = oy * g.strideHeight + ky - g.padTop
                        if iy < 0 || iy >= g.inHeight { continue }
                        for kx in 0..<g.kernelWidth {
                            let ix = ox * g.strideWidth + kx - g.padLeft
                            if ix < 0 || ix >= g.inWidth { continue }
                            taps.append(((n * g.inHeight + iy) * g.inWidth + ix) * g.channels + c)
                        }
                    }
                    body(((n * g.outHeight + oy) * g.outWidth + ox) * g.channels + c, taps)
                }
            }
        }
    }
}

public func referencePoolForward(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                 workspace: UnsafeMutableRawPointer?) {
    forEachWindow(g) { o, taps in
        switch g.kind {
        case .max: output[o] = taps.map { input[$0] }.max() ?? 0
        case .average: output[o] = taps.isEmpty ? 0 : Float(taps.reduce(0.0) { $0 + Double(input[$1]) } / Double(taps.count))
        }
    }
}

/// For max pooling this twin needs the forward input: pass it as `workspace` (an UnsafePointer<Float>).
public func referencePoolBackward(_ g: PoolGeometry, outputGradient: UnsafePointer<Float>, workspace: UnsafeRawPointer?,
                                  inputGradient: UnsafeMutablePointer<Float>) {
    var acc = [Double](repeating: 0, count: g.inputCount)
    let input = workspace?.assumingMemoryBound(to: Float.self)
    forEachWindow(g) { o, taps in
        guard !taps.isEmpty else { return }
        switch g.kind {
        case .max:
            guard let input else { preconditionFailure("referencePoolBackward: max pooling needs the input as workspace") }
            var best = taps[0]
            for t in taps where input[t] > input[best] { best = t }
            acc[best] += Double(outputGradient[o])
        case .average:
            for t in taps { acc[t] += Double(outputGradient[o]) / Double(taps.count) }
        }
    }
    for j in 0..<acc.count { inputGradient[j] = Float(acc[j]) }
}
