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

    /// Bytes the forward pass of a max pool must keep for its backward pass (0 for average pooling).
    public var workspaceByteCount: Int {
        var d = c
        return Int(gesso_pool_workspace_size(&d))
    }
}

/// Pooling forward on oneDNN. `workspace` (of `workspaceByteCount` bytes) is filled for the backward pass of
/// a max pool; pass nil for inference.
public func poolForward(_ g: PoolGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutableRawPointer?) {
    var d = g.c
    checkDNNL(gesso_pool_forward(&d, input, output, workspace), "poolForward \(g)")
}

/// Pooling backward on oneDNN: dx from dy (and, for max, the forward pass's workspace).
public func poolBackward(_ g: PoolGeometry, outputGradient: UnsafePointer<Float>, workspace: UnsafeRawPointer?,
                         inputGradient: UnsafeMutablePointer<Float>) {
    var d = g.c
    checkDNNL(gesso_pool_backward(&d, outputGradient, workspace, inputGradient), "poolBackward \(g)")
}
