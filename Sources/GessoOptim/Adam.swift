import Foundation
import TensorCore

/// Adam with bias correction, as PyTorch's `torch.optim.Adam` (weight decay as an L2 term in the gradient) or,
/// with `decoupledWeightDecay`, `torch.optim.AdamW` (weight decay applied to the parameter directly).
///
/// For each parameter `p` with gradient `g`, on its `t`-th update (t counts from 1, per parameter, as in PyTorch):
///
///     d = g + weightDecay * p                   (L2; with decoupled decay d = g and first p = p * (1 - learningRate * weightDecay))
///     m = beta1 * m + (1 - beta1) * d           (m and v start at 0)
///     v = beta2 * v + (1 - beta2) * d * d
///     p = p - learningRate / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
///
/// State: "adam.m/<parameter>" and "adam.v/<parameter>", and the update count `t` as "updates/<parameter>".
public struct Adam: Optimizer, Sendable {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public private(set) var step = 0
    private var moments: [String: Moments] = [:]

    /// A parameter's moment estimates and update count.
    struct Moments: Sendable {
        var updates: Int
        var first: Tensor
        var second: Tensor
    }

    static let kind = "Adam"

    /// - Parameters:
    ///   - learningRate: the step size, >= 0.
    ///   - beta1, beta2: the decay rates of the first and second moment estimates, in [0, 1).
    ///   - epsilon: added to the denominator, >= 0.
    ///   - weightDecay: the weight decay factor, >= 0.
    ///   - decoupledWeightDecay: AdamW: shrink the parameters by `learningRate * weightDecay` instead of adding
    ///     `weightDecay * p` to the gradient.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        if let (name, problem) = Self.problem(learningRate: learningRate, beta1: beta1, beta2: beta2,
                                              epsilon: epsilon, weightDecay: weightDecay) {
            preconditionFailure("Adam: \(name) \(problem)")
        }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// The first hyperparameter out of range and why, or nil.
    static func problem(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
        -> (name: String, problem: String)? {
        if !(learningRate >= 0) { return ("learningRate", "must be >= 0") }
        if !(beta1 >= 0 && beta1 < 1) { return ("beta1", "must be in [0, 1)") }
        if !(beta2 >= 0 && beta2 < 1) { return ("beta2", "must be in [0, 1)") }
        if !(epsilon >= 0) { return ("epsilon", "must be >= 0") }
        if !(weightDecay >= 0) { return ("weightDecay", "must be >= 0") }
        return nil
    }

    public mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) {
        step += 1
        let beta1 = beta1, beta2 = beta2, epsilon = epsilon
        let l2 = decoupledWeightDecay ? 0 : weightDecay
        // Scalars in Double, as PyTorch computes them in Python.
        let shrink = Float(1 - Double(learningRate) * Double(decoupledWeightDecay ? weightDecay : 0))
        for (name, gradient) in gradients {
            guard let index = parameters.index(forKey: name) else { continue }
            checkShapes(parameters.values[index], gradient, name, "Adam")
            // Moved out of the table, so that the moments are written in place.
            var state = moments.removeValue(forKey: name)
                ?? Moments(updates: 0, first: Tensor.zeros(gradient.shape), second: Tensor.zeros(gradient.shape))
            state.updates += 1
            let t = Double(state.updates)
            let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
            let correction2 = Float((1 - pow(Double(beta2), t)).squareRoot())
            gradient.withUnsafeBufferPointer { g in
                parameters.values[index].withUnsafeMutableBufferPointer { p in
                    state.first.withUnsafeMutableBufferPointer { m in
                        state.second.withUnsafeMutableBufferPointer { v in
                            for i in 0..<p.count {
                                let d = g[i] + l2 * p[i]
                                p[i] *= shrink
                                m[i] += (1 - beta1) * (d - m[i])
                                v[i] = beta2 * v[i] + (1 - beta2) * d * d
                                p[i] -= stepSize * (m[i] / (v[i].squareRoot() / correction2 + epsilon))
                            }
                        }
                    }
                }
            }
            moments[name] = state
        }
    }

    public func state() -> OptimizerState {
        var state = OptimizerState(kind: Self.kind, step: step, scalars: [
            "learningRate": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2),
            "epsilon": Double(epsilon), "weightDecay": Double(weightDecay),
            "decoupledWeightDecay": decoupledWeightDecay ? 1 : 0,
        ])
        for (name, entry) in moments {
            record(parameter: name, updates: entry.updates,
                   slots: [("adam.m", entry.first), ("adam.v", entry.second)], into: &state)
        }
        return state
    }

    public mutating func load(_ state: OptimizerState, parameters: [String: Tensor]) throws {
        let reader = try OptimizerStateReader(state, kind: Self.kind, parameters: parameters)
        let learningRate = try reader.float("learningRate"), beta1 = try reader.float("beta1")
        let beta2 = try reader.float("beta2"), epsilon = try reader.float("epsilon")
        let weightDecay = try reader.float("weightDecay"), decoupled = try reader.bool("decoupledWeightDecay")
        try reader.check(Self.problem(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                      weightDecay: weightDecay))
        var loaded = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                          weightDecay: weightDecay, decoupledWeightDecay: decoupled)
        loaded.step = state.step
        for (name, entry) in try reader.perParameterState(slots: ["adam.m", "adam.v"]) {
            guard let first = entry.tensors["adam.m"], let second = entry.tensors["adam.v"] else { continue }
            loaded.moments[name] = Moments(updates: entry.updates, first: first, second: second)
        }
        self = loaded
    }
}
