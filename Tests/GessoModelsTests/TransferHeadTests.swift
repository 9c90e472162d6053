import Foundation
import Testing
import GessoData
import GessoModels
import GessoNN
import GessoOptim

/// The transfer-learning head on synthetic embeddings (no backbone: the head only ever sees embeddings).
struct TransferHeadTests {
    /// Three classes of 1280-d "embeddings" in [0, 6] like EfficientNet's (after ReLU6 and an average): uniform noise
    /// in [0, 1] everywhere, plus 1 on a class's own 100 features. Linearly separable, so a trained softmax head
    /// must classify held-out points almost perfectly (bar: >= 95%), and its training loss must fall.
    @Test func headLearnsSeparableEmbeddings() {
        var g = RandomGenerator(seed: 5)
        func points(_ perClass: Int) -> LabeledImages {
            let labels = (0..<(3 * perClass)).map { $0 % 3 }
            var values: [Float] = []
            for label in labels {
                for j in 0..<1280 { values.append(g.nextUnitFloat() + (j / 100 == label ? 1 : 0)) }
            }
            return LabeledImages(images: Tensor(shape: [labels.count, 1, 1, 1280], scalars: values), labels: labels,
                                 classNames: ["a", "b", "c"], sources: labels.indices.map(String.init))
        }
        let train = points(6), test = points(20)                 // few-shot: 6 a class
        var trainer = ClassifierTrainer(model: TransferHead.make(classes: 3, seed: 1), optimizer: Adam(learningRate: 1e-3),
                                        classes: 3, seed: 1)
        #expect(trainer.model.inference(test.images).shape == [60, 3])
        var losses: [Float] = []
        for epoch in 0..<60 {
            for batch in Batches(train, batchSize: 32, shuffle: true, seed: 1, epoch: epoch) {
                losses.append(trainer.trainStep(images: batch.images, labels: batch.labels).loss)
            }
        }
        #expect(losses.last! < 0.5 * losses.first!, "loss \(losses.first!) -> \(losses.last!)")
        let result = trainer.evaluate(images: test.images, labels: test.labels)
        #expect(result.accuracy >= 0.95, "test accuracy \(result.accuracy)")
    }

    /// `DataSplit.perClass`: `count` a class for training (all but one where a class has no more), the rest for
    /// validation, seeded.
    @Test func perClassSplitTakesCountAClass() {
        let labels = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]
        let data = LabeledImages(images: Tensor.zeros([labels.count, 1, 1, 1]), labels: labels, classNames: ["a", "b", "c"],
                                 sources: labels.indices.map(String.init))
        let (train, validation) = DataSplit.perClass(data, count: 3, seed: 4)
        #expect(train.classCounts == [3, 2, 3])
        #expect(validation.classCounts == [2, 1, 4])
        #expect(Set(train.sources).isDisjoint(with: validation.sources))
        let again = DataSplit.perClass(data, count: 3, seed: 4)
        #expect(again.train.sources == train.sources)
    }

    /// With the last blocks unfrozen: the tail applied to the features before its first block gives the embedding
    /// (the same layers in the same order, so equal to float rounding: tolerance 1e-5 + 1e-5 |want|), and a training
    /// step moves the tail's weights but leaves its batch-norm statistics as they were.
    @Test func tailAfterFeaturesIsTheEmbedding() {
        let model = EfficientNetLite0(seed: 3)   // random weights: the identity holds for any
        var g = RandomGenerator(seed: 1)
        let x = Tensor.randomUniform([2, 64, 64, 3], lower: -1, upper: 1, using: &g)
        let want = model.embedding(x).scalars                                            // [2, 1280]
        for first in [16, 14, 12] {
            let got = model.tail(fromBlock: first).inference(model.features(x, beforeBlock: first)).scalars
            #expect(got.count == want.count)
            let worst = zip(got, want).map { abs($0 - $1) - 1e-5 * abs($1) }.max() ?? 0
            #expect(worst <= 1e-5, "block \(first): worst excess \(worst)")
        }
        var trainer = ClassifierTrainer(model: TransferHead.make(classes: 5, tail: model.tail(fromBlock: 14), seed: 1),
                                        optimizer: Adam(learningRate: 1e-3), classes: 5, seed: 1)
        let features = model.features(x, beforeBlock: 14)                                 // [2, 2, 2, 192]
        let (weights, statistics) = (trainer.model.parameters, trainer.model.buffers)
        _ = trainer.trainStep(images: features, labels: [0, 3])
        #expect(trainer.model.buffers.keys.sorted() == statistics.keys.sorted())
        #expect(trainer.model.buffers.allSatisfy { $0.value.scalars == statistics[$0.key]!.scalars }, "statistics stay frozen")
        #expect(trainer.model.parameters["0.0.body.0.weight"]!.scalars != weights["0.0.body.0.weight"]!.scalars,
                "the tail's first convolution trains")
    }
}
