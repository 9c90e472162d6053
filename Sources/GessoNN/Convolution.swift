/// A 2-D convolution over NHWC: weight HWIO `[kernel, kernel, inChannels, outChannels]`, optional bias.
public struct Conv2D: Layer {
    public var parameters: [String: Tensor]
    public let stride: Int, padding: Padding, dilation: Int
    public let activation: Activation.Kind?

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same,
                dilation: Int = 1, useBias: Bool = true, activation: Activation.Kind? = nil,
                weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                using g: inout RandomGenerator) {
        parameters = ["weight": weightInitializer.make([kernelSize, kernelSize, inChannels, outChannels], using: &g)]
        if useBias { parameters["bias"] = biasInitializer.make([outChannels], using: &g) }
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.activation = activation
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        var y = nn.conv2d(input, parameters["weight"]!, strides: [1, stride, stride, 1], padding: padding,
                          dilations: [1, dilation, dilation, 1])
        if let b = parameters["bias"] { y = y + b }
        return activation.map { Activation.apply($0, y) } ?? y
    }
}

/// A transposed convolution (`tf.nn.conv2d_transpose`): weight `[kernel, kernel, outChannels, inChannels]`.
/// With SAME padding the output is `stride` times the input; with VALID, `(input - 1) * stride + kernel`.
public struct ConvTranspose2D: Layer {
    public var parameters: [String: Tensor]
    public let stride: Int, padding: Padding, kernelSize: Int
    public let activation: Activation.Kind?

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 2, padding: Padding = .same,
                useBias: Bool = true, activation: Activation.Kind? = nil,
                weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                using g: inout RandomGenerator) {
        parameters = ["weight": weightInitializer.make([kernelSize, kernelSize, outChannels, inChannels], using: &g)]
        if useBias { parameters["bias"] = biasInitializer.make([outChannels], using: &g) }
        self.stride = stride; self.padding = padding; self.kernelSize = kernelSize; self.activation = activation
    }

    public func outputSize(_ input: Int) -> Int {
        padding == .valid ? (input - 1) * stride + kernelSize : input * stride
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        let w = parameters["weight"]!
        let shape = [input.shape[0], outputSize(input.shape[1]), outputSize(input.shape[2]), w.shape[2]]
        var y = nn.conv2dTranspose(input, w, outputShape: shape, strides: [1, stride, stride, 1], padding: padding)
        if let b = parameters["bias"] { y = y + b }
        return activation.map { Activation.apply($0, y) } ?? y
    }
}

/// A depthwise convolution: weight `[kernel, kernel, channels, multiplier]`, output `channels * multiplier`.
public struct DepthwiseConv2D: Layer {
    public var parameters: [String: Tensor]
    public let stride: Int, padding: Padding
    public let activation: Activation.Kind?

    public init(channels: Int, multiplier: Int = 1, kernelSize: Int, stride: Int = 1, padding: Padding = .same,
                useBias: Bool = true, activation: Activation.Kind? = nil,
                weightInitializer: Initializer = .glorotUniform, using g: inout RandomGenerator) {
        parameters = ["weight": weightInitializer.make([kernelSize, kernelSize, channels, multiplier], using: &g)]
        if useBias { parameters["bias"] = Tensor.zeros([channels * multiplier]) }
        self.stride = stride; self.padding = padding; self.activation = activation
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        var y = nn.depthwiseConv2d(input, parameters["weight"]!, strides: [1, stride, stride, 1], padding: padding)
        if let b = parameters["bias"] { y = y + b }
        return activation.map { Activation.apply($0, y) } ?? y
    }
}

/// Max pooling over NHWC windows of `size` x `size`.
public struct MaxPool2D: Layer {
    public var parameters: [String: Tensor] = [:]
    public let size: Int, stride: Int, padding: Padding
    public init(size: Int = 2, stride: Int? = nil, padding: Padding = .same) {
        self.size = size; self.stride = stride ?? size; self.padding = padding
    }
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        nn.maxPool(input, ksize: [1, size, size, 1], strides: [1, stride, stride, 1], padding: padding)
    }
}

/// Average pooling over NHWC windows (SAME averages only real elements).
public struct AvgPool2D: Layer {
    public var parameters: [String: Tensor] = [:]
    public let size: Int, stride: Int, padding: Padding
    public init(size: Int = 2, stride: Int? = nil, padding: Padding = .same) {
        self.size = size; self.stride = stride ?? size; self.padding = padding
    }
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        nn.avgPool(input, ksize: [1, size, size, 1], strides: [1, stride, stride, 1], padding: padding)
    }
}

/// The mean over height and width: `[N, H, W, C]` -> `[N, C]`.
public struct GlobalAvgPool: Layer {
    public var parameters: [String: Tensor] = [:]
    public init() {}
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        input.mean(alongAxes: [1, 2])
    }
}

/// Pads height and width by mirroring (`tf.pad` REFLECT, PyTorch's `ReflectionPad2d`): `[N, H, W, C]` ->
/// `[N, H + 2p, W + 2p, C]`. CycleGAN's generators pad this way so that borders do not turn dark.
public struct ReflectionPad2D: Layer {
    public var parameters: [String: Tensor] = [:]
    public let padding: Int
    public init(_ padding: Int) { self.padding = padding }
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        input.padded([[0, 0], [padding, padding], [padding, padding], [0, 0]], mode: .reflect)
    }
}
