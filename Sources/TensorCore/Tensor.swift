import Foundation
import GessoKernels

/// An n-dimensional array of Float32 with value semantics (copy-on-write). Images are NHWC
/// (`[batch, height, width, channels]`), as in TensorFlow and the lecture.
///
/// A tensor produced from tensors that are being differentiated carries a node of the gradient tape (see
/// `Tensor+Autodiff.swift`); everything else is plain data.
public struct Tensor: @unchecked Sendable {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    var storage: TensorStorage
    var node: TapeNode?

    /// The number of elements.
    public var count: Int { storage.count }
    /// The number of axes.
    public var rank: Int { shape.count }

    init(shape: [Int], storage: TensorStorage, node: TapeNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// An uninitialised tensor, for ops that write every element.
    init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitializedShape: shape)
        storage.buffer.initialize(repeating: value)
    }

    /// A tensor from row-major scalars; their count must equal the product of the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) holds \(shape.reduce(1, *)) elements but \(scalars.count) were given")
        self.init(uninitializedShape: shape)
        _ = storage.buffer.initialize(from: scalars)
    }

    /// A rank-0 tensor.
    public init(_ scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// A rank-1 tensor.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// The elements in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The single element of a tensor of one element.
    public var scalar: Float {
        precondition(count == 1, "scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Read access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Write access to the elements; copies first if the buffer is shared (copy-on-write). The result is a
    /// plain value: a write detaches the tensor from the gradient tape.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(count: storage.count)
            copy.pointer.update(from: storage.pointer, count: storage.count)
            storage = copy
        }
        storage.touch()
        node = nil
        var buffer = storage.buffer
        return try body(&buffer)
    }

    /// The contents' version (see `TensorStorage.version`): changes whenever the elements do.
    var version: UInt64 { storage.version }

    var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let s = scalars
        let shown = s.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)(\(shown)\(s.count > 8 ? ", ..." : ""))"
    }
}

/// Formats a shape as TensorFlow prints it in messages: `[2, 3, 4]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
