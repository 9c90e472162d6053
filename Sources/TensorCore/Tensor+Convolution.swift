import GessoKernels

/// Padding of convolutions and pooling, as TensorFlow spells it.
public enum Padding: Sendable, Equatable {
    /// Output size ceil(in / stride); the total padding is split with the odd extra row/column at the
    /// bottom/right.
    case same
    /// No padding: only windows that fit entirely.
    case valid
    /// `[[0, 0], [top, bottom], [left, right], [0, 0]]` (NHWC), as TensorFlow's explicit paddings.
    case explicit([[Int]])

    /// Output size and (before, after) padding along one axis.
    func resolve(input: Int, kernel: Int, stride: Int, dilation: Int, axis: Int, op: String) -> (out: Int, before: Int, after: Int) {
        let span = (kernel - 1) * dilation + 1
        switch self {
        case .same:
            let out = (input + stride - 1) / stride
            let total = Swift.max((out - 1) * stride + span - input, 0)
            return (out, total / 2, total - total / 2)
        case .valid:
            precondition(input >= span, "\(op): VALID window of \(span) does not fit input of size \(input)")
            return ((input - span) / stride + 1, 0, 0)
        case .explicit(let pads):
            precondition(pads.count == 4 && pads.allSatisfy { $0.count == 2 && $0[0] >= 0 && $0[1] >= 0 } &&
                         pads[0] == [0, 0] && pads[3] == [0, 0],
                         "\(op): explicit paddings must be [[0, 0], [top, bottom], [left, right], [0, 0]], got \(pads)")
            let (b, a) = (pads[axis][0], pads[axis][1])
            precondition(input + b + a >= span, "\(op): window of \(span) does not fit padded input \(input + b + a)")
            return ((input + b + a - span) / stride + 1, b, a)
        }
    }
}

/// Checks TensorFlow's 4-entry NHWC strides/dilations and returns the (height, width) pair.
func spatialPair(_ v: [Int], _ name: String, op: String) -> (Int, Int) {
    precondition(v.count == 4 && v[0] == 1 && v[3] == 1 && v[1] >= 1 && v[2] >= 1,
                 "\(op): \(name) must be [1, h, w, 1] with h, w >= 1, got \(v)")
    return (v[1], v[2])
}

extension Tensor {
    /// The geometry of a convolution of `input` (NHWC) with a kernel of the given size.
    static func convGeometry(input: [Int], kernelHeight: Int, kernelWidth: Int, outChannels: Int, groups: Int,
                             strides: [Int], padding: Padding, dilations: [Int], weightStrides: [Int],
                             op: String) -> ConvGeometry {
        let (sh, sw) = spatialPair(strides, "strides", op: op)
        let (dh, dw) = spatialPair(dilations, "dilations", op: op)
        let hh = padding.resolve(input: input[1], kernel: kernelHeight, stride: sh, dilation: dh, axis: 1, op: op)
        let ww = padding.resolve(input: input[2], kernel: kernelWidth, stride: sw, dilation: dw, axis: 2, op: op)
        return ConvGeometry(batch: input[0], inHeight: input[1], inWidth: input[2], inChannels: input[3],
                            outHeight: hh.out, outWidth: ww.out, outChannels: outChannels,
                            kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideHeight: sh, strideWidth: sw,
                            dilationHeight: dh, dilationWidth: dw, padTop: hh.before, padBottom: hh.after,
                            padLeft: ww.before, padRight: ww.after, groups: groups, weightStrides: weightStrides)
    }

    /// Runs a convolution given its geometry, with both gradients.
    static func convolution(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
        var y = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, g.outChannels])
        convForward(g, input: x.pointer, weights: w.pointer, weightsVersion: w.version, output: y.storage.pointer)
        return record(y, [x, w]) { dy in
            var dx = Tensor(uninitializedShape: x.shape), dw = Tensor(uninitializedShape: w.shape)
            if x.isTracked {
                convBackwardData(g, outputGradient: dy.pointer, weights: w.pointer, weightsVersion: w.version,
                                 inputGradient: dx.storage.pointer)
            }
            if w.isTracked {
                convBackwardWeights(g, input: x.pointer, outputGradient: dy.pointer, weightsGradient: dw.storage.pointer)
            }
            return [x.isTracked ? dx : nil, w.isTracked ? dw : nil]
        }
    }

    /// `tf.nn.conv2d`: input `[batch, height, width, inChannels]`, filters HWIO `[kh, kw, inChannels, outChannels]`.
    public static func conv2d(_ input: Tensor, _ filters: Tensor, strides: [Int], padding: Padding,
                              dilations: [Int] = [1, 1, 1, 1]) -> Tensor {
        precondition(input.rank == 4 && filters.rank == 4 && input.shape[3] == filters.shape[2],
                     "conv2d: input \(describe(input.shape)) (NHWC) and filters \(describe(filters.shape)) (HWIO) " +
                     "do not fit: input channels must equal filters' third dimension")
        let (kh, kw, ci, co) = (filters.shape[0], filters.shape[1], filters.shape[2], filters.shape[3])
        let g = convGeometry(input: input.shape, kernelHeight: kh, kernelWidth: kw, outChannels: co, groups: 1,
                             strides: strides, padding: padding, dilations: dilations,
                             weightStrides: ConvGeometry.hwioStrides(kernelWidth: kw, inChannels: ci, outChannels: co),
                             op: "conv2d")
        return convolution(input, filters, g)
    }

    /// `tf.nn.depthwise_conv2d`: filter `[kh, kw, inChannels, multiplier]`; output channel `c * multiplier + m`.
    public static func depthwiseConv2d(_ input: Tensor, _ filter: Tensor, strides: [Int], padding: Padding,
                                       dilations: [Int] = [1, 1, 1, 1]) -> Tensor {
        precondition(input.rank == 4 && filter.rank == 4 && input.shape[3] == filter.shape[2],
                     "depthwise_conv2d: input \(describe(input.shape)) and filter \(describe(filter.shape)) do not fit: " +
                     "input channels must equal the filter's third dimension")
        let (kh, kw, c, m) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
        let g = convGeometry(input: input.shape, kernelHeight: kh, kernelWidth: kw, outChannels: c * m, groups: c,
                             strides: strides, padding: padding, dilations: dilations,
                             weightStrides: ConvGeometry.depthwiseStrides(kernelWidth: kw, inChannels: c, multiplier: m),
                             op: "depthwise_conv2d")
        return convolution(input, filter, g)
    }

    /// `tf.nn.conv2d_transpose`: input `[batch, h, w, inChannels]`, filters `[kh, kw, outChannels, inChannels]`,
    /// explicit `outputShape` `[batch, H, W, outChannels]`. It is the gradient of the conv2d that maps
    /// `outputShape` to the input's shape, so that conv2d must give exactly the input's height and width.
    public static func conv2dTranspose(_ input: Tensor, _ filters: Tensor, outputShape: [Int], strides: [Int],
                                       padding: Padding, dilations: [Int] = [1, 1, 1, 1]) -> Tensor {
        precondition(input.rank == 4 && filters.rank == 4 && outputShape.count == 4 &&
                     input.shape[3] == filters.shape[3] && outputShape[3] == filters.shape[2] &&
                     outputShape[0] == input.shape[0],
                     "conv2d_transpose: input \(describe(input.shape)), filters \(describe(filters.shape)) " +
                     "([kh, kw, out, in]) and output_shape \(outputShape) do not fit")
        let (kh, kw, co, ci) = (filters.shape[0], filters.shape[1], filters.shape[2], filters.shape[3])
        // The forward conv: outputShape (co channels) -> input's shape (ci channels), filters HWIO [kh, kw, co, ci].
        let g = convGeometry(input: outputShape, kernelHeight: kh, kernelWidth: kw, outChannels: ci, groups: 1,
                             strides: strides, padding: padding, dilations: dilations,
                             weightStrides: ConvGeometry.hwioStrides(kernelWidth: kw, inChannels: co, outChannels: ci),
                             op: "conv2d_transpose")
        precondition(g.outHeight == input.shape[1] && g.outWidth == input.shape[2],
                     "conv2d_transpose: output_shape \(outputShape) with these strides and padding corresponds to an " +
                     "input of [\(g.outHeight), \(g.outWidth)], but the input is \(describe(input.shape))")
        var y = Tensor(uninitializedShape: outputShape)
        convBackwardData(g, outputGradient: input.pointer, weights: filters.pointer, weightsVersion: filters.version,
                         inputGradient: y.storage.pointer)
        return record(y, [input, filters]) { dy in
            var dx = Tensor(uninitializedShape: input.shape), dw = Tensor(uninitializedShape: filters.shape)
            if input.isTracked {
                convForward(g, input: dy.pointer, weights: filters.pointer, weightsVersion: filters.version,
                            output: dx.storage.pointer)
            }
            if filters.isTracked {
                convBackwardWeights(g, input: dy.pointer, outputGradient: input.pointer, weightsGradient: dw.storage.pointer)
            }
            return [input.isTracked ? dx : nil, filters.isTracked ? dw : nil]
        }
    }

    /// `tf.nn.bias_add`: adds `bias` (rank 1) along the last axis.
    public static func biasAdd(_ value: Tensor, _ bias: Tensor) -> Tensor {
        precondition(bias.rank == 1 && value.rank >= 1 && value.shape.last == bias.shape[0],
                     "bias_add: bias \(describe(bias.shape)) must be rank 1 and match the last axis of \(describe(value.shape))")
        return value + bias
    }
}
