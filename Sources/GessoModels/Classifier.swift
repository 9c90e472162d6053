import GessoNN
import GessoOptim

/// The image classifiers `gesso train classifier --model` offers.
public enum ClassifierArchitecture: String, CaseIterable, Sendable, Codable {
    /// The lecture's `createNetwork()`: three conv3x3 (32, 64, 64) + ReLU + 2x2 max-pool, fc 512 + ReLU, fc classes,
    /// with the lecture's initialisation (truncated normal 0.01, biases 0.01).
    case lecture
    /// A small, fast CNN: two conv3x3 + batch norm + ReLU + max-pool blocks (32, 64), fc 128 + ReLU, dropout 0.3,
    /// fc classes; He initialisation.
    case smallCNN = "small-cnn"

    /// The model for images `[N, imageSize, imageSize, channels]` and `classes` outputs (logits).
    public func make(imageSize: Int, channels: Int, classes: Int, seed: UInt64) -> Sequential {
        var g = RandomGenerator(seed: seed)
        let pooled = ((imageSize + 1) / 2 + 1) / 2   // size after two SAME 2x2 pools
        switch self {
        case .lecture:
            let w = Initializer.lectureWeight, b = Initializer.lectureBias
            let s3 = ((pooled + 1) / 2)
            return Sequential([
                Conv2D(inChannels: channels, outChannels: 32, kernelSize: 3, activation: .relu,
                       weightInitializer: w, biasInitializer: b, using: &g),            // [N, S, S, 32]
                MaxPool2D(),                                                              // [N, S/2, S/2, 32]
                Conv2D(inChannels: 32, outChannels: 64, kernelSize: 3, activation: .relu,
                       weightInitializer: w, biasInitializer: b, using: &g),            // [N, S/2, S/2, 64]
                MaxPool2D(),                                                              // [N, S/4, S/4, 64]
                Conv2D(inChannels: 64, outChannels: 64, kernelSize: 3, activation: .relu,
                       weightInitializer: w, biasInitializer: b, using: &g),            // [N, S/4, S/4, 64]
                MaxPool2D(),                                                              // [N, S/8, S/8, 64]
                Flatten(),                                                                // [N, S/8 * S/8 * 64]
                Dense(inputs: s3 * s3 * 64, outputs: 512, activation: .relu, weightInitializer: w,
                      biasInitializer: b, using: &g),                                    // [N, 512]
                Dense(inputs: 512, outputs: classes, weightInitializer: w, biasInitializer: b, using: &g),  // [N, classes]
            ])
        case .smallCNN:
            return Sequential([
                Conv2D(inChannels: channels, outChannels: 32, kernelSize: 3, useBias: false,
                       weightInitializer: .heNormal, using: &g),                          // [N, S, S, 32]
                BatchNorm(channels: 32), Activation(.relu), MaxPool2D(),                   // [N, S/2, S/2, 32]
                Conv2D(inChannels: 32, outChannels: 64, kernelSize: 3, useBias: false,
                       weightInitializer: .heNormal, using: &g),                          // [N, S/2, S/2, 64]
                BatchNorm(channels: 64), Activation(.relu), MaxPool2D(),                   // [N, S/4, S/4, 64]
                Flatten(),                                                                 // [N, S/4 * S/4 * 64]
                Dense(inputs: pooled * pooled * 64, outputs: 128, activation: .relu,
                      weightInitializer: .heNormal, using: &g),                           // [N, 128]
                Dropout(rate: 0.3),
                Dense(inputs: 128, outputs: classes, using: &g),                          // [N, classes]
            ])
        }
    }
}

/// The optimizers `gesso train` offers, by name.
public enum OptimizerChoice: String, CaseIterable, Sendable, Codable {
    case sgd, momentum, adam, rmsprop

    public func make(learningRate: Float, weightDecay: Float = 0) -> any Optimizer {
        switch self {
        case .sgd: SGD(learningRate: learningRate, weightDecay: weightDecay)
        case .momentum: SGD(learningRate: learningRate, momentum: 0.9, nesterov: true, weightDecay: weightDecay)
        case .adam: Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: weightDecay > 0)
        case .rmsprop: RMSProp(learningRate: learningRate, weightDecay: weightDecay)
        }
    }
}
