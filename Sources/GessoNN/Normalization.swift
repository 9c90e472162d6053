/// Batch normalisation over the last axis (channels): batch statistics in training, with running averages kept
/// for inference (`running = momentum * running + (1 - momentum) * batch`, Keras' convention; the default 0.9 is
/// PyTorch's 0.1, so that short runs on small folders already have usable statistics).
public struct BatchNorm: Layer {
    public var parameters: [String: Tensor]
    public var buffers: [String: Tensor]
    /// The share of the old running statistics kept at each training pass (0: a pass sets them to its batch's).
    public var momentum: Float
    public let epsilon: Float

    public init(channels: Int, momentum: Float = 0.9, epsilon: Float = 1e-3) {
        parameters = ["gamma": Tensor.ones([channels]), "beta": Tensor.zeros([channels])]
        buffers = ["runningMean": Tensor.zeros([channels]), "runningVariance": Tensor.ones([channels])]
        self.momentum = momentum; self.epsilon = epsilon
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        if context.training {
            let r = nn.batchNormTraining(input, scale: parameters["gamma"]!, offset: parameters["beta"]!, epsilon: epsilon)
            nn.updateRunningAverage(&buffers["runningMean"]!, r.mean, momentum: momentum)
            nn.updateRunningAverage(&buffers["runningVariance"]!, r.variance, momentum: momentum)
            return r.y
        }
        return nn.batchNormalization(input, mean: buffers["runningMean"]!, variance: buffers["runningVariance"]!,
                                     offset: parameters["beta"]!, scale: parameters["gamma"]!, varianceEpsilon: epsilon)
    }
}

/// Instance normalisation of NHWC images: statistics over height and width per sample and channel. With `affine`
/// false (pix2pix and CycleGAN's default, PyTorch's `InstanceNorm2d(affine=False)`) it has no parameters.
public struct InstanceNorm: Layer {
    public var parameters: [String: Tensor]
    public let epsilon: Float
    let ones: Tensor, zeros: Tensor
    public init(channels: Int, affine: Bool = true, epsilon: Float = 1e-5) {
        ones = Tensor.ones([channels]); zeros = Tensor.zeros([channels])
        parameters = affine ? ["gamma": ones, "beta": zeros] : [:]
        self.epsilon = epsilon
    }
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        nn.instanceNorm(input, scale: parameters["gamma"] ?? ones, offset: parameters["beta"] ?? zeros, epsilon: epsilon)
    }
}

/// ProGAN's minibatch standard deviation (Karras et al. 2018, section 3), for discriminators: the standard deviation
/// of every feature over the batch, averaged into one number, appended to each sample as one more constant channel.
/// A generator that makes too few kinds of image gives batches with a telltale small spread, which the discriminator
/// can then see and punish. `[N, H, W, C]` -> `[N, H, W, C + 1]`; the backward pass is that of its parts.
public struct MinibatchStandardDeviation: Layer {
    public var parameters: [String: Tensor] = [:]
    public init() {}
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        precondition(input.rank == 4, "MinibatchStandardDeviation takes [N, H, W, C], got \(input.shape)")
        let s = input.shape
        let deviation = input - input.mean(alongAxes: [0], keepDims: true)                      // [N, H, W, C]
        let spread = (deviation.squared().mean(alongAxes: [0], keepDims: true) + 1e-8).squareRoot()  // [1, H, W, C]
        let feature = spread.mean().reshaped(to: [1, 1, 1, 1]).broadcast(to: [s[0], s[1], s[2], 1])  // [N, H, W, 1]
        return Tensor.concatenate([input, feature], alongAxis: 3)
    }
}
