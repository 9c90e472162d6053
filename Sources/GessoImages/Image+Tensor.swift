import TensorCore

extension Image {
    /// The pixels as a `[height, width, channels]` tensor (HWC, as one image of an NHWC batch), each byte v
    /// as v / 255 in [0, 1].
    public func toTensor() -> Tensor {
        Tensor(shape: [height, width, channels], scalars: pixels.map { Float($0) / 255 })
    }

    /// An image from a `[height, width, channels]` or `[1, height, width, channels]` tensor with 1, 3 or 4
    /// channels. Values are mapped linearly from `range` to 0...255, rounded and clamped; NaN becomes 0.
    ///
    /// - Parameter range: the values that mean black and white: `0...1` for `toTensor()`'s output, `-1...1` for
    ///   a generator with tanh output.
    public init(tensor: Tensor, range: ClosedRange<Float> = 0...1) {
        let shape = tensor.shape
        precondition((shape.count == 3 || (shape.count == 4 && shape[0] == 1)) && [1, 3, 4].contains(shape.last ?? 0),
                     "Image(tensor:): shape \(shape) is not [height, width, channels] or [1, height, width, channels] "
                     + "with 1, 3 or 4 channels")
        precondition(range.upperBound > range.lowerBound, "Image(tensor:): range \(range) is empty")
        let scale = 255 / (range.upperBound - range.lowerBound)
        let pixels = tensor.withUnsafeBufferPointer { values in
            values.map { v -> UInt8 in
                let mapped = ((v - range.lowerBound) * scale).rounded()
                return mapped.isNaN ? 0 : UInt8(Swift.min(Swift.max(mapped, 0), 255))
            }
        }
        self.init(width: shape[shape.count - 2], height: shape[shape.count - 3], channels: shape[shape.count - 1], pixels: pixels)
    }
}
