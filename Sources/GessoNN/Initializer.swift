import Foundation

/// How a layer's tensors start.
public enum Initializer: Equatable, Sendable {
    case zeros
    case constant(Float)
    /// Normal with the given standard deviation (DCGAN's N(0, 0.02)).
    case normal(standardDeviation: Float)
    /// TensorFlow's truncated normal: redrawn beyond two standard deviations.
    case truncatedNormal(standardDeviation: Float)
    /// Glorot (Xavier) uniform, Keras' default: U(-l, l), l = sqrt(6 / (fanIn + fanOut)).
    case glorotUniform
    /// He normal: N(0, sqrt(2 / fanIn)), for ReLU networks.
    case heNormal

    /// The lecture's `weight_variable`: truncated normal with stddev 0.01.
    public static let lectureWeight = Initializer.truncatedNormal(standardDeviation: 0.01)
    /// The lecture's `bias_variable`: the constant 0.01.
    public static let lectureBias = Initializer.constant(0.01)

    /// A tensor of `shape`; fans are computed as TensorFlow does: a matrix [in, out] has fanIn = in,
    /// fanOut = out; a filter [h, w, in, out] has fanIn = h w in, fanOut = h w out.
    public func make(_ shape: [Int], using g: inout RandomGenerator) -> Tensor {
        let receptive = shape.count > 2 ? shape.dropLast(2).reduce(1, *) : 1
        let fanIn = shape.count >= 2 ? shape[shape.count - 2] * receptive : (shape.first ?? 1)
        let fanOut = shape.count >= 2 ? shape[shape.count - 1] * receptive : (shape.first ?? 1)
        switch self {
        case .zeros: return Tensor.zeros(shape)
        case .constant(let v): return Tensor(repeating: v, shape: shape)
        case .normal(let s): return Tensor.randomNormal(shape, standardDeviation: s, using: &g)
        case .truncatedNormal(let s): return Tensor.truncatedNormal(shape, standardDeviation: s, using: &g)
        case .glorotUniform:
            let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
            return Tensor.randomUniform(shape, lower: -limit, upper: limit, using: &g)
        case .heNormal:
            return Tensor.randomNormal(shape, standardDeviation: Float((2.0 / Double(fanIn)).squareRoot()), using: &g)
        }
    }
}
