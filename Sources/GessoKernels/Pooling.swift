import CGessoKernels

/// The geometry of one 2-D pooling over NHWC: `[batch, inHeight, inWidth, channels]` ->
/// `[batch, outHeight, outWidth, channels]`. Max pooling never picks padding; average pooling divides by the
/// number of real (unpadded) elements in each window, as TensorFlow does.
public struct PoolGeometry: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case max, average }
    public var kind: Kind
    public var batch, inHeight, inWidth, channels, outHeight, outWidth: Int
    public var kernelHeight, kernelWidth, strideHeight, strideWidth: Int
    public var padTop, padBottom, padLeft, padRight: Int

    public init(kind: Kind, batch: Int, inHeight: Int, inWidth: Int, channels: Int, outHeight: Int, outWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0) {
        self.kind = kind; self.batch = batch; self.inHeight = inHeight; self.inWidth = inWidth
        self.channels = channels; self.outHeight = outHeight; self.outWidth = outWidth
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
    }

    public var inputCount: Int { batch * inHeight * inWidth * channels }
    public var outputCount: Int { batch * outHeight * outWidth * channels }

    public var description: String {
        "\(kind) pool [\(batch), \(inHeight), \(inWidth), \(channels)] -> [\(batch), \(outHeight), \(outWidth), " +
        "\(channels)] window \(kernelHeight)x\(kernelWidth) stride \(strideHeight)x\(strideWidth) " +
        "pad (\(padTop), \(padBottom), \(padLeft), \(padRight))"
    }

    var c: gesso_pool_desc {
        var d = gesso_pool_desc()
        d.batch = Int64(batch); d.in_h = Int64(inHeight); d.in_w = Int64(inWidth); d.channels = Int64(channels)
        d.out_h = Int64(outHeight); d.out_w = Int64(outWidth)
        d.kernel_h = Int64(kernelHeight); d.kernel_w = Int64(kernelWidth)
        d.stride_h = Int64(strideHeight); d.stride_w = Int64(strideWidth)
        d.pad_top = Int64(padTop); d.pad_bottom = Int64(padBottom)
        d.pad_left = Int64(padLeft); d.pad_right = Int64(padRight)
        d.is_max = kind == .max ? 1 : 0
        return d
    }

    /// Bytes the forward pass of a max pool must keep for its backward pass (0 for average pooling): an Int32
    /// per output element, the window tap of its maximum.
    public var workspaceByteCount: Int { kind == .max ? outputCount * 4 : 0 }

    /// Bytes oneDNN's max pool keeps between its passes (see `dnnlPoolForward`).
    public var dnnlWorkspaceByteCount: Int {
        var d = c
        return Int(gesso_pool_workspace_size(&d))
    }
}

/// Pooling forward with Gesso's own NHWC kernels (samples split across cores). `workspace`
/// (`workspaceByteCount` bytes) receives each max's window position for the backward pass; nil for inference.
///
/// Why not oneDNN: oneDNN 2.6 picked its `jit:avx2` pooling on this machine and ran the lecture's first pool
/// (32x80x80x32, fwd + bwd) in 24 ms, PyTorch in 6.7 ms; these loops take about 5 ms (docs/benchmarks.md).
/// oneDNN's path stays available as `dnnlPoolForward` for comparison.
public func poolForward(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutableRawPointer?) {
    let arg = workspace?.assumingMemoryBound(to: Int32.self)
    parallelChunks(g.batch, threshold: perSampleThreshold(g)) { b0, b1 in
        switch g.kind {
        case .max:
            gesso_max_pool_forward(input, output, arg, Int64(b0), Int64(b1), Int64(g.inHeight), Int64(g.inWidth),
                                   Int64(g.channels), Int64(g.outHeight), Int64(g.outWidth), Int64(g.kernelHeight),
                                   Int64(g.kernelWidth), Int64(g.strideHeight), Int64(g.strideWidth), Int64(g.padTop),
                                   Int64(g.padLeft))
        case .average:
            gesso_avg_pool_forward(input, output, Int64(b0), Int64(b1), Int64(g.inHeight), Int64(g.inWidth),
                                   Int64(g.channels), Int64(g.outHeight), Int64(g.outWidth), Int64(g.kernelHeight),
                                   Int64(g.kernelWidth), Int64(g.strideHeight), Int64(g.strideWidth), Int64(g.padTop),
                                   Int64(g.padLeft))
        }
    }
}

/// Pooling backward with Gesso's own kernels: dx from dy (and, for max, the forward pass's workspace).
public func poolBackward(_ g: PoolGeometry, outputGradient: UnsafePointer<Float>, workspace: UnsafeRawPointer?,
                         inputGradient: UnsafeMutablePointer<Float>) {
    parallelChunks(g.batch, threshold: perSampleThreshold(g)) { b0, b1 in
        switch g.kind {
        case .max:
            guard let arg = workspace?.assumingMemoryBound(to: Int32.self) else {
                preconditionFailure("poolBackward: a max pool's backward pass needs its forward workspace (\(g))")
            }
            gesso_max_pool_backward(outputGradient, arg, inputGradient, Int64(b0), Int64(b1), Int64(g.inHeight),
                                    Int64(g.inWidth), Int64(g.channels), Int64(g.outHeight), Int64(g.outWidth),
                                    Int64(g.kernelHeight), Int64(g.kernelWidth), Int64(g.strideHeight), Int64(g.strideWidth),
                                    Int64(g.padTop), Int64(g.padLeft))
        case .average:
            gesso_avg_pool_backward(outputGradient, inputGradient, Int64(b0), Int64(b1), Int64(g.inHeight),
                                    Int64(g.inWidth), Int64(g.channels), Int64(g.outHeight), Int64(g.outWidth),
                                    Int64(g.kernelHeight), Int64(g.kernelWidth), Int64(g.strideHeight),
                                    Int64(g.strideWidth), Int64(g.padTop), Int64(g.padLeft))
        }
    }
}

/// Samples below which pooling stays on one thread (about 64K input elements in all).
private func perSampleThreshold(_ g: PoolGeometry) -> Int {
    max(2, parallelThreshold / max(1, g.inHeight * g.inWidth * g.channels))
}

/// Pooling forward on oneDNN (kept as the benchmark's baseline). `workspace` has `dnnlWorkspaceByteCount` bytes.
public func dnnlPoolForward(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                            workspace: UnsafeMutableRawPointer?) {
    var d = g.c
    checkDNNL(gesso_pool_forward(&d, input, output, workspace), "poolForward \(g)")
}

/// Pooling backward on oneDNN, with the workspace of `dnnlPoolForward`.
public func dnnlPoolBackward(_ g: PoolGeometry, outputGradient: UnsafePointer<Float>, workspace: UnsafeRawPointer?,
                             inputGradient: UnsafeMutablePointer<Float>) {
    var d = g.c
    checkDNNL(gesso_pool_backward(&d, outputGradient, workspace, inputGradient), "poolBackward \(g)")
}
