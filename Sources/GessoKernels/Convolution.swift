import CGessoKernels

/// The geometry of one 2-D convolution over NHWC activations.
///
/// Input `[batch, inHeight, inWidth, inChannels]` -> output `[batch, outHeight, outWidth, outChannels]`.
/// Weights are read through `weightStrides`, given in oneDNN's logical order
/// `[groups, outChannels/groups, inChannels/groups, kernelHeight, kernelWidth]`, so any of TensorFlow's filter
/// layouts is used where it lies. Dilation 1 is a dense kernel (TensorFlow's convention).
public struct ConvGeometry: Hashable, Sendable, CustomStringConvertible {
    public var batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels: Int
    public var kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth: Int
    public var padTop, padBottom, padLeft, padRight: Int
    public var groups: Int
    public var weightStrides: [Int]

    public init(batch: Int, inHeight: Int, inWidth: Int, inChannels: Int, outHeight: Int, outWidth: Int,
                outChannels: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                dilationHeight: Int = 1, dilationWidth: Int = 1, padTop: Int = 0, padBottom: Int = 0,
                padLeft: Int = 0, padRight: Int = 0, groups: Int = 1, weightStrides: [Int]) {
        precondition(weightStrides.count == 5, "ConvGeometry: weightStrides needs 5 entries, got \(weightStrides)")
        self.batch = batch; self.inHeight = inHeight; self.inWidth = inWidth; self.inChannels = inChannels
        self.outHeight = outHeight; self.outWidth = outWidth; self.outChannels = outChannels
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
        self.groups = groups; self.weightStrides = weightStrides
    }

    /// Strides of a TensorFlow HWIO filter `[kh, kw, in, out]` (conv2d).
    public static func hwioStrides(kernelWidth: Int, inChannels: Int, outChannels: Int) -> [Int] {
        [0, 1, outChannels, kernelWidth * inChannels * outChannels, inChannels * outChannels]
    }

    /// Strides of a TensorFlow depthwise filter `[kh, kw, in, multiplier]` as groups = in.
    public static func depthwiseStrides(kernelWidth: Int, inChannels: Int, multiplier: Int) -> [Int] {
        [multiplier, 1, 1, kernelWidth * inChannels * multiplier, inChannels * multiplier]
    }

    public var inputCount: Int { batch * inHeight * inWidth * inChannels }
    public var outputCount: Int { batch * outHeight * outWidth * outChannels }
    public var weightCount: Int { outChannels * (inChannels / groups) * kernelHeight * kernelWidth }
    /// Multiply-adds of one forward pass, times two.
    public var flops: Double { 2.0 * Double(outputCount) * Double(inChannels / groups * kernelHeight * kernelWidth) }

    public var description: String {
        "conv [\(batch), \(inHeight), \(inWidth), \(inChannels)] -> [\(batch), \(outHeight), \(outWidth), " +
        "\(outChannels)] kernel \(kernelHeight)x\(kernelWidth) stride \(strideHeight)x\(strideWidth) " +
        "dilation \(dilationHeight)x\(dilationWidth) pad (\(padTop), \(padBottom), \(padLeft), \(padRight)) " +
        "groups \(groups)"
    }

    var c: gesso_conv_desc {
        var d = gesso_conv_desc()
        d.batch = Int64(batch); d.in_h = Int64(inHeight); d.in_w = Int64(inWidth); d.in_c = Int64(inChannels)
        d.out_h = Int64(outHeight); d.out_w = Int64(outWidth); d.out_c = Int64(outChannels)
        d.kernel_h = Int64(kernelHeight); d.kernel_w = Int64(kernelWidth)
        d.stride_h = Int64(strideHeight); d.stride_w = Int64(strideWidth)
        d.dilation_h = Int64(dilationHeight); d.dilation_w = Int64(dilationWidth)
        d.pad_top = Int64(padTop); d.pad_bottom = Int64(padBottom)
        d.pad_left = Int64(padLeft); d.pad_right = Int64(padRight)
        d.groups = Int64(groups)
        d.weight_strides = (Int64(weightStrides[0]), Int64(weightStrides[1]), Int64(weightStrides[2]),
                            Int64(weightStrides[3]), Int64(weightStrides[4]))
        return d
    }
}

func checkDNNL(_ rc: Int32, _ what: @autoclosure () -> String) {
    if rc != 0 {
        preconditionFailure("\(what()): \(String(cString: gesso_dnnl_last_error()))")
    }
}

/// y = conv(x, w) on oneDNN. `weightsVersion` names the weights' contents (0: unknown); while it stays the
/// same, the weights reordered into oneDNN's layout are reused.
public func convForward(_ g: ConvGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                        weightsVersion: UInt64 = 0, output: UnsafeMutablePointer<Float>) {
    var d = g.c
    checkDNNL(gesso_conv_forward(&d, input, weights, weightsVersion, output), "convForward \(g)")
}

/// dx: the gradient of conv with respect to its input (TensorFlow's conv2d_backprop_input / conv2d_transpose).
public func convBackwardData(_ g: ConvGeometry, outputGradient: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                             weightsVersion: UInt64 = 0, inputGradient: UnsafeMutablePointer<Float>) {
    var d = g.c
    checkDNNL(gesso_conv_backward_data(&d, outputGradient, weights, weightsVersion, inputGradient),
              "convBackwardData \(g)")
}

/// dw: the gradient of conv with respect to its weights, written through `weightStrides`.
public func convBackwardWeights(_ g: ConvGeometry, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                weightsGradient: UnsafeMutablePointer<Float>) {
    var d = g.c
    checkDNNL(gesso_conv_backward_weights(&d, input, outputGradient, weightsGradient), "convBackwardWeights \(g)")
}

/// Primitives oneDNN has compiled so far (each shape is compiled once).
public var cachedPrimitiveCount: Int { Int(gesso_dnnl_cached_primitives()) }
