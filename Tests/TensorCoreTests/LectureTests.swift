import Testing
@testable import TensorCore

/// The lecture's examples, as `gesso lecture` shows them.
struct LectureTests {
    @Test func sixFiveByFiveFiltersOnA32x32x3ImageGive28x28x6() {
        var g = RandomGenerator(seed: 1)
        let x = Tensor.randomUniform([1, 32, 32, 3], using: &g)
        let w = Tensor.truncatedNormal([5, 5, 3, 6], standardDeviation: 0.1, using: &g)
        #expect(nn.conv2d(x, w, strides: [1, 1, 1, 1], padding: .valid).shape == [1, 28, 28, 6])
        #expect(nn.conv2d(x, w, strides: [1, 1, 1, 1], padding: .same).shape == [1, 32, 32, 6])
    }

    @Test func theFourByFourMaxPoolExample() {
        let x = Tensor(shape: [1, 4, 4, 1], scalars: [1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4])
        let y = nn.maxPool(x, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: .same)
        #expect(y.shape == [1, 2, 2, 1])
        #expect(y.scalars == [6, 8, 3, 4])
    }

    @Test func createNetworkShapesAndInitialisation() {
        let net = LectureNetwork(actions: 3, seed: 2)
        // weight_variable: truncated normal, stddev 0.01 -> nothing beyond 0.02; bias_variable: 0.01.
        #expect(net.parameters["W_fc1"]!.scalars.allSatisfy { abs($0) <= 0.02 })
        #expect(net.parameters["b_conv2"]!.scalars.allSatisfy { $0 == 0.01 })
        let (readout, layers) = withoutGradients { net.forward(Tensor.zeros([5, 80, 80, 4])) }
        #expect(readout.shape == [5, 3])
        #expect(layers.map(\.value.shape) == [[5, 80, 80, 4], [5, 80, 80, 32], [5, 40, 40, 32], [5, 40, 40, 64],
                                              [5, 20, 20, 64], [5, 20, 20, 64], [5, 10, 10, 64], [5, 6400], [5, 512],
                                              [5, 3]])
    }

    /// A few gradient steps on one batch make the lecture network fit it better (the training path end to end).
    @Test func createNetworkLearnsByGradientDescent() {
        var g = RandomGenerator(seed: 3)
        var net = LectureNetwork(actions: 2, seed: 3)
        let s = Tensor.randomUniform([4, 80, 80, 4], using: &g), target = Tensor.randomUniform([4, 2], using: &g)
        let names = LectureNetwork.parameterNames
        var lossValues: [Float] = []
        for _ in 0..<5 {
            let (loss, grads) = valueWithGradients(at: names.map { net.parameters[$0]! }) { p in
                losses.meanSquaredError(predictions: LectureNetwork(parameters: Dictionary(uniqueKeysWithValues: zip(names, p)))(s),
                                        labels: target)
            }
            lossValues.append(loss.scalar)
            withoutGradients { for (n, gr) in zip(names, grads) { net.parameters[n] = net.parameters[n]! - gr * 0.5 } }
        }
        #expect(lossValues.last! < lossValues.first! * 0.9, "loss \(lossValues)")
    }

    @Test func runningAveragesForInference() {
        var running = Tensor([0, 10])
        nn.updateRunningAverage(&running, Tensor([1, 20]), momentum: 0.9)
        #expect(running.scalars.enumerated().allSatisfy { i, v in abs(v - [0.1, 11][i]) <= 1e-6 })  // 0.9 r + 0.1 b
        let x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let train = nn.batchNormTraining(x, scale: Tensor.ones([2]), offset: Tensor.zeros([2]), epsilon: 0)
        #expect(train.mean.scalars == [2, 3] && train.variance.scalars == [1, 1])
        // Inference with those statistics reproduces the training output.
        let inference = nn.batchNormalization(x, mean: train.mean, variance: train.variance, offset: nil, scale: nil,
                                              varianceEpsilon: 0)
        #expect(inference.scalars == train.y.scalars)
    }
}
