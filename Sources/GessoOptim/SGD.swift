import TensorCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, as PyTorch's
/// `torch.optim.SGD` (dampening 0).
///
/// For each parameter `p` with gradient `g`, per step:
///
///     d = g + weightDecay * p
///     b = d on a parameter's first update, else momentum * b + d      (only when momentum != 0)
///     d = nesterov ? d + momentum * b : b                              (only when momentum != 0)
///     p = p - learningRate * d
///
/// State: "momentum/<parameter>" (the buffer `b`) when momentum != 0.
public struct SGD: Optimizer, Sendable {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public private(set) var step = 0
    /// The momentum buffers and their parameters' update counts.
    private var buffers: [String: (updates: Int, momentum: Tensor)] = [:]

    static let kind = "SGD"

    /// - Parameters:
    ///   - learningRate: the step size, >= 0.
    ///   - momentum: the momentum factor, >= 0; 0 turns momentum off.
    ///   - nesterov: Nesterov momentum (needs momentum > 0).
    ///   - weightDecay: the L2 penalty's factor, added to the gradient as `weightDecay * p`; >= 0.
    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        if let (name, problem) = Self.problem(learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                                              weightDecay: weightDecay) {
            preconditionFailure("SGD: \(name) \(problem)")
        }
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// The first hyperparameter out of range and why, or nil.
    static func problem(learningRate: Float, momentum: Float, nesterov: Bool, weightDecay: Float)
        -> (name: String, problem: String)? {
        if !(learningRate >= 0) { return ("learningRate", "must be >= 0") }
        if !(momentum >= 0) { return ("momentum", "must be >= 0") }
        if nesterov && momentum == 0 { return ("momentum", "must be > 0 for Nesterov momentum") }
        if !(weightDecay >= 0) { return ("weightDecay", "must be >= 0") }
        return nil
    }

    public mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) {
        step += 1
        let rate = learningRate, mu = momentum, nesterov = nesterov, decay = weightDecay
        for (name, gradient) in gradients {
            guard let index = parameters.index(forKey: name) else { continue }
            checkShapes(parameters.values[index], gradient, name, "SGD")
            // Moved out of the table, so that `buffer` is its tensor's only reference and is written in place.
            var previous = buffers.removeValue(forKey: name)
            let first = previous == nil, updates = previous?.updates ?? 0
            // The first update sets the buffer to d, so a new one's initial contents do not matter.
            var buffer: Tensor? = mu == 0 ? nil : (previous?.momentum ?? Tensor.zeros(gradient.shape))
            previous = nil
            gradient.withUnsafeBufferPointer { g in
                parameters.values[index].withUnsafeMutableBufferPointer { p in
                    withElements(&buffer) { b in
                        for i in 0..<p.count {
                            var d = g[i] + decay * p[i]
                            if let b {
                                b[i] = first ? d : mu * b[i] + d
                                d = nesterov ? d + mu * b[i] : b[i]
                            }
                            p[i] -= rate * d
                        }
                    }
                }
            }
            if let buffer {
                buffers[name] = (updates + 1, buffer)
            }
        }
    }

    public func state() -> OptimizerState {
        var state = OptimizerState(kind: Self.kind, step: step, scalars: [
            "learningRate": Double(learningRate), "momentum": Double(momentum),
            "nesterov": nesterov ? 1 : 0, "weightDecay": Double(weightDecay),
        ])
        for (name, entry) in buffers {
            record(parameter: name, updates: entry.updates, slots: [("momentum", entry.momentum)], into: &state)
        }
        return state
    }

    public mutating func load(_ state: OptimizerState, parameters: [String: Tensor]) throws {
        let reader = try OptimizerStateReader(state, kind: Self.kind, parameters: parameters)
        let learningRate = try reader.float("learningRate"), momentum = try reader.float("momentum")
        let nesterov = try reader.bool("nesterov"), weightDecay = try reader.float("weightDecay")
        try reader.check(Self.problem(learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                                      weightDecay: weightDecay))
        let perParameter = try reader.perParameterState(slots: momentum == 0 ? [] : ["momentum"])
        var loaded = SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        loaded.step = state.step
        if momentum != 0 {
            for (name, entry) in perParameter {
                if let buffer = entry.tensors["momentum"] { loaded.buffers[name] = (entry.updates, buffer) }
            }
        }
        self = loaded
    }
}
