import Foundation
import Testing
import GessoData
@testable import GessoModels
import GessoNN
import GessoOptim

struct ClassifierTrainerTests {
    @Test(arguments: ClassifierArchitecture.allCases)
    func architecturesGiveOneLogitPerClass(_ architecture: ClassifierArchitecture) {
        for (size, channels) in [(8, 1), (28, 1), (32, 3)] {
            let model = architecture.make(imageSize: size, channels: channels, classes: 7, seed: 1)
            #expect(model.inference(Tensor.zeros([2, size, size, channels])).shape == [2, 7])
        }
    }

    /// The bar: scikit-learn's 8x8 digits, a few seconds of training, >= 90% validation accuracy.
    @Test func digitsReachNinetyPercent() throws {
        let data = try BuiltinData.digits()
        let (train, validation) = DataSplit.stratified(data, validationFraction: 0.2, seed: 1)
        var trainer = ClassifierTrainer(model: ClassifierArchitecture.smallCNN.make(imageSize: 8, channels: 1, classes: 10, seed: 1),
                                        optimizer: OptimizerChoice.adam.make(learningRate: 2e-3), classes: 10, seed: 1)
        for epoch in 0..<6 {
            for batch in Batches(train, batchSize: 32, shuffle: true, seed: 1, epoch: epoch) {
                _ = trainer.trainStep(images: batch.images, labels: batch.labels)
            }
        }
        let result = trainer.evaluate(images: validation.images, labels: validation.labels)
        #expect(result.accuracy >= 0.9, "validation accuracy \(result.accuracy)")
        #expect(result.confusion.flatMap { $0 }.reduce(0, +) == validation.count)
    }

    /// A run stopped after 5 steps and resumed from its checkpoint gives the same losses, bit for bit, as one
    /// that was not stopped (dropout masks, batch norm statistics and Adam's moments all restored).
    @Test func resumingContinuesExactly() throws {
        var g = RandomGenerator(seed: 3)
        let images = Tensor.randomUniform([40, 8, 8, 1], using: &g)
        let labels = (0..<40).map { $0 % 4 }
        func fresh() -> ClassifierTrainer {
            ClassifierTrainer(model: ClassifierArchitecture.smallCNN.make(imageSize: 8, channels: 1, classes: 4, seed: 7),
                              optimizer: OptimizerChoice.adam.make(learningRate: 1e-2),
                              schedule: .warmup(steps: 3, then: .cosine(totalSteps: 10)), classes: 4, seed: 7)
        }
        func batch(_ step: Int) -> (Tensor, [Int]) {
            let start = (step * 8) % 40
            return (images[start..<start + 8], Array(labels[start..<start + 8]))
        }
        var straight = fresh()
        let uninterrupted = (0..<10).map { s -> Float in let (x, y) = batch(s); return straight.trainStep(images: x, labels: y).loss }

        var first = fresh()
        var resumedLosses = (0..<5).map { s -> Float in let (x, y) = batch(s); return first.trainStep(images: x, labels: y).loss }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-resume-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try TrainingCheckpoint.write(first, epoch: 2, config: ["model": "small-cnn"], to: url)

        var second = fresh()
        let info = try TrainingCheckpoint.restore(&second, from: url)
        #expect(info.epoch == 2 && info.step == 5 && info.config == ["model": "small-cnn"])
        resumedLosses += (5..<10).map { s -> Float in let (x, y) = batch(s); return second.trainStep(images: x, labels: y).loss }
        #expect(resumedLosses == uninterrupted)
    }

    @Test func aCheckpointOfAnotherModelIsRefusedWithReasons() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gesso-other-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let small = ClassifierTrainer(model: ClassifierArchitecture.smallCNN.make(imageSize: 8, channels: 1, classes: 4, seed: 1),
                                      optimizer: OptimizerChoice.sgd.make(learningRate: 0.1), classes: 4, seed: 1)
        try TrainingCheckpoint.write(small, epoch: 0, config: [:], to: url)
        var other = ClassifierTrainer(model: ClassifierArchitecture.smallCNN.make(imageSize: 8, channels: 1, classes: 5, seed: 1),
                                      optimizer: OptimizerChoice.sgd.make(learningRate: 0.1), classes: 5, seed: 1)
        let error = try #require(throws: CheckpointError.self) { try TrainingCheckpoint.restore(&other, from: url) }
        #expect(error.description.contains("does not fit this model"))
        #expect(error.description.contains("weight 11.weight has shape [128, 4], the model needs [128, 5]"))
    }
}
