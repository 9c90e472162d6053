import TensorCore

/// Updates named parameters from gradients of the same names, with PyTorch's semantics for each rule.
///
/// Parameters and gradients are `[String: Tensor]` keyed by parameter name ("conv1.weight"); a gradient must
/// have its parameter's shape. Per-parameter state (momentum buffers, moment estimates) is created the first
/// time a parameter gets a gradient, as in PyTorch, so a parameter that never gets one costs nothing.
public protocol Optimizer {
    /// The learning rate of the next step (before any schedule; trainers set it each step from a schedule).
    var learningRate: Float { get set }
    /// Steps taken so far.
    var step: Int { get }
    /// Updates every parameter that has a gradient, in place (in the parameters' own buffers). Parameters
    /// without a gradient are left untouched, and gradients without a parameter are ignored.
    mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor])
    /// Everything needed to resume exactly: named tensors (e.g. "momentum/conv1.weight", "adam.m/fc.weight")
    /// plus scalar hyperparameters and the step.
    func state() -> OptimizerState
    /// Restores `state()`, hyperparameters included; throws `OptimizerStateError` (describing what is missing
    /// or mis-shaped) if it does not fit this optimizer and these parameters, and then changes nothing.
    mutating func load(_ state: OptimizerState, parameters: [String: Tensor]) throws
}

/// An optimizer's resumable state, in a form a checkpoint can store: named tensors and named numbers.
///
/// Layout: `kind` names the optimizer ("SGD", "Adam", "RMSProp"); `scalars` holds the hyperparameters
/// ("learningRate", "momentum", ...; booleans as 0 or 1) and, for each parameter that has per-parameter state,
/// "updates/<parameter>": how many updates it has had; `tensors` holds that state, "<slot>/<parameter>", each of
/// its parameter's shape.
public struct OptimizerState: Sendable {
    public var kind: String
    public var step: Int
    public var scalars: [String: Double]
    public var tensors: [String: Tensor]

    public init(kind: String, step: Int, scalars: [String: Double] = [:], tensors: [String: Tensor] = [:]) {
        self.kind = kind
        self.step = step
        self.scalars = scalars
        self.tensors = tensors
    }
}

/// Why an `OptimizerState` does not fit an optimizer and its parameters.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    /// The state was saved by another optimizer.
    case wrongKind(expected: String, found: String)
    /// A hyperparameter or count is absent.
    case missingScalar(String)
    /// A hyperparameter or count has a value this optimizer cannot take.
    case invalidScalar(name: String, value: Double, problem: String)
    /// Per-parameter state for a parameter that is not among the parameters given to `load`.
    case unknownParameter(String)
    /// A tensor the state should hold for a parameter is absent.
    case missingTensor(name: String, shape: [Int])
    /// A state tensor's shape differs from its parameter's.
    case wrongShape(name: String, expected: [Int], found: [Int])
    /// A tensor this optimizer, with these hyperparameters, does not use.
    case unexpectedTensor(String)

    public var description: String {
        let advice = "resume with the optimizer options and the model the checkpoint was written with"
        switch self {
        case let .wrongKind(expected, found):
            return "optimizer state: saved by \(found), cannot be loaded into \(expected); \(advice)"
        case let .missingScalar(name):
            return "optimizer state: the number '\(name)' is missing; \(advice)"
        case let .invalidScalar(name, value, problem):
            return "optimizer state: '\(name)' is \(value), but \(problem)"
        case let .unknownParameter(name):
            return "optimizer state: it has state for parameter '\(name)', which the model does not have; \(advice)"
        case let .missingTensor(name, shape):
            return "optimizer state: the tensor '\(name)' (shape \(shape)) is missing; \(advice)"
        case let .wrongShape(name, expected, found):
            return "optimizer state: the tensor '\(name)' has shape \(found), but its parameter has shape \(expected); \(advice)"
        case let .unexpectedTensor(name):
            return "optimizer state: the tensor '\(name)' is not used by this optimizer with these options; \(advice)"
        }
    }
}

// MARK: - Support shared by the optimizers

/// Writes per-parameter state: the count "updates/<name>" and each slot "<slot>/<name>".
func record(parameter name: String, updates: Int, slots: [(String, Tensor?)], into state: inout OptimizerState) {
    state.scalars["updates/" + name] = Double(updates)
    for case let (slot, tensor?) in slots { state.tensors[slot + "/" + name] = tensor }
}

/// Reads an `OptimizerState` for `load`, checking it against the optimizer's kind and the parameters.
struct OptimizerStateReader {
    let state: OptimizerState
    let parameters: [String: Tensor]

    init(_ state: OptimizerState, kind: String, parameters: [String: Tensor]) throws {
        guard state.kind == kind else { throw OptimizerStateError.wrongKind(expected: kind, found: state.kind) }
        guard state.step >= 0 else {
            throw OptimizerStateError.invalidScalar(name: "step", value: Double(state.step), problem: "it must be >= 0")
        }
        self.state = state
        self.parameters = parameters
    }

    /// A hyperparameter as a Float (they are stored as the Doubles of Floats, so this is exact).
    func float(_ name: String) throws -> Float {
        guard let value = state.scalars[name] else { throw OptimizerStateError.missingScalar(name) }
        return Float(value)
    }

    /// A flag stored as 0 or 1.
    func bool(_ name: String) throws -> Bool {
        guard let value = state.scalars[name] else { throw OptimizerStateError.missingScalar(name) }
        guard value == 0 || value == 1 else {
            throw OptimizerStateError.invalidScalar(name: name, value: value, problem: "it must be 0 or 1")
        }
        return value == 1
    }

    /// Checks the hyperparameters as the optimizer's initialiser would (`problem` is nil when they fit).
    func check(_ problem: (name: String, problem: String)?) throws {
        guard let problem else { return }
        throw OptimizerStateError.invalidScalar(name: problem.name, value: state.scalars[problem.name] ?? .nan,
                                                problem: problem.problem)
    }

    /// The per-parameter state: for each parameter with a count "updates/<parameter>", that count and the
    /// tensors "<slot>/<parameter>" of each of `slots`, keyed by slot. Throws for state of a parameter not among
    /// the parameters, a missing or mis-shaped tensor, and any tensor that is not one of these.
    func perParameterState(slots: [String]) throws -> [String: (updates: Int, tensors: [String: Tensor])] {
        var result: [String: (updates: Int, tensors: [String: Tensor])] = [:]
        var used = 0
        // Sorted, so that of several problems the same one is always reported.
        for key in state.scalars.keys.sorted() where key.hasPrefix("updates/") {
            let name = String(key.dropFirst("updates/".count)), count = state.scalars[key] ?? 0
            guard let parameter = parameters[name] else { throw OptimizerStateError.unknownParameter(name) }
            guard count >= 1, count == count.rounded(), count <= Double(Int32.max) else {
                throw OptimizerStateError.invalidScalar(name: key, value: count, problem: "it must be a whole number >= 1")
            }
            var tensors: [String: Tensor] = [:]
            for slot in slots {
                let tensorName = slot + "/" + name
                guard let tensor = state.tensors[tensorName] else {
                    throw OptimizerStateError.missingTensor(name: tensorName, shape: parameter.shape)
                }
                guard tensor.shape == parameter.shape else {
                    throw OptimizerStateError.wrongShape(name: tensorName, expected: parameter.shape, found: tensor.shape)
                }
                tensors[slot] = tensor
                used += 1
            }
            result[name] = (Int(count), tensors)
        }
        if used != state.tensors.count {
            let expected = Set(result.keys.flatMap { name in slots.map { $0 + "/" + name } })
            let extra = state.tensors.keys.sorted().first { !expected.contains($0) } ?? ""
            throw OptimizerStateError.unexpectedTensor(extra)
        }
        return result
    }
}

/// The elements of an optional state buffer, written in place (nil when the buffer is not used).
func withElements<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutableBufferPointer<Float>?) -> R) -> R {
    guard tensor != nil else { return body(nil) }
    return tensor!.withUnsafeMutableBufferPointer { body($0) }
}

/// Fails (a programmer error) when a gradient's shape differs from its parameter's.
func checkShapes(_ parameter: Tensor, _ gradient: Tensor, _ name: String, _ optimizer: String) {
    precondition(parameter.shape == gradient.shape,
                 "\(optimizer): gradient of shape \(gradient.shape) for parameter '\(name)' of shape \(parameter.shape)")
}
