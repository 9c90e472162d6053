import GessoNN

/// The new classifier on top of a pre-trained backbone (transfer learning): dropout, then one fully connected layer
/// from the backbone's embedding to the classes, trained with softmax cross-entropy on cached features.
///
/// Frozen backbone (`tail` nil): input `[N, 1, 1, features]` (an embedding stored as a 1x1 "image", so that data
/// sets, batches, the `ClassifierTrainer` and its checkpoints serve embeddings unchanged) -> Flatten, Dropout, Dense.
/// With the last blocks unfrozen (`tail` given, see `EfficientNetLite0.tail(fromBlock:)`): input the cached features
/// at the tail's first block, `[N, h, w, c]` -> the tail (batch-norm statistics kept frozen) `[N, features]`,
/// Dropout, Dense. Output logits `[N, classes]`. Names: `0.*` the tail, `2.weight` `[features, classes]`, `2.bias`.
public enum TransferHead {
    /// A fresh head (Glorot-uniform weights, zero biases) for `features`-d embeddings and `classes` outputs.
    ///
    /// - Parameters:
    ///   - dropout: the share of embedding features dropped in training (0.2, as TensorFlow's transfer-learning
    ///     tutorial puts before its new `Dense` layer; 0 for none).
    ///   - tail: the backbone's last blocks and head, trained with the new layer (nil: the backbone stays frozen).
    public static func make(features: Int = EfficientNetLite0.embeddingSize, classes: Int, dropout: Float = 0.2,
                            tail: Sequential? = nil, seed: UInt64) -> Sequential {
        var g = RandomGenerator(seed: seed)
        let body: any Layer = if let tail { FrozenStatistics(tail) } else { Flatten() }
        return Sequential([
            body,                                                                   // [N, features]
            Dropout(rate: dropout),
            Dense(inputs: features, outputs: classes, using: &g),                   // [N, classes]
        ])
    }
}

/// A layer run with its batch-norm statistics frozen (inference mode) even in training, the usual way to fine-tune a
/// pre-trained network on small batches (Keras' transfer-learning guide keeps BatchNormalization in inference
/// mode); its parameters still train. Names are the inner layer's.
public struct FrozenStatistics: Layer {
    public var inner: Sequential
    public init(_ inner: Sequential) { self.inner = inner }

    public var parameters: [String: Tensor] {
        get { inner.parameters }
        set { inner.parameters = newValue }
    }
    public var buffers: [String: Tensor] {
        get { inner.buffers }
        set { inner.buffers = newValue }
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        var frozen = LayerContext(training: false, random: context.random)
        let y = inner(input, context: &frozen)
        context.random = frozen.random
        return y
    }
}

extension EfficientNetLite0 {
    /// The activations at the input of block `first` (0-16; 16: after the last block), in inference mode:
    /// `[N, H, W, 3]` -> e.g. `[N, 7, 7, 192]` for 224 x 224 images and `first` 12-15.
    public func features(_ images: Tensor, beforeBlock first: Int) -> Tensor {
        precondition((0...blocks.layers.count).contains(first), "features: block \(first) outside 0...\(blocks.layers.count)")
        let front = Sequential(([stem] as [any Layer]) + blocks.layers[..<first])
        return front.inference(images)
    }

    /// Blocks `first`..<16 and the head (1x1 conv to 1280, BN, ReLU6, global average pool) as one network, with
    /// these weights: `features(x, beforeBlock: first)` -> the embedding `[N, 1280]`.
    public func tail(fromBlock first: Int) -> Sequential {
        precondition((0...blocks.layers.count).contains(first), "tail: block \(first) outside 0...\(blocks.layers.count)")
        return Sequential(Array(blocks.layers[first...]) + head.layers)   // [N, 1280]
    }
}
