import Foundation
import GessoNN
import GessoOptim

/// Trains a classifier on Tensor batches (it never reads files: the command line wires data sets to it).
///
/// One step: forward in training mode, softmax cross-entropy, gradients, optimizer update with the scheduled
/// learning rate. `applyGradients` is the one place where a step's gradients are final before the optimizer uses
/// them (data-parallel training would all-reduce there).
public struct ClassifierTrainer {
    public var model: Sequential
    public var optimizer: any Optimizer
    public var schedule: LearningRateSchedule
    public var baseLearningRate: Float
    public var classes: Int
    /// Draws dropout masks; saved in checkpoints so a resumed run continues exactly.
    public var random: RandomGenerator
    /// Optimizer steps taken.
    public var step = 0

    public init(model: Sequential, optimizer: any Optimizer, schedule: LearningRateSchedule = .constant,
                classes: Int, seed: UInt64) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.baseLearningRate = optimizer.learningRate
        self.classes = classes
        self.random = RandomGenerator(seed: seed &+ 0x5EED)
    }

    /// One-hot rows for labels.
    public func oneHot(_ labels: [Int]) -> Tensor {
        var values = [Float](repeating: 0, count: labels.count * classes)
        for (i, l) in labels.enumerated() where l >= 0 && l < classes { values[i * classes + l] = 1 }
        return Tensor(shape: [labels.count, classes], scalars: values)
    }

    public struct StepResult { public var loss: Float; public var correct: Int; public var count: Int }

    /// One training step on a batch `[B, H, W, C]` with integer labels.
    public mutating func trainStep(images: Tensor, labels: [Int]) -> StepResult {
        precondition(images.shape[0] == labels.count, "trainStep: \(images.shape[0]) images but \(labels.count) labels")
        let targets = oneHot(labels)
        var context = LayerContext(training: true, random: random)
        var logits = Tensor(0)
        let (loss, grads) = model.valueWithGradients(context: &context) { m, c in
            logits = m(images, context: &c)
            return losses.softmaxCrossEntropy(labels: targets, logits: logits)
        }
        random = context.random
        applyGradients(grads)
        let predicted = logits.argmax()
        return StepResult(loss: loss.scalar, correct: zip(predicted, labels).filter { $0 == $1 }.count, count: labels.count)
    }

    /// The step's final gradients meet the optimizer here.
    mutating func applyGradients(_ gradients: [String: Tensor]) {
        optimizer.learningRate = baseLearningRate * schedule.factor(at: step)
        var parameters = model.parameters
        optimizer.update(&parameters, with: gradients)
        model.parameters = parameters
        step += 1
    }

    public struct Evaluation {
        public var loss: Float
        public var accuracy: Float
        public var predictions: [Int]
        /// Softmax probabilities `[N, classes]`.
        public var probabilities: Tensor
        /// counts[true][predicted]
        public var confusion: [[Int]]
    }

    /// Inference over a data set in batches: mean loss, accuracy, predictions, probabilities, confusion matrix.
    public func evaluate(images: Tensor, labels: [Int], batchSize: Int = 256) -> Evaluation {
        var probabilities: [Tensor] = []
        var totalLoss: Double = 0
        let n = images.shape[0]
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let logits = model.inference(images[start..<end])
            let batchLabels = Array(labels[start..<end])
            totalLoss += Double(withoutGradients {
                nn.softmaxCrossEntropyWithLogits(labels: oneHot(batchLabels), logits: logits).sum().scalar
            })
            probabilities.append(withoutGradients { logits.softmax() })
            start = end
        }
        let probs = probabilities.isEmpty ? Tensor.zeros([0, classes]) : Tensor.concatenate(probabilities, alongAxis: 0)
        let predictions = probs.argmax()
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (t, p) in zip(labels, predictions) where t >= 0 && t < classes { confusion[t][p] += 1 }
        let correct = zip(predictions, labels).filter { $0 == $1 }.count
        return Evaluation(loss: n > 0 ? Float(totalLoss / Double(n)) : 0, accuracy: n > 0 ? Float(correct) / Float(n) : 0,
                          predictions: predictions, probabilities: probs, confusion: confusion)
    }
}
