import Foundation
import Testing
@testable import GessoOptim
import TensorCore

/// Reproduces five steps of PyTorch's SGD, Adam, AdamW and RMSprop on the least-squares problem of
/// Fixtures/optimizers/reference.json (written by make_reference.py there, from torch in float32): each step
/// computes the loss's gradient here with TensorCore's autodiff and compares W and b with torch's.
///
/// Tolerance: |got - want| <= 1e-5 + 1e-4 |want|. Both sides run in float32 but round differently: the matmul
/// and the gradient's sums add in another order, torch computes `1 - beta` and the bias corrections from
/// Python doubles, and its lerp and addcdiv fuse differently. Each step moves results by a few ulps, and the
/// optimizers carry that forward (Adam and RMSProp divide by the gradient's running size, which amplifies it
/// where an element is small; the script checks every gradient element stays >= 1e-3 away from 0). Over the
/// five steps the largest difference seen is 3.3e-7 (centered RMSProp with momentum; 1.2e-7 or less for the
/// others), thirty times inside the 1e-5 absolute part alone, which also covers parameters that pass near 0
/// (relative differences there are large). A wrong formula (bias correction, first momentum step, the centered
/// variance) moves results by 5e-4 or more: each of those mutations fails this test.
@Suite struct OptimizerReferenceTests {
    static let names = (try? OptimizerReference.load())?.configurations.map(\.name) ?? []

    @Test func theReferenceHasEveryConfiguration() throws {
        let reference = try OptimizerReference.load()
        #expect(reference.configurations.map(\.name) == ["sgd", "sgd-momentum", "sgd-nesterov-weight-decay", "adam",
                                                          "adamw", "rmsprop", "rmsprop-centered-momentum"])
        #expect(reference.configurations.allSatisfy { $0.steps.count == 5 })
    }

    @Test(arguments: names)
    func matchesPyTorch(_ name: String) throws {
        let reference = try OptimizerReference.load()
        let configuration = try #require(reference.configurations.first { $0.name == name })
        var optimizer = try configuration.makeOptimizer()
        var parameters = reference.initialParameters
        for (index, want) in configuration.steps.enumerated() {
            let (loss, gradients) = reference.lossAndGradients(parameters)
            // The loss before step index + 1, which torch recorded with it: checks the problem, not the optimizer.
            OptimizerTesting.expectClose(loss, Tensor(shape: [], scalars: [want.loss]), "\(name) loss before step \(index + 1)")
            optimizer.update(&parameters, with: gradients)
            #expect(optimizer.step == index + 1)
            for (parameter, values) in [("W", want.W), ("b", want.b)] {
                let got = try #require(parameters[parameter])
                OptimizerTesting.expectClose(got, Tensor(shape: got.shape, scalars: values),
                                             "\(name) \(parameter) after step \(index + 1)")
            }
        }
    }
}

/// Fixtures/optimizers/reference.json (format: make_reference.py).
struct OptimizerReference: Decodable {
    struct Values: Decodable {
        let shape: [Int]
        let values: [Float]
        var tensor: Tensor { Tensor(shape: shape, scalars: values) }
    }
    struct Step: Decodable {
        let loss: Float
        let W: [Float]
        let b: [Float]
    }
    /// An option's value: a flag or a number.
    enum Option: Decodable {
        case flag(Bool), number(Float)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { self = .flag(flag) } else { self = .number(try container.decode(Float.self)) }
        }
    }
    struct Configuration: Decodable {
        let name: String
        let optimizer: String
        let options: [String: Option]
        let steps: [Step]

        /// The optimizer the record describes (its options are Gesso's names; absent ones take the defaults).
        func makeOptimizer() throws -> any Optimizer {
            try OptimizerTesting.makeOptimizer(optimizer, options: options)
        }
    }

    let initial: [String: Values]
    let x: Values
    let t: Values
    let configurations: [Configuration]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/optimizers/reference.json")

    static func load() throws -> OptimizerReference {
        try JSONDecoder().decode(OptimizerReference.self, from: Data(contentsOf: url))
    }

    var initialParameters: [String: Tensor] { initial.mapValues(\.tensor) }

    /// sum((x @ W.T + b - t)^2) and its gradients with respect to W and b.
    func lossAndGradients(_ parameters: [String: Tensor]) -> (loss: Tensor, gradients: [String: Tensor]) {
        let x = x.tensor, t = t.tensor
        let (loss, gradients) = valueWithGradients(at: [parameters["W"]!, parameters["b"]!]) { v in
            (Tensor.matmul(x, v[0], transposeB: true) + v[1] - t).squared().sum()
        }
        return (loss, ["W": gradients[0], "b": gradients[1]])
    }
}

/// Helpers for the optimizer tests.
enum OptimizerTesting {
    struct UnknownOptimizer: Error { let name: String }

    /// An optimizer from Gesso's option names, as the reference file records them.
    static func makeOptimizer(_ kind: String, options: [String: OptimizerReference.Option]) throws -> any Optimizer {
        func number(_ key: String, _ otherwise: Float) -> Float {
            if case let .number(value)? = options[key] { return value }
            return otherwise
        }
        func flag(_ key: String) -> Bool {
            if case let .flag(value)? = options[key] { return value }
            return false
        }
        switch kind {
        case "SGD":
            return SGD(learningRate: number("learningRate", 0.01), momentum: number("momentum", 0),
                       nesterov: flag("nesterov"), weightDecay: number("weightDecay", 0))
        case "Adam":
            return Adam(learningRate: number("learningRate", 1e-3), beta1: number("beta1", 0.9),
                        beta2: number("beta2", 0.999), epsilon: number("epsilon", 1e-8),
                        weightDecay: number("weightDecay", 0), decoupledWeightDecay: flag("decoupledWeightDecay"))
        case "RMSProp":
            return RMSProp(learningRate: number("learningRate", 1e-2), alpha: number("alpha", 0.99),
                           epsilon: number("epsilon", 1e-8), momentum: number("momentum", 0),
                           centered: flag("centered"), weightDecay: number("weightDecay", 0))
        default:
            throw UnknownOptimizer(name: kind)
        }
    }

    /// Checks shapes first, then every element against `|got - want| <= atol + rtol * |want|` (by default the
    /// reference test's bar, see OptimizerReferenceTests), reporting the worst element at the caller's line.
    static func expectClose(_ got: Tensor, _ want: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard got.shape == want.shape else {
            Issue.record("\(what): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
            return
        }
        let g = got.scalars, w = want.scalars
        var worst = -1, worstExcess: Float = 0, failures = 0
        for i in g.indices {
            let error = abs(g[i] - w[i]), allowed = atol + rtol * abs(w[i])
            if !(error <= allowed) {
                failures += 1
                if worst < 0 || error - allowed > worstExcess { worst = i; worstExcess = error - allowed }
            }
        }
        if failures > 0 {
            Issue.record("\(what): \(failures) of \(g.count) elements outside \(atol) + \(rtol)·|want|; worst at flat index \(worst): got \(g[worst]), want \(w[worst])",
                         sourceLocation: sourceLocation)
        }
    }
}
