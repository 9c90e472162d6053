import ArgumentParser
import Foundation
import TensorCore

/// `gesso lecture`: the lecture's examples, run live.
struct Lecture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the lecture's examples live: convolution shapes, the 4x4 max-pool example, createNetwork().")

    @Option(help: "Seed for the random image, weights and input state.")
    var seed: UInt64 = 1

    @Option(help: "Batch size of the input state given to createNetwork().")
    var batch: Int = 1

    func validate() throws {
        guard (1...256).contains(batch) else { throw ValidationError("--batch must be between 1 and 256, got \(batch)") }
    }

    func run() throws {
        var g = RandomGenerator(seed: seed)
        print("Gesso: the lecture \"deep learning with TensorFlow #5\", run live (seed \(seed))\n")

        print("1. Convolution layer: a 32x32x3 image and six 5x5 filters")
        let image = Tensor.randomUniform([1, 32, 32, 3], using: &g)
        let filters = Tensor.truncatedNormal([5, 5, 3, 6], standardDeviation: 0.1, using: &g)
        let valid = nn.conv2d(image, filters, strides: [1, 1, 1, 1], padding: .valid)
        let same = nn.conv2d(image, filters, strides: [1, 1, 1, 1], padding: .same)
        print("   x \(shapeString(image.shape)) (NHWC), W \(shapeString(filters.shape)) (HWIO)")
        print("   tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='VALID') -> \(shapeString(valid.shape))" +
              "   (six 28x28 activation maps)")
        print("   tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')  -> \(shapeString(same.shape))\n")

        print("2. Max pooling: the lecture's 4x4 single depth slice, 2x2 filters, stride 2")
        let slice = Tensor(shape: [1, 4, 4, 1], scalars: [1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4])
        let pooled = nn.maxPool(slice, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: .same)
        printMatrix(slice, indent: "   ")
        print("   tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding='SAME') ->")
        printMatrix(pooled, indent: "   ")
        print("")

        print("3. createNetwork(): the Flappy-Bird DQN network (weights: truncated normal 0.01, biases 0.01)")
        let network = LectureNetwork(actions: 2, seed: seed)
        let state = Tensor.randomUniform([batch, 80, 80, 4], using: &g)
        let (readout, layers) = withoutGradients { network.forward(state) }
        for (name, value) in layers {
            print("   \(name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(shapeString(value.shape))")
        }
        print("   Q-values for a random state (one per action):")
        for row in 0..<batch {
            let q = readout[row].scalars.map { String(format: "%+.6f", $0) }.joined(separator: "  ")
            print("     state \(row): \(q)   -> action \(readout[row].argmax()[0])")
        }
    }

    func printMatrix(_ t: Tensor, indent: String) {
        let h = t.shape[1], w = t.shape[2], s = t.scalars
        for r in 0..<h {
            print(indent + (0..<w).map { String(format: "%3g", s[r * w + $0]) }.joined(separator: " "))
        }
    }
}
