@_exported import TensorCore

/// What a forward pass needs besides its input: training or inference, and the random numbers dropout draws.
public struct LayerContext {
    public var training: Bool
    public var random: RandomGenerator
    public init(training: Bool, random: RandomGenerator = RandomGenerator(seed: 0)) {
        self.training = training
        self.random = random
    }
}

/// A layer: a function of a tensor with named parameters.
///
/// Parameters are plain tensors held by the layer. To train, put fresh tape leaves in (`trackingGradients()`),
/// run the forward pass, and take `gradients(of: loss, withRespectTo:)` the same tensors: see `Layer.gradients`.
/// Containers prefix their children's names ("0.weight", "conv1.bias").
public protocol Layer {
    /// Trainable tensors by name.
    var parameters: [String: Tensor] { get set }
    /// Tensors saved with the model but not trained (batch norm's running statistics).
    var buffers: [String: Tensor] { get set }
    /// The forward pass. Layers with running statistics update them in training mode.
    mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor
}

extension Layer {
    public var buffers: [String: Tensor] {
        get { [:] }
        set { precondition(newValue.isEmpty, "\(Self.self) has no buffers, got \(newValue.keys.sorted())") }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.values.reduce(0) { $0 + $1.count } }

    /// An inference pass (no dropout, running statistics, nothing recorded for gradients).
    public func inference(_ input: Tensor) -> Tensor {
        var copy = self
        var context = LayerContext(training: false)
        return withoutGradients { copy(input, context: &context) }
    }

    /// One training evaluation: runs `loss` on this layer with its parameters on the gradient tape, and returns
    /// the loss value and the gradient of every parameter, by name. Updates running statistics.
    public mutating func valueWithGradients(context: inout LayerContext,
                                            _ loss: (inout Self, inout LayerContext) -> Tensor)
        -> (loss: Tensor, gradients: [String: Tensor]) {
        let names = parameters.keys.sorted()
        var tracked = parameters
        for n in names { tracked[n] = tracked[n]!.requiringGradient() }
        parameters = tracked
        let value = loss(&self, &context)
        let grads = gradients(of: value, withRespectTo: names.map { tracked[$0]! })
        // Leave plain tensors behind: the tape of this step must not outlive it.
        parameters = parameters.mapValues { $0.detached() }
        buffers = buffers.mapValues { $0.detached() }
        return (value.detached(), Dictionary(uniqueKeysWithValues: zip(names, grads)))
    }
}

/// Reads the parameters of a child with a name prefix.
public func prefixed(_ dict: [String: Tensor], _ prefix: String) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: dict.map { ("\(prefix).\($0.key)", $0.value) })
}

/// The entries of `dict` under `prefix.`, with the prefix removed.
public func unprefixed(_ dict: [String: Tensor], _ prefix: String) -> [String: Tensor] {
    let p = prefix + "."
    return Dictionary(uniqueKeysWithValues: dict.compactMap { k, v in
        k.hasPrefix(p) ? (String(k.dropFirst(p.count)), v) : nil
    })
}

/// Replaces named tensors, checking that every name is known and every shape unchanged.
func assign(_ current: inout [String: Tensor], _ new: [String: Tensor], layer: String) {
    for (k, v) in new {
        guard let old = current[k] else {
            preconditionFailure("\(layer): no parameter named \(k) (it has \(current.keys.sorted()))")
        }
        precondition(old.shape == v.shape, "\(layer).\(k): shape \(v.shape) replaces \(old.shape)")
        current[k] = v
    }
}
