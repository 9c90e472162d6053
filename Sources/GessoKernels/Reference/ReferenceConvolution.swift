/// Naive twins of the oneDNN convolutions: the definition, loop by loop, to check the fast path against.
/// Same signatures as `convForward`, `convBackwardData`, `convBackwardWeights`.

@inline(__always)
private func weightIndex(_ g: ConvGeometry, group: Int, out o: Int, in i: Int, kh: Int, kw: Int) -> Int {
    let s = g.weightStrides
    return group * s[0] + o * s[1] + i * s[2] + kh * s[3] + kw * s[4]
}

/// Visits every (output position, kernel tap) pair that reads a real input element.
@inline(__always)
private func forEachTap(_ g: ConvGeometry,
                        _ body: (_ inIndex: Int, _ outIndex: Int, _ weightIndex: Int) -> Void) {
    let inPerGroup = g.inChannels / g.groups, outPerGroup = g.outChannels / g.groups
    for n in 0..<g.batch {
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
                for oc in 0..<g.outChannels {
                    let group = oc / outPerGroup
                    let outIndex = ((n * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + oc
                    for ky in 0..<g.kernelHeight {
                        let iy = oy * g.strideHeight + ky * g.dilationHeight - g.padTop
                        if iy < 0 || iy >= g.inHeight { continue }
                        for kx in 0..<g.kernelWidth {
                            let ix = ox * g.strideWidth + kx * g.dilationWidth - g.padLeft
                            if ix < 0 || ix >= g.inWidth { continue }
                            for i in 0..<inPerGroup {
                                let ic = group * inPerGroup + i
                                let inIndex = ((n * g.inHeight + iy) * g.inWidth + ix) * g.inChannels + ic
                                body(inIndex, outIndex,
                                     weightIndex(g, group: group, out: oc % outPerGroup, in: i, kh: ky, kw: kx))
                            }
                        }
                    }
                }
            }
        }
    }
}

public func referenceConvForward(_ g: ConvGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                 weightsVersion: UInt64 = 0, output: UnsafeMutablePointer<Float>) {
    var acc = [Double](repeating: 0, count: g.outputCount)
    forEachTap(g) { i, o, w in acc[o] += Double(input[i]) * Double(weights[w]) }
    for j in 0..<acc.count { output[j] = Float(acc[j]) }
}

public func referenceConvBackwardData(_ g: ConvGeometry, outputGradient: UnsafePointer<Float>,
                                      weights: UnsafePointer<Float>, weightsVersion: UInt64 = 0,
                                      inputGradient: UnsafeMutablePointer<Float>) {
    var acc = [Double](repeating: 0, count: g.inputCount)
    forEachTap(g) { i, o, w in acc[i] += Double(outputGradient[o]) * Double(weights[w]) }
    for j in 0..<acc.count { inputGradient[j] = Float(acc[j]) }
}

public func referenceConvBackwardWeights(_ g: ConvGeometry, input: UnsafePointer<Float>,
                                         outputGradient: UnsafePointer<Float>,
                                         weightsGradient: UnsafeMutablePointer<Float>) {
    var acc = [Int: Double]()
    forEachTap(g) { i, o, w in acc[w, default: 0] += Double(input[i]) * Double(outputGradient[o]) }
    // Every weight element is written, also those no real input reaches (zero).
    let inPerGroup = g.inChannels / g.groups, outPerGroup = g.outChannels / g.groups
    for group in 0..<g.groups { for o in 0..<outPerGroup { for i in 0..<inPerGroup {
        for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
            let w = weightIndex(g, group: group, out: o, in: i, kh: ky, kw: kx)
            weightsGradient[w] = Float(acc[w] ?? 0)
        } }
    } } }
}
