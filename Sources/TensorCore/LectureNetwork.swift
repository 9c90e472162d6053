/// The lecture's `createNetwork()` (the Flappy-Bird DQN network), written line by line with `nn` and `tf`:
///
///     s [N, 80, 80, 4]
///     h_conv1 = relu(conv2d(s, W_conv1, 1) + b_conv1)        // [N, 80, 80, 32]
///     h_pool1 = max_pool_2x2(h_conv1)                        // [N, 40, 40, 32]
///     h_conv2 = relu(conv2d(h_pool1, W_conv2, 1) + b_conv2)  // [N, 40, 40, 64]
///     h_pool2 = max_pool_2x2(h_conv2)                        // [N, 20, 20, 64]
///     h_conv3 = relu(conv2d(h_pool2, W_conv3, 1) + b_conv3)  // [N, 20, 20, 64]
///     h_pool3 = max_pool_2x2(h_conv3)                        // [N, 10, 10, 64]
///     h_conv3_flat = reshape(h_pool3, [-1, 6400])            // [N, 6400]
///     h_fc1 = relu(matmul(h_conv3_flat, W_fc1) + b_fc1)      // [N, 512]
///     readout = matmul(h_fc1, W_fc2) + b_fc2                 // [N, ACTIONS]: one Q-value per action
///
/// The weights keep the lecture's names so the translation reads one to one.
public struct LectureNetwork {
    /// The weights in the lecture's order: W_conv1, b_conv1, ..., W_fc2, b_fc2.
    public static let parameterNames = ["W_conv1", "b_conv1", "W_conv2", "b_conv2", "W_conv3", "b_conv3",
                                        "W_fc1", "b_fc1", "W_fc2", "b_fc2"]
    public var parameters: [String: Tensor]

    /// The lecture's initialisation: `weight_variable` is a truncated normal with stddev 0.01,
    /// `bias_variable` the constant 0.01.
    public init(actions: Int = 2, seed: UInt64) {
        var g = RandomGenerator(seed: seed)
        func weightVariable(_ shape: [Int]) -> Tensor { tf.truncatedNormal(shape, stddev: 0.01, using: &g) }
        func biasVariable(_ shape: [Int]) -> Tensor { tf.constant(0.01, shape: shape) }
        parameters = [
            "W_conv1": weightVariable([3, 3, 4, 32]), "b_conv1": biasVariable([32]),
            "W_conv2": weightVariable([3, 3, 32, 64]), "b_conv2": biasVariable([64]),
            "W_conv3": weightVariable([3, 3, 64, 64]), "b_conv3": biasVariable([64]),
            "W_fc1": weightVariable([6400, 512]), "b_fc1": biasVariable([512]),
            "W_fc2": weightVariable([512, actions]), "b_fc2": biasVariable([actions]),
        ]
    }

    /// A network with given weights (all ten, by the lecture's names).
    public init(parameters: [String: Tensor]) {
        precondition(Set(parameters.keys) == Set(Self.parameterNames),
                     "LectureNetwork: needs exactly the weights \(Self.parameterNames), got \(parameters.keys.sorted())")
        self.parameters = parameters
    }

    /// The lecture's helpers.
    static func conv2d(_ x: Tensor, _ W: Tensor, _ stride: Int) -> Tensor {
        nn.conv2d(x, W, strides: [1, stride, stride, 1], padding: .same)
    }
    static func maxPool2x2(_ x: Tensor) -> Tensor {
        nn.maxPool(x, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: .same)
    }

    /// Q-values `[N, actions]` for states `s` `[N, 80, 80, 4]`, and every hidden layer by name.
    public func forward(_ s: Tensor) -> (readout: Tensor, layers: [(name: String, value: Tensor)]) {
        precondition(s.rank == 4 && Array(s.shape.dropFirst()) == [80, 80, 4],
                     "createNetwork: input must be [N, 80, 80, 4], got \(s.shape)")
        let p = parameters
        let h_conv1 = nn.relu(Self.conv2d(s, p["W_conv1"]!, 1) + p["b_conv1"]!)
        let h_pool1 = Self.maxPool2x2(h_conv1)
        let h_conv2 = nn.relu(Self.conv2d(h_pool1, p["W_conv2"]!, 1) + p["b_conv2"]!)
        let h_pool2 = Self.maxPool2x2(h_conv2)
        let h_conv3 = nn.relu(Self.conv2d(h_pool2, p["W_conv3"]!, 1) + p["b_conv3"]!)
        let h_pool3 = Self.maxPool2x2(h_conv3)
        let h_conv3_flat = tf.reshape(h_pool3, [-1, 6400])
        let h_fc1 = nn.relu(tf.matmul(h_conv3_flat, p["W_fc1"]!) + p["b_fc1"]!)
        let readout = tf.matmul(h_fc1, p["W_fc2"]!) + p["b_fc2"]!
        return (readout, [("s", s), ("h_conv1", h_conv1), ("h_pool1", h_pool1), ("h_conv2", h_conv2),
                          ("h_pool2", h_pool2), ("h_conv3", h_conv3), ("h_pool3", h_pool3),
                          ("h_conv3_flat", h_conv3_flat), ("h_fc1", h_fc1), ("readout", readout)])
    }

    public func callAsFunction(_ s: Tensor) -> Tensor { forward(s).readout }
}
