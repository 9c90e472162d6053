/// Layers applied in order. Parameters are named by position: "0.weight", "3.bias", ...
public struct Sequential: Layer {
    public var layers: [any Layer]
    public init(_ layers: [any Layer]) { self.layers = layers }

    public var parameters: [String: Tensor] {
        get { collect(\.parameters) }
        set { distribute(\.parameters, newValue) }
    }

    public var buffers: [String: Tensor] {
        get { collect(\.buffers) }
        set { distribute(\.buffers, newValue) }
    }

    /// The children's tensors, named "index.name".
    private func collect(_ part: KeyPath<any Layer, [String: Tensor]>) -> [String: Tensor] {
        var all: [String: Tensor] = [:]
        for (i, l) in layers.enumerated() { all.merge(prefixed(l[keyPath: part], "\(i)")) { a, _ in a } }
        return all
    }

    /// Hands "index.name" tensors to their children (each name must exist, with its shape).
    private mutating func distribute(_ part: WritableKeyPath<any Layer, [String: Tensor]>, _ tensors: [String: Tensor]) {
        for i in layers.indices {
            let mine = unprefixed(tensors, "\(i)")
            if mine.isEmpty { continue }
            var current = layers[i][keyPath: part]
            assign(&current, mine, layer: "layer \(i)")
            layers[i][keyPath: part] = current
        }
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        var x = input
        for i in layers.indices { x = layers[i](x, context: &context) }
        return x
    }

    /// The output shape after each layer for an input shape (runs a zero batch in inference).
    public func layerShapes(input shape: [Int]) -> [(name: String, shape: [Int])] {
        var copy = self
        var x = Tensor.zeros(shape)
        var context = LayerContext(training: false)
        return withoutGradients {
            copy.layers.indices.map { i in
                x = copy.layers[i](x, context: &context)
                return ("\(i) \(type(of: copy.layers[i]))", x.shape)
            }
        }
    }
}

/// A residual block: `body(x) + shortcut(x)` (shortcut: identity unless given, e.g. a 1x1 conv to match channels).
public struct Residual: Layer {
    public var body: Sequential
    public var shortcut: Sequential?
    public init(_ body: Sequential, shortcut: Sequential? = nil) { self.body = body; self.shortcut = shortcut }

    public var parameters: [String: Tensor] {
        get { prefixed(body.parameters, "body").merging(prefixed(shortcut?.parameters ?? [:], "shortcut")) { a, _ in a } }
        set {
            body.parameters = unprefixed(newValue, "body")
            if shortcut != nil { shortcut!.parameters = unprefixed(newValue, "shortcut") }
        }
    }
    public var buffers: [String: Tensor] {
        get { prefixed(body.buffers, "body").merging(prefixed(shortcut?.buffers ?? [:], "shortcut")) { a, _ in a } }
        set {
            body.buffers = unprefixed(newValue, "body")
            if shortcut != nil { shortcut!.buffers = unprefixed(newValue, "shortcut") }
        }
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        let main = body(input, context: &context)
        let skip = shortcut != nil ? shortcut!(input, context: &context) : input
        precondition(main.shape == skip.shape, "Residual: body gives \(main.shape) but the shortcut \(skip.shape)")
        return main + skip
    }
}
