import Foundation
import GessoKernels

/// One recorded operation on the gradient tape: its inputs' nodes and how to turn the gradient of its output
/// into gradients of its inputs. The tape is the graph of these nodes hanging off the tensors themselves, so
/// it lives exactly as long as the tensors of a step do: nothing accumulates across steps.
final class TapeNode {
    let parents: [TapeNode?]
    /// Given dL/d(output), returns dL/d(input) for each parent (nil: no gradient flows there).
    let backward: ((Tensor) -> [Tensor?])?
    /// Creation order: a node's inputs always have smaller numbers, which gives the backward order.
    let order: UInt64

    init(parents: [TapeNode?], backward: ((Tensor) -> [Tensor?])?) {
        self.parents = parents
        self.backward = backward
        self.order = VersionCounter.next()
    }
}

/// Whether operations record themselves for differentiation on this task (see `withoutGradients`).
enum GradientMode {
    @TaskLocal static var isRecording = true
}

/// Runs `body` without recording anything for gradients: inference, optimizer updates, metrics.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isRecording.withValue(false, operation: body)
}

extension Tensor {
    /// This tensor as a leaf of the gradient tape: gradients can be taken with respect to it.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: TapeNode(parents: [], backward: nil))
    }

    /// The same values, cut off from the tape (TensorFlow's `tf.stop_gradient`).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Whether this tensor is on the gradient tape.
    public var isTracked: Bool { node != nil }

    /// Wraps an op's result: when any input is on the tape (and recording is on), the result gets a node whose
    /// backward maps dL/d(result) to dL/d(inputs) in the order given.
    static func record(_ result: Tensor, _ inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard inputs.contains(where: { $0.node != nil }), GradientMode.isRecording else { return result }
        return Tensor(shape: result.shape, storage: result.storage,
                      node: TapeNode(parents: inputs.map(\.node), backward: backward))
    }
}

/// Reverse-mode gradients of `output` with respect to each of `variables` (tensors made with
/// `requiringGradient()`, or anything computed on the way). `seed` is dL/d(output); by default ones, which for
/// a scalar loss gives the ordinary gradient. A variable the output does not depend on gets zeros. Gradients
/// of a tensor used several times are summed.
public func gradients(of output: Tensor, withRespectTo variables: [Tensor], seed: Tensor? = nil) -> [Tensor] {
    let seedValue = seed ?? Tensor.ones(output.shape)
    precondition(seedValue.shape == output.shape,
                 "gradients: seed of shape \(describe(seedValue.shape)) for output of shape \(describe(output.shape))")
    guard let root = output.node else { return variables.map { Tensor.zeros($0.shape) } }

    // Every node reachable from the output, processed newest first (reverse creation order is a valid
    // reverse topological order, because inputs are always created before the ops that use them).
    var seen = Set<ObjectIdentifier>()
    var nodes: [TapeNode] = []
    var stack = [root]
    while let n = stack.popLast() {
        guard seen.insert(ObjectIdentifier(n)).inserted else { continue }
        nodes.append(n)
        for case let p? in n.parents { stack.append(p) }
    }
    nodes.sort { $0.order > $1.order }

    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seedValue.detached()]
    let wanted = Set(variables.compactMap { $0.node.map(ObjectIdentifier.init) })
    withoutGradients {
        for n in nodes {
            let id = ObjectIdentifier(n)
            guard let g = grads[id] else { continue }
            guard let backward = n.backward else { continue }
            if !wanted.contains(id) { grads[id] = nil }  // free intermediate gradients as soon as they are used
            let inputGrads = backward(g)
            for (p, pg) in zip(n.parents, inputGrads) {
                guard let p, let pg else { continue }
                let pid = ObjectIdentifier(p)
                if let existing = grads[pid] {
                    grads[pid] = existing.adding(pg)
                } else {
                    grads[pid] = pg
                }
            }
        }
    }
    return variables.map { v in
        guard let n = v.node, let g = grads[ObjectIdentifier(n)] else { return Tensor.zeros(v.shape) }
        return g
    }
}

/// The value of `f` at `variables` and its gradients with respect to them (each variable is put on the tape
/// for the call). `f` must return a scalar or pass a `seed` of its shape.
public func valueWithGradients(at variables: [Tensor], seed: Tensor? = nil,
                               _ f: ([Tensor]) -> Tensor) -> (value: Tensor, gradients: [Tensor]) {
    let tracked = variables.map { $0.requiringGradient() }
    let value = GradientMode.$isRecording.withValue(true) { f(tracked) }
    return (value.detached(), gradients(of: value, withRespectTo: tracked, seed: seed))
}

extension Tensor {
    /// Elementwise sum of two tensors of the same shape, outside the tape (gradient accumulation).
    func adding(_ other: Tensor) -> Tensor {
        precondition(shape == other.shape, "gradient accumulation: shapes \(describe(shape)) and \(describe(other.shape))")
        var out = Tensor(uninitializedShape: shape)
        out.storage.pointer.update(from: storage.pointer, count: count)
        axpy(1, other.pointer, out.storage.pointer, count: count)
        return out
    }
}
