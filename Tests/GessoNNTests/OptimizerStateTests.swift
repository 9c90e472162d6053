import Foundation
import Testing
@testable import GessoOptim
import TensorCore

/// Saving and restoring optimizer state, checks on what is restored, and parameters without gradients. The
/// problem and the configurations are those of the PyTorch reference (Fixtures/optimizers/reference.json).
@Suite struct OptimizerStateTests {
    static let names = OptimizerReferenceTests.names

    /// Runs `steps` updates on the reference problem.
    static func train(_ optimizer: inout any Optimizer, _ parameters: inout [String: Tensor], steps: Int,
                      _ reference: OptimizerReference) {
        for _ in 0..<steps {
            optimizer.update(&parameters, with: reference.lossAndGradients(parameters).gradients)
        }
    }

    @Test(arguments: names)
    func stateThenLoadContinuesExactly(_ name: String) throws {
        let reference = try OptimizerReference.load()
        let configuration = try #require(reference.configurations.first { $0.name == name })
        var optimizer = try configuration.makeOptimizer()
        var parameters = reference.initialParameters
        Self.train(&optimizer, &parameters, steps: 2, reference)
        let saved = optimizer.state(), savedParameters = parameters

        // The uninterrupted run goes on first: the saved state must not change when the optimizer does.
        Self.train(&optimizer, &parameters, steps: 3, reference)

        // A fresh optimizer of the same kind with other hyperparameters: load() restores them too.
        var resumed = try OptimizerTesting.makeOptimizer(configuration.optimizer, options: ["learningRate": .number(0.5)])
        var resumedParameters = savedParameters
        try resumed.load(saved, parameters: resumedParameters)
        #expect(resumed.step == 2)
        #expect(resumed.learningRate == optimizer.learningRate)
        Self.train(&resumed, &resumedParameters, steps: 3, reference)

        #expect(resumed.step == optimizer.step)
        for name in ["W", "b"] {
            // Exactly: the same arithmetic on the same numbers.
            #expect(resumedParameters[name]?.scalars == parameters[name]?.scalars, "\(configuration.name) \(name)")
        }
        let state = optimizer.state(), resumedState = resumed.state()
        #expect(resumedState.scalars == state.scalars)
        #expect(resumedState.tensors.keys.sorted() == state.tensors.keys.sorted())
        for (key, tensor) in state.tensors {
            #expect(resumedState.tensors[key]?.scalars == tensor.scalars, "\(configuration.name) \(key)")
        }
    }

    @Test func stateNamesTensorsByParameter() {
        var parameters = ["fc.weight": Tensor.zeros([2, 2]), "fc.bias": Tensor.zeros([2])]
        let gradients = ["fc.weight": Tensor.ones([2, 2]), "fc.bias": Tensor.ones([2])]
        var sgd = SGD(learningRate: 0.1, momentum: 0.9)
        var adam = Adam()
        var rmsprop = RMSProp(momentum: 0.5, centered: true)
        sgd.update(&parameters, with: gradients)
        adam.update(&parameters, with: gradients)
        rmsprop.update(&parameters, with: gradients)
        #expect(sgd.state().kind == "SGD")
        #expect(sgd.state().tensors.keys.sorted() == ["momentum/fc.bias", "momentum/fc.weight"])
        #expect(adam.state().tensors.keys.sorted() == ["adam.m/fc.bias", "adam.m/fc.weight", "adam.v/fc.bias", "adam.v/fc.weight"])
        #expect(rmsprop.state().tensors.keys.sorted() == ["rmsprop.mean/fc.bias", "rmsprop.mean/fc.weight",
                                                          "rmsprop.momentum/fc.bias", "rmsprop.momentum/fc.weight",
                                                          "rmsprop.square/fc.bias", "rmsprop.square/fc.weight"])
        #expect(adam.state().scalars["updates/fc.weight"] == 1)
        #expect(SGD(learningRate: 0.1).state().tensors.isEmpty)
        // A checkpoint may hold the state before any step.
        var fresh = Adam(learningRate: 0.5)
        #expect(throws: Never.self) { try fresh.load(Adam().state(), parameters: parameters) }
        #expect(fresh.learningRate == 1e-3)
    }

    // MARK: - load() refuses a state that does not fit

    /// Adam after one step on the reference problem, with its parameters.
    static func adamState() throws -> (OptimizerState, [String: Tensor]) {
        let reference = try OptimizerReference.load()
        var adam = Adam(learningRate: 0.05)
        var parameters = reference.initialParameters
        adam.update(&parameters, with: reference.lossAndGradients(parameters).gradients)
        return (adam.state(), parameters)
    }

    /// Expects `load` to throw `expected`, with a message that names `mentioning`, and to leave a fresh
    /// optimizer as it was.
    static func expectLoadFails<O: Optimizer>(_ optimizer: O, _ state: OptimizerState, _ parameters: [String: Tensor],
                                              _ expected: OptimizerStateError, mentioning: String,
                                              sourceLocation: SourceLocation = #_sourceLocation) {
        var optimizer = optimizer
        let before = optimizer.state()
        do {
            try optimizer.load(state, parameters: parameters)
            Issue.record("load succeeded; expected \(expected)", sourceLocation: sourceLocation)
        } catch let error as OptimizerStateError {
            #expect(error == expected, sourceLocation: sourceLocation)
            #expect(error.description.contains(mentioning), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        let after = optimizer.state()
        #expect(after.step == before.step && after.scalars == before.scalars && after.tensors.isEmpty,
                "a failed load changed the optimizer", sourceLocation: sourceLocation)
    }

    @Test func loadRefusesAMissingTensor() throws {
        var (state, parameters) = try Self.adamState()
        state.tensors["adam.v/W"] = nil
        Self.expectLoadFails(Adam(), state, parameters, .missingTensor(name: "adam.v/W", shape: [3, 4]),
                             mentioning: "'adam.v/W' (shape [3, 4]) is missing")

        var sgd = SGD(learningRate: 0.1, momentum: 0.9)
        sgd.update(&parameters, with: ["b": Tensor.ones([3])])
        var sgdState = sgd.state()
        sgdState.tensors["momentum/b"] = nil
        Self.expectLoadFails(SGD(learningRate: 0.1), sgdState, parameters, .missingTensor(name: "momentum/b", shape: [3]),
                             mentioning: "momentum/b")
    }

    @Test func loadRefusesAWrongShape() throws {
        var (state, parameters) = try Self.adamState()
        state.tensors["adam.m/b"] = Tensor.zeros([4])
        Self.expectLoadFails(Adam(), state, parameters, .wrongShape(name: "adam.m/b", expected: [3], found: [4]),
                             mentioning: "'adam.m/b' has shape [4], but its parameter has shape [3]")

        // The state fits, the parameters do not (another model).
        let (goodState, _) = try Self.adamState()
        var otherModel = parameters
        otherModel["W"] = Tensor.zeros([4, 3])
        Self.expectLoadFails(Adam(), goodState, otherModel, .wrongShape(name: "adam.m/W", expected: [4, 3], found: [3, 4]),
                             mentioning: "adam.m/W")
    }

    @Test func loadRefusesOtherOptimizersAndParameters() throws {
        let (state, parameters) = try Self.adamState()
        Self.expectLoadFails(SGD(learningRate: 0.1), state, parameters, .wrongKind(expected: "SGD", found: "Adam"),
                             mentioning: "saved by Adam")

        var withoutB = parameters
        withoutB["b"] = nil
        Self.expectLoadFails(Adam(), state, withoutB, .unknownParameter("b"), mentioning: "'b'")

        var missingBeta = state
        missingBeta.scalars["beta2"] = nil
        Self.expectLoadFails(Adam(), missingBeta, parameters, .missingScalar("beta2"), mentioning: "'beta2'")

        var extra = state
        extra.tensors["adam.m/c"] = Tensor.zeros([2])
        Self.expectLoadFails(Adam(), extra, parameters, .unexpectedTensor("adam.m/c"), mentioning: "adam.m/c")

        var badBeta = state
        badBeta.scalars["beta1"] = 1.5
        Self.expectLoadFails(Adam(), badBeta, parameters,
                             .invalidScalar(name: "beta1", value: 1.5, problem: "must be in [0, 1)"), mentioning: "beta1")

        // A centered RMSProp state has running means that a plain one would not use, and lacks nothing else.
        var rmsprop = RMSProp(centered: true)
        var rmspropParameters = parameters
        rmsprop.update(&rmspropParameters, with: ["b": Tensor.ones([3])])
        var uncentered = rmsprop.state()
        uncentered.scalars["centered"] = 0
        Self.expectLoadFails(RMSProp(), uncentered, parameters, .unexpectedTensor("rmsprop.mean/b"),
                             mentioning: "rmsprop.mean/b")
    }

    // MARK: - Parameters without gradients

    @Test(arguments: names)
    func parametersWithoutGradientsAreUntouched(_ name: String) throws {
        let reference = try OptimizerReference.load()
        let configuration = try #require(reference.configurations.first { $0.name == name })
        var optimizer = try configuration.makeOptimizer()
        var parameters = reference.initialParameters
        let initial = parameters
        for _ in 0..<2 {
            let gradients = reference.lossAndGradients(parameters).gradients
            // Only W has a gradient; a gradient without a parameter is ignored.
            optimizer.update(&parameters, with: ["W": gradients["W"]!, "unused": Tensor.ones([7])])
        }
        #expect(parameters["b"]?.scalars == initial["b"]?.scalars, "weight decay or momentum moved b")
        #expect(parameters["W"]?.scalars != initial["W"]?.scalars)
        #expect(parameters.keys.sorted() == ["W", "b"])
        #expect(!optimizer.state().tensors.keys.contains { $0.hasSuffix("/b") })
        #expect(optimizer.state().scalars["updates/b"] == nil)

        // b's first update, after two steps without a gradient, is a first update as in PyTorch (fresh momentum
        // buffer, bias correction of step 1): the same as a fresh optimizer's.
        let gradient = reference.lossAndGradients(parameters).gradients["b"]!
        var fresh = try configuration.makeOptimizer()
        var alone = ["b": parameters["b"]!]
        fresh.update(&alone, with: ["b": gradient])
        optimizer.update(&parameters, with: ["b": gradient])
        #expect(parameters["b"]?.scalars == alone["b"]?.scalars)
    }

    @Test(arguments: names)
    func updatesWriteTheParametersOwnBuffers(_ name: String) throws {
        let reference = try OptimizerReference.load()
        let configuration = try #require(reference.configurations.first { $0.name == name })
        var optimizer = try configuration.makeOptimizer()
        var parameters = reference.initialParameters
        for _ in 0..<2 {
            let gradients = reference.lossAndGradients(parameters).gradients
            let before = parameters["W"]!.withUnsafeBufferPointer { $0.baseAddress }
            optimizer.update(&parameters, with: gradients)
            // The dictionary holds the only reference, so an in-place update keeps the buffer.
            #expect(parameters["W"]!.withUnsafeBufferPointer { $0.baseAddress } == before)
        }
    }
}
