import Foundation
import GessoKernels

/// TensorFlow's `tf.nn`, spelled so that the lecture's code translates line by line:
///
///     let h = nn.relu(nn.conv2d(x, W, strides: [1, 1, 1, 1], padding: .same) + b)
///     let p = nn.maxPool(h, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: .same)
public enum nn {
    public static func conv2d(_ input: Tensor, _ filters: Tensor, strides: [Int], padding: Padding,
                              dilations: [Int] = [1, 1, 1, 1]) -> Tensor {
        Tensor.conv2d(input, filters, strides: strides, padding: padding, dilations: dilations)
    }
    public static func depthwiseConv2d(_ input: Tensor, _ filter: Tensor, strides: [Int], padding: Padding,
                                       dilations: [Int] = [1, 1, 1, 1]) -> Tensor {
        Tensor.depthwiseConv2d(input, filter, strides: strides, padding: padding, dilations: dilations)
    }
    public static func conv2dTranspose(_ input: Tensor, _ filters: Tensor, outputShape: [Int], strides: [Int],
                                       padding: Padding, dilations: [Int] = [1, 1, 1, 1]) -> Tensor {
        Tensor.conv2dTranspose(input, filters, outputShape: outputShape, strides: strides, padding: padding,
                               dilations: dilations)
    }
    /// `tf.nn.max_pool` (the lecture's spelling) and `tf.nn.max_pool2d`.
    public static func maxPool(_ value: Tensor, ksize: [Int], strides: [Int], padding: Padding) -> Tensor {
        Tensor.maxPool2d(value, ksize: ksize, strides: strides, padding: padding)
    }
    public static func maxPool2d(_ input: Tensor, ksize: [Int], strides: [Int], padding: Padding) -> Tensor {
        Tensor.maxPool2d(input, ksize: ksize, strides: strides, padding: padding)
    }
    public static func avgPool(_ value: Tensor, ksize: [Int], strides: [Int], padding: Padding) -> Tensor {
        Tensor.avgPool2d(value, ksize: ksize, strides: strides, padding: padding)
    }
    public static func avgPool2d(_ input: Tensor, ksize: [Int], strides: [Int], padding: Padding) -> Tensor {
        Tensor.avgPool2d(input, ksize: ksize, strides: strides, padding: padding)
    }
    public static func biasAdd(_ value: Tensor, _ bias: Tensor) -> Tensor { Tensor.biasAdd(value, bias) }

    public static func relu(_ features: Tensor) -> Tensor { features.relu() }
    public static func relu6(_ features: Tensor) -> Tensor { features.relu6() }
    public static func leakyRelu(_ features: Tensor, alpha: Float = 0.2) -> Tensor { features.leakyRelu(alpha: alpha) }
    public static func elu(_ features: Tensor) -> Tensor { features.elu() }
    public static func tanh(_ x: Tensor) -> Tensor { x.tanh() }
    public static func sigmoid(_ x: Tensor) -> Tensor { x.sigmoid() }
    public static func softmax(_ logits: Tensor, axis: Int = -1) -> Tensor { logits.softmax(axis: axis) }
    public static func logSoftmax(_ logits: Tensor, axis: Int = -1) -> Tensor { logits.logSoftmax(axis: axis) }

    /// `tf.nn.dropout`: zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate).
    public static func dropout(_ x: Tensor, rate: Float, using generator: inout RandomGenerator) -> Tensor {
        precondition(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1), got \(rate)")
        if rate == 0 { return x }
        let keep = Tensor.randomUniform(x.shape, using: &generator).mask(Tensor(rate), where: >=)
        return x * (keep * (1 / (1 - rate)))
    }

    /// `tf.nn.moments`: mean and (biased) variance over `axes`, keeping them as size-1 axes when asked.
    public static func moments(_ x: Tensor, axes: [Int], keepDims: Bool = false) -> (mean: Tensor, variance: Tensor) {
        let mean = x.mean(alongAxes: axes, keepDims: true)
        let variance = (x - mean).squared().mean(alongAxes: axes, keepDims: keepDims)
        return (keepDims ? mean : mean.reshaped(to: x.reducedShape(x.normalizedAxes(axes, op: "moments"), keepDims: false)),
                variance)
    }

    /// `tf.nn.batch_normalization` with given statistics (inference with running averages).
    public static func batchNormalization(_ x: Tensor, mean: Tensor, variance: Tensor, offset: Tensor?, scale: Tensor?,
                                          varianceEpsilon: Float) -> Tensor {
        let channels = x.shape.last ?? 1
        let perChannel = [mean, variance] + [offset, scale].compactMap { $0 }
        if !([x] + perChannel).contains(where: \.isTracked) && perChannel.allSatisfy({ $0.shape == [channels] }) {
            // Inference: one pass, y = x * (scale / sqrt(var + eps)) + (offset - mean * that).
            let k = (scale ?? Tensor.ones([channels])) / (variance + varianceEpsilon).squareRoot()
            let b = (offset ?? Tensor.zeros([channels])) - mean * k
            var y = Tensor(uninitializedShape: x.shape)
            scaleShiftRows(x.pointer, scale: k.pointer, shift: b.pointer, y.storage.pointer, rows: x.count / max(channels, 1),
                           cols: channels)
            return y
        }
        var y = (x - mean) / (variance + varianceEpsilon).squareRoot()
        if let scale { y = y * scale }
        if let offset { y = y + offset }
        return y
    }

    /// Batch normalisation in training: statistics over every axis but the last (N, H, W for NHWC), biased
    /// variance. Returns the batch statistics too, for the running averages used at inference.
    public static func batchNormTraining(_ x: Tensor, scale: Tensor, offset: Tensor, epsilon: Float = 1e-5)
        -> (y: Tensor, mean: Tensor, variance: Tensor) {
        let r = Tensor.normalize(x, gamma: scale, beta: offset, groups: 1, epsilon: epsilon, op: "batch_norm")
        return (r.y, r.mean.reshaped(to: [-1]), r.variance.reshaped(to: [-1]))
    }

    /// Instance normalisation of NHWC images: statistics over H and W for each sample and channel.
    public static func instanceNorm(_ x: Tensor, scale: Tensor, offset: Tensor, epsilon: Float = 1e-5) -> Tensor {
        precondition(x.rank == 4, "instance_norm: input must be NHWC, got \(describe(x.shape))")
        return Tensor.normalize(x, gamma: scale, beta: offset, groups: x.shape[0], epsilon: epsilon, op: "instance_norm").y
    }

    /// Moves running statistics toward a batch's: `running = momentum * running + (1 - momentum) * batch`.
    public static func updateRunningAverage(_ running: inout Tensor, _ batch: Tensor, momentum: Float) {
        running = withoutGradients { running * momentum + batch.detached() * (1 - momentum) }
    }

    /// `tf.nn.sigmoid_cross_entropy_with_logits`, elementwise: max(x, 0) - x z + log(1 + exp(-|x|)).
    public static func sigmoidCrossEntropyWithLogits(labels: Tensor, logits: Tensor) -> Tensor {
        precondition(labels.shape == logits.shape,
                     "sigmoid_cross_entropy_with_logits: labels \(describe(labels.shape)) and logits \(describe(logits.shape)) differ")
        let value = withoutGradients {
            logits.relu() - logits * labels + ((-logits.abs()).exp() + 1).log()
        }
        return Tensor.record(value, [labels, logits]) { g in
            [labels.isTracked ? -(g * logits) : nil, g * (logits.sigmoid() - labels)]
        }
    }

    /// `tf.nn.softmax_cross_entropy_with_logits` over the last axis: one loss per row.
    public static func softmaxCrossEntropyWithLogits(labels: Tensor, logits: Tensor) -> Tensor {
        precondition(labels.shape == logits.shape,
                     "softmax_cross_entropy_with_logits: labels \(describe(labels.shape)) and logits \(describe(logits.shape)) differ")
        return -(labels * logits.logSoftmax()).sum(alongAxes: [-1])
    }
}

/// Losses reduced to a scalar mean, as training uses them (`tf.keras.losses` with the default reduction).
public enum losses {
    public static func sigmoidCrossEntropy(labels: Tensor, logits: Tensor) -> Tensor {
        nn.sigmoidCrossEntropyWithLogits(labels: labels, logits: logits).mean()
    }
    public static func softmaxCrossEntropy(labels: Tensor, logits: Tensor) -> Tensor {
        nn.softmaxCrossEntropyWithLogits(labels: labels, logits: logits).mean()
    }
    public static func meanSquaredError(predictions: Tensor, labels: Tensor) -> Tensor {
        precondition(predictions.shape == labels.shape,
                     "mean_squared_error: predictions \(describe(predictions.shape)) and labels \(describe(labels.shape)) differ")
        return (predictions - labels).squared().mean()
    }
    public static func meanAbsoluteError(predictions: Tensor, labels: Tensor) -> Tensor {
        precondition(predictions.shape == labels.shape,
                     "mean_absolute_error: predictions \(describe(predictions.shape)) and labels \(describe(labels.shape)) differ")
        return (predictions - labels).abs().mean()
    }
    /// `tf.keras.losses.Huber` (mean over elements): 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond,
    /// with e = predictions - labels. Written as 0.5 q^2 + delta (|e| - q) with q = min(|e|, delta).
    public static func huber(labels: Tensor, predictions: Tensor, delta: Float = 1) -> Tensor {
        precondition(predictions.shape == labels.shape,
                     "huber: predictions \(describe(predictions.shape)) and labels \(describe(labels.shape)) differ")
        let e = (predictions - labels).abs()
        let q = Tensor.minimum(e, Tensor(delta))
        return (q.squared() * 0.5 + (e - q) * delta).mean()
    }
}

/// The rest of the `tf.` names the lecture uses.
public enum tf {
    public typealias nn = TensorCore.nn
    public typealias losses = TensorCore.losses
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
    }
    public static func reshape(_ tensor: Tensor, _ shape: [Int]) -> Tensor { tensor.reshaped(to: shape) }
    public static func transpose(_ a: Tensor, perm: [Int]) -> Tensor { a.transposed(perm) }
    public static func concat(_ values: [Tensor], axis: Int) -> Tensor { Tensor.concatenate(values, alongAxis: axis) }
    public static func slice(_ input: Tensor, begin: [Int], size: [Int]) -> Tensor { input.slice(begin: begin, size: size) }
    public static func pad(_ tensor: Tensor, _ paddings: [[Int]], mode: PaddingMode = .constant,
                           constantValues: Float = 0) -> Tensor {
        tensor.padded(paddings, mode: mode, value: constantValues)
    }
    public static func reduceSum(_ x: Tensor, axis: [Int]? = nil, keepdims: Bool = false) -> Tensor {
        x.sum(alongAxes: axis, keepDims: keepdims)
    }
    public static func reduceMean(_ x: Tensor, axis: [Int]? = nil, keepdims: Bool = false) -> Tensor {
        x.mean(alongAxes: axis, keepDims: keepdims)
    }
    public static func reduceMax(_ x: Tensor, axis: [Int]? = nil, keepdims: Bool = false) -> Tensor {
        x.max(alongAxes: axis, keepDims: keepdims)
    }
    public static func constant(_ value: Float, shape: [Int]) -> Tensor { Tensor(repeating: value, shape: shape) }
    public static func truncatedNormal(_ shape: [Int], mean: Float = 0, stddev: Float = 1,
                                       using g: inout RandomGenerator) -> Tensor {
        Tensor.truncatedNormal(shape, mean: mean, standardDeviation: stddev, using: &g)
    }
    /// `tf.image.resize` (half-pixel centres).
    public static func resize(_ images: Tensor, size: [Int], method: ResizeMethod) -> Tensor {
        images.resized(to: size, method: method)
    }
}
