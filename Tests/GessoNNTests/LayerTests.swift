import Foundation
import Testing
@testable import GessoNN

/// Layers: shapes, values against the ops they are made of, modes, parameter naming.
/// Values compared with |got - want| <= 1e-5 + 1e-5 |want|: the layer runs the very same ops, so only the order
/// of float additions can differ.
struct LayerTests {
    static func close(_ a: Tensor, _ b: Tensor, _ tol: Float = 1e-5) -> Bool {
        a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= tol + tol * abs($1) }
    }

    @Test func denseIsMatmulPlusBias() {
        var g = RandomGenerator(seed: 1)
        var layer = Dense(inputs: 3, outputs: 2, biasInitializer: .constant(0.5), using: &g)
        let x = Tensor.randomNormal([4, 3], using: &g)
        var ctx = LayerContext(training: true)
        let y = layer(x, context: &ctx)
        #expect(Self.close(y, tf.matmul(x, layer.parameters["weight"]!) + Tensor(repeating: 0.5, shape: [2])))
        // d sum(y) / d weight = x^T 1; d sum(y) / d bias = N.
        let (_, grads) = layer.valueWithGradients(context: &ctx) { l, c in l(x, context: &c).sum() }
        #expect(Self.close(grads["weight"]!, tf.matmul(x, Tensor.ones([4, 2]), transposeA: true)))
        #expect(grads["bias"]!.scalars == [4, 4])
        #expect(!layer.parameters["weight"]!.isTracked, "parameters must leave the step off the tape")
    }

    @Test func convolutionLayersShapesAndValues() {
        var g = RandomGenerator(seed: 2)
        var ctx = LayerContext(training: false)
        let x = Tensor.randomNormal([2, 9, 9, 3], using: &g)
        var conv = Conv2D(inChannels: 3, outChannels: 5, kernelSize: 3, stride: 2, using: &g)
        let y = conv(x, context: &ctx)
        #expect(y.shape == [2, 5, 5, 5])
        #expect(Self.close(y, nn.conv2d(x, conv.parameters["weight"]!, strides: [1, 2, 2, 1], padding: .same) + conv.parameters["bias"]!))
        var valid = Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: .valid, useBias: false, using: &g)
        #expect(valid(x, context: &ctx).shape == [2, 7, 7, 4])
        #expect(valid.parameters.keys.sorted() == ["weight"])

        var up = ConvTranspose2D(inChannels: 3, outChannels: 2, kernelSize: 4, stride: 2, using: &g)
        #expect(up(x, context: &ctx).shape == [2, 18, 18, 2])
        var first = ConvTranspose2D(inChannels: 3, outChannels: 8, kernelSize: 4, stride: 1, padding: .valid, using: &g)
        #expect(first(Tensor.zeros([2, 1, 1, 3]), context: &ctx).shape == [2, 4, 4, 8])

        var depthwise = DepthwiseConv2D(channels: 3, multiplier: 2, kernelSize: 3, stride: 2, using: &g)
        #expect(depthwise(x, context: &ctx).shape == [2, 5, 5, 6])
    }

    @Test func poolingFlattenReshape() {
        var ctx = LayerContext(training: false)
        let x = Tensor(shape: [1, 2, 2, 2], scalars: [1, 10, 2, 20, 3, 30, 4, 40])
        var maxPool = MaxPool2D(), avgPool = AvgPool2D(), global = GlobalAvgPool(), flatten = Flatten()
        #expect(maxPool(x, context: &ctx).scalars == [4, 40])
        #expect(avgPool(x, context: &ctx).scalars == [2.5, 25])
        #expect(global(x, context: &ctx).shape == [1, 2] && global(x, context: &ctx).scalars == [2.5, 25])
        #expect(flatten(x, context: &ctx).shape == [1, 8])
        var reshape = Reshape([4, 2])
        #expect(reshape(x, context: &ctx).shape == [1, 4, 2])
    }

    @Test func batchNormTrainsOnBatchStatisticsAndInfersOnRunningOnes() {
        var g = RandomGenerator(seed: 3)
        var bn = BatchNorm(channels: 2, momentum: 0.5, epsilon: 1e-5)
        let x = Tensor.randomNormal([16, 3, 3, 2], mean: 5, standardDeviation: 2, using: &g)
        var train = LayerContext(training: true)
        let y = bn(x, context: &train)
        let m = nn.moments(y, axes: [0, 1, 2])
        #expect(m.mean.scalars.allSatisfy { abs($0) < 1e-4 })
        #expect(m.variance.scalars.allSatisfy { abs($0 - 1) < 1e-3 })
        // Running mean moved halfway (momentum 0.5) from 0 to the batch mean.
        let batch = nn.moments(x, axes: [0, 1, 2])
        #expect(Self.close(bn.buffers["runningMean"]!, batch.mean * 0.5, 1e-4))
        #expect(Self.close(bn.buffers["runningVariance"]!, batch.variance * 0.5 + 0.5, 1e-4))
        // Inference uses the running statistics.
        let inferred = bn.inference(x)
        let want = (x - bn.buffers["runningMean"]!) / (bn.buffers["runningVariance"]! + 1e-5).squareRoot()
        #expect(Self.close(inferred, want, 1e-4))
    }

    /// ProGAN's minibatch standard deviation, against a hand computation in Double: the input passes through and one
    /// channel holds mean over (h, w, c) of sqrt(var over the batch + 1e-8); the gradient against central differences
    /// (h = 1e-2 on float32: |analytic - numeric| <= 2e-3 + 2e-2 |numeric|, as the op gradient checks).
    @Test func minibatchStandardDeviation() {
        var g = RandomGenerator(seed: 7)
        let x = Tensor.randomNormal([3, 2, 2, 2], using: &g)
        var layer = MinibatchStandardDeviation()
        var ctx = LayerContext(training: true)
        let y = layer(x, context: &ctx)
        #expect(y.shape == [3, 2, 2, 3])
        let v = x.scalars.map(Double.init)
        var spread = 0.0
        for f in 0..<8 {
            let column = (0..<3).map { v[$0 * 8 + f] }
            let mean = column.reduce(0, +) / 3
            spread += (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3 + 1e-8).squareRoot() / 8
        }
        for n in 0..<3 { for p in 0..<4 {
            let out = (0..<3).map { y.scalars[(n * 4 + p) * 3 + $0] }
            #expect(out[0] == x.scalars[(n * 4 + p) * 2] && out[1] == x.scalars[(n * 4 + p) * 2 + 1])
            // Float32 sums of 8 and 3 terms against Double: |got - want| <= 1e-6 + 1e-5 |want|.
            #expect(abs(Double(out[2]) - spread) <= 1e-6 + 1e-5 * spread, "the spread channel: \(out[2]) vs \(spread)")
        } }
        let r = Tensor.randomUniform(y.shape, lower: -1, upper: 1, using: &g)
        func loss(_ input: Tensor) -> Double {
            var l = MinibatchStandardDeviation(), c = LayerContext(training: true)
            let out = withoutGradients { l(input, context: &c) }
            return zip(out.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let tracked = x.requiringGradient()
        let analytic = gradients(of: layer(tracked, context: &ctx), withRespectTo: [tracked], seed: r)[0]
        for j in 0..<x.count {
            var plus = x, minus = x
            plus.withUnsafeMutableBufferPointer { $0[j] += 1e-2 }
            minus.withUnsafeMutableBufferPointer { $0[j] -= 1e-2 }
            let numeric = (loss(plus) - loss(minus)) / 2e-2
            #expect(abs(Double(analytic.scalars[j]) - numeric) <= 2e-3 + 2e-2 * abs(numeric), "d/dx[\(j)]")
        }
    }

    @Test func instanceNormAndDropoutModes() {
        var g = RandomGenerator(seed: 4)
        var norm = InstanceNorm(channels: 3)
        var ctx = LayerContext(training: true, random: RandomGenerator(seed: 9))
        let x = Tensor.randomNormal([2, 4, 4, 3], mean: 3, using: &g)
        let y = norm(x, context: &ctx)
        let m = nn.moments(y, axes: [1, 2])
        #expect(m.mean.scalars.allSatisfy { abs($0) < 1e-4 })

        var dropout = Dropout(rate: 0.5)
        let ones = Tensor.ones([1000])
        let dropped = dropout(ones, context: &ctx)
        #expect(dropped.scalars.contains(0) && dropped.scalars.contains(2))
        #expect(dropout.inference(ones).scalars == ones.scalars)
    }

    @Test func sequentialNamesAndSetsParameters() {
        var g = RandomGenerator(seed: 5)
        var model = Sequential([
            Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, using: &g), BatchNorm(channels: 2),
            Activation(.relu), Flatten(), Dense(inputs: 32, outputs: 3, using: &g),
        ])
        #expect(model.parameters.keys.sorted() == ["0.bias", "0.weight", "1.beta", "1.gamma", "4.bias", "4.weight"])
        #expect(model.buffers.keys.sorted() == ["1.runningMean", "1.runningVariance"])
        #expect(model.parameterCount == 2 * 9 + 2 + 2 + 2 + 32 * 3 + 3)
        var p = model.parameters
        p["4.bias"] = Tensor([1, 2, 3])
        model.parameters = p
        #expect(model.parameters["4.bias"]!.scalars == [1, 2, 3])
        #expect(model.layerShapes(input: [1, 4, 4, 1]).map(\.shape) == [[1, 4, 4, 2], [1, 4, 4, 2], [1, 4, 4, 2], [1, 32], [1, 3]])

        var residual = Residual(Sequential([Dense(inputs: 3, outputs: 3, using: &g)]))
        var ctx = LayerContext(training: false)
        let x = Tensor.randomNormal([2, 3], using: &g)
        #expect(Self.close(residual(x, context: &ctx), residual.body.inference(x) + x))
        #expect(residual.parameters.keys.sorted() == ["body.0.bias", "body.0.weight"])
    }

    /// A small network learns a separable problem with plain gradient descent (loss falls by half).
    @Test func aSmallNetworkLearns() {
        var g = RandomGenerator(seed: 6)
        var model = Sequential([Dense(inputs: 2, outputs: 16, activation: .tanh, using: &g), Dense(inputs: 16, outputs: 2, using: &g)])
        let x = Tensor.randomNormal([64, 2], using: &g)
        let labels = x.scalars.enumerated().filter { $0.offset % 2 == 0 }.map { $0.element }.enumerated()
            .map { i, a in a * x.scalars[2 * i + 1] > 0 ? 1 : 0 }   // XOR of the signs
        let oneHot = Tensor(shape: [64, 2], scalars: labels.flatMap { $0 == 1 ? [Float(0), 1] : [1, 0] })
        var ctx = LayerContext(training: true)
        var first: Float = 0, last: Float = 0
        for step in 0..<300 {
            let (loss, grads) = model.valueWithGradients(context: &ctx) { m, c in
                losses.softmaxCrossEntropy(labels: oneHot, logits: m(x, context: &c))
            }
            var p = model.parameters
            for (k, gr) in grads { p[k]!.addScaled(gr, by: -0.5) }
            model.parameters = p
            if step == 0 { first = loss.scalar }
            last = loss.scalar
        }
        #expect(last < first * 0.5, "loss \(first) -> \(last)")
    }

    @Test func initialisers() {
        var g = RandomGenerator(seed: 7)
        let glorot = Initializer.glorotUniform.make([3, 3, 16, 32], using: &g)
        let limit = Float((6.0 / Double(9 * 16 + 9 * 32)).squareRoot())
        #expect(glorot.scalars.allSatisfy { abs($0) <= limit })
        #expect(glorot.scalars.map { abs($0) }.max()! > limit * 0.9)
        let he = Initializer.heNormal.make([400, 300], using: &g).scalars
        let sd = (he.map { $0 * $0 }.reduce(0, +) / Float(he.count)).squareRoot()
        #expect(abs(sd - Float((2.0 / 400).squareRoot())) < 0.003)  // 120,000 draws: standard error ~0.0002
        #expect(Initializer.lectureWeight.make([1000], using: &g).scalars.allSatisfy { abs($0) <= 0.02 })
        #expect(Initializer.lectureBias.make([3], using: &g).scalars == [0.01, 0.01, 0.01])
    }
}
