import TensorCore

/// Labelled images in memory.
///
/// `images` is `[N, H, W, C]` Float in [0, 1]; `labels[i]` is the class of image i, an index into `classNames`;
/// `sources[i]` says where it came from (a file path, or `file#index` for images packed in one file).
public struct LabeledImages: Sendable {
    public var images: Tensor
    public var labels: [Int]
    public var classNames: [String]
    public var sources: [String]

    public init(images: Tensor, labels: [Int], classNames: [String], sources: [String]) {
        precondition(images.rank == 4 && images.shape[0] == labels.count && labels.count == sources.count,
                     "LabeledImages: images \(images.shape) need shape [N, H, W, C] with N = \(labels.count) labels and \(sources.count) sources")
        precondition(labels.allSatisfy { $0 >= 0 && $0 < classNames.count },
                     "LabeledImages: labels must lie in 0..<\(classNames.count) (\(classNames.count) class names)")
        self.images = images
        self.labels = labels
        self.classNames = classNames
        self.sources = sources
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// The shape of one image: `[H, W, C]`.
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    /// How many images each class has, in `classNames` order.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The images at `indices`, in that order (an index may repeat).
    public subscript(indices: [Int]) -> LabeledImages {
        LabeledImages(images: gatherRows(images, indices), labels: indices.map { labels[$0] },
                      classNames: classNames, sources: indices.map { sources[$0] })
    }

    /// The labels as one-hot rows: `[N, classNames.count]`, 1 in the label's column, 0 elsewhere.
    public func oneHot() -> Tensor {
        oneHotRows(labels, classCount: classNames.count)
    }
}

/// One-hot rows `[labels.count, classCount]`.
func oneHotRows(_ labels: [Int], classCount: Int) -> Tensor {
    var t = Tensor.zeros([labels.count, classCount])
    t.withUnsafeMutableBufferPointer { b in
        for (i, label) in labels.enumerated() { b[i * classCount + label] = 1 }
    }
    return t
}

/// Rows of `tensor` (along its first axis) at `indices`, in that order: `[indices.count] + tensor.shape[1...]`.
func gatherRows(_ tensor: Tensor, _ indices: [Int]) -> Tensor {
    let rowShape = Array(tensor.shape.dropFirst())
    let rowSize = rowShape.reduce(1, *)
    let rows = tensor.shape[0]
    var out = Tensor.zeros([indices.count] + rowShape)
    tensor.withUnsafeBufferPointer { source in
        out.withUnsafeMutableBufferPointer { destination in
            for (i, row) in indices.enumerated() {
                precondition(row >= 0 && row < rows, "gatherRows: index \(row) outside shape \(tensor.shape)")
                guard rowSize > 0 else { continue }
                (destination.baseAddress! + i * rowSize).update(from: source.baseAddress! + row * rowSize, count: rowSize)
            }
        }
    }
    return out
}

/// Bytes 0-255 (or 0-`maximum`) as a tensor of `shape` scaled to [0, 1].
func scaledTensor<C: Collection>(_ bytes: C, shape: [Int], maximum: Float = 255) -> Tensor where C.Element == UInt8 {
    precondition(bytes.count == shape.reduce(1, *), "scaledTensor: \(bytes.count) bytes for shape \(shape)")
    let table = (0..<256).map { Float($0) / maximum }
    var out = Tensor.zeros(shape)
    out.withUnsafeMutableBufferPointer { b in
        var i = 0
        for byte in bytes { b[i] = table[Int(byte)]; i += 1 }
    }
    return out
}
