/// A fully connected layer: `activation(input · weight + bias)`, input `[N, inputs]` -> `[N, outputs]`.
public struct Dense: Layer {
    public var parameters: [String: Tensor]
    public let activation: Activation.Kind?

    public init(inputs: Int, outputs: Int, useBias: Bool = true, activation: Activation.Kind? = nil,
                weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                using g: inout RandomGenerator) {
        parameters = ["weight": weightInitializer.make([inputs, outputs], using: &g)]
        if useBias { parameters["bias"] = biasInitializer.make([outputs], using: &g) }
        self.activation = activation
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        let w = parameters["weight"]!
        precondition(input.rank == 2 && input.shape[1] == w.shape[0],
                     "Dense: input \(input.shape) does not fit weight \(w.shape) (expected [N, \(w.shape[0])])")
        var y = tf.matmul(input, w)
        if let b = parameters["bias"] { y = y + b }
        return activation.map { Activation.apply($0, y) } ?? y
    }
}

/// An elementwise activation as a layer.
public struct Activation: Layer {
    public enum Kind: Equatable, Sendable, Codable {
        case relu, relu6, elu, tanh, sigmoid, softmax
        case leakyRelu(alpha: Float)
    }
    public let kind: Kind
    public var parameters: [String: Tensor] = [:]
    public init(_ kind: Kind) { self.kind = kind }

    static func apply(_ kind: Kind, _ x: Tensor) -> Tensor {
        switch kind {
        case .relu: nn.relu(x)
        case .relu6: nn.relu6(x)
        case .elu: nn.elu(x)
        case .tanh: nn.tanh(x)
        case .sigmoid: nn.sigmoid(x)
        case .softmax: nn.softmax(x)
        case .leakyRelu(let a): nn.leakyRelu(x, alpha: a)
        }
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        Self.apply(kind, input)
    }
}

/// Flattens `[N, ...]` to `[N, rest]` (row-major, as `tf.reshape(x, [-1, n])` on NHWC).
public struct Flatten: Layer {
    public var parameters: [String: Tensor] = [:]
    public init() {}
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        input.reshaped(to: [input.shape[0], -1])
    }
}

/// Reshapes each sample: `[N, ...]` -> `[N] + shape`.
public struct Reshape: Layer {
    public var parameters: [String: Tensor] = [:]
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        input.reshaped(to: [input.shape[0]] + shape)
    }
}

/// Zeroes a fraction `rate` of the elements in training (scaling the rest by 1 / (1 - rate)); identity in inference.
public struct Dropout: Layer {
    public var parameters: [String: Tensor] = [:]
    public let rate: Float
    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
    }
    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        context.training ? nn.dropout(input, rate: rate, using: &context.random) : input
    }
}
