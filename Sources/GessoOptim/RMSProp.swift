import TensorCore

/// RMSProp, as PyTorch's `torch.optim.RMSprop`: optionally centered (divide by an estimate of the gradient's
/// standard deviation rather than its root mean square) and with momentum.
///
/// For each parameter `p` with gradient `g`, per step (s, a and b start at 0):
///
///     d = g + weightDecay * p
///     s = alpha * s + (1 - alpha) * d * d
///     a = alpha * a + (1 - alpha) * d                   (centered only)
///     r = sqrt(s - a * a) + epsilon                     (centered; otherwise sqrt(s) + epsilon)
///     b = momentum * b + d / r;  p = p - learningRate * b     (momentum > 0)
///     p = p - learningRate * d / r                            (otherwise)
///
/// State: "rmsprop.square/<parameter>" (s), "rmsprop.mean/<parameter>" (a, centered only) and
/// "rmsprop.momentum/<parameter>" (b, momentum > 0 only).
public struct RMSProp: Optimizer, Sendable {
    public var learningRate: Float
    public let alpha: Float
    public let epsilon: Float
    public let momentum: Float
    public let centered: Bool
    public let weightDecay: Float
    public private(set) var step = 0
    private var averages: [String: Averages] = [:]

    /// A parameter's running averages and update count.
    struct Averages: Sendable {
        var updates: Int
        var square: Tensor
        var mean: Tensor?
        var momentum: Tensor?
    }

    static let kind = "RMSProp"

    /// - Parameters:
    ///   - learningRate: the step size, >= 0.
    ///   - alpha: the decay rate of the running averages, in [0, 1].
    ///   - epsilon: added to the denominator, >= 0.
    ///   - momentum: the momentum factor, >= 0; 0 turns momentum off.
    ///   - centered: divide by the square root of the gradient's running variance instead of its mean square.
    ///   - weightDecay: the L2 penalty's factor, added to the gradient as `weightDecay * p`; >= 0.
    public init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, momentum: Float = 0,
                centered: Bool = false, weightDecay: Float = 0) {
        if let (name, problem) = Self.problem(learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                                              momentum: momentum, weightDecay: weightDecay) {
            preconditionFailure("RMSProp: \(name) \(problem)")
        }
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        self.weightDecay = weightDecay
    }

    /// The first hyperparameter out of range and why, or nil.
    static func problem(learningRate: Float, alpha: Float, epsilon: Float, momentum: Float, weightDecay: Float)
        -> (name: String, problem: String)? {
        if !(learningRate >= 0) { return ("learningRate", "must be >= 0") }
        if !(alpha >= 0 && alpha <= 1) { return ("alpha", "must be in [0, 1]") }
        if !(epsilon >= 0) { return ("epsilon", "must be >= 0") }
        if !(momentum >= 0) { return ("momentum", "must be >= 0") }
        if !(weightDecay >= 0) { return ("weightDecay", "must be >= 0") }
        return nil
    }

    public mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) {
        step += 1
        let rate = learningRate, alpha = alpha, epsilon = epsilon, mu = momentum, decay = weightDecay
        for (name, gradient) in gradients {
            guard let index = parameters.index(forKey: name) else { continue }
            checkShapes(parameters.values[index], gradient, name, "RMSProp")
            let shape = gradient.shape
            // Moved out of the table, so that the averages are written in place.
            var state = averages.removeValue(forKey: name)
                ?? Averages(updates: 0, square: .zeros(shape), mean: centered ? .zeros(shape) : nil,
                            momentum: mu > 0 ? .zeros(shape) : nil)
            state.updates += 1
            gradient.withUnsafeBufferPointer { g in
                parameters.values[index].withUnsafeMutableBufferPointer { p in
                    state.square.withUnsafeMutableBufferPointer { s in
                        withElements(&state.mean) { a in
                            withElements(&state.momentum) { b in
                                for i in 0..<p.count {
                                    let d = g[i] + decay * p[i]
                                    s[i] = alpha * s[i] + (1 - alpha) * d * d
                                    var r: Float
                                    if let a {
                                        a[i] += (1 - alpha) * (d - a[i])
                                        r = (s[i] - a[i] * a[i]).squareRoot()
                                    } else {
                                        r = s[i].squareRoot()
                                    }
                                    r += epsilon
                                    if let b {
                                        b[i] = mu * b[i] + d / r
                                        p[i] -= rate * b[i]
                                    } else {
                                        p[i] -= rate * (d / r)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            averages[name] = state
        }
    }

    public func state() -> OptimizerState {
        var state = OptimizerState(kind: Self.kind, step: step, scalars: [
            "learningRate": Double(learningRate), "alpha": Double(alpha), "epsilon": Double(epsilon),
            "momentum": Double(momentum), "centered": centered ? 1 : 0, "weightDecay": Double(weightDecay),
        ])
        for (name, entry) in averages {
            record(parameter: name, updates: entry.updates,
                   slots: [("rmsprop.square", entry.square), ("rmsprop.mean", entry.mean),
                           ("rmsprop.momentum", entry.momentum)], into: &state)
        }
        return state
    }

    public mutating func load(_ state: OptimizerState, parameters: [String: Tensor]) throws {
        let reader = try OptimizerStateReader(state, kind: Self.kind, parameters: parameters)
        let learningRate = try reader.float("learningRate"), alpha = try reader.float("alpha")
        let epsilon = try reader.float("epsilon"), momentum = try reader.float("momentum")
        let centered = try reader.bool("centered"), weightDecay = try reader.float("weightDecay")
        try reader.check(Self.problem(learningRate: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum,
                                      weightDecay: weightDecay))
        var loaded = RMSProp(learningRate: learningRate, alpha: alpha, epsilon: epsilon, momentum: momentum,
                             centered: centered, weightDecay: weightDecay)
        loaded.step = state.step
        let slots = ["rmsprop.square"] + (centered ? ["rmsprop.mean"] : []) + (momentum > 0 ? ["rmsprop.momentum"] : [])
        for (name, entry) in try reader.perParameterState(slots: slots) {
            guard let square = entry.tensors["rmsprop.square"] else { continue }
            loaded.averages[name] = Averages(updates: entry.updates, square: square, mean: entry.tensors["rmsprop.mean"],
                                             momentum: entry.tensors["rmsprop.momentum"])
        }
        self = loaded
    }
}
