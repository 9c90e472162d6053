import ArgumentParser
import Foundation
import GessoData
import GessoModels
import GessoNN

extension Bench {
    /// `gesso bench transfer`: the transfer-learning benchmarks of the issue, with a frozen EfficientNet-Lite0 and a
    /// softmax head trained on its embeddings (the head and its training are `gesso finetune`'s defaults).
    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transfer",
            abstract: "Transfer learning: Fashion-MNIST test accuracy and few-shot emoji smileys vs animals, frozen EfficientNet-Lite0 + softmax head.",
            discussion: """
            Fashion-MNIST: the first --train-images training images and the first --test-images test images (28x28 grey, \
            made RGB and enlarged to 224 by EfficientNet's preprocessing); the head trains for --epochs and its test \
            accuracy after the last epoch is reported (no choice by test accuracy). Emoji: the 80 smileys \
            (U+1F600-1F64F) against the 64 animals (U+1F400-1F43F); --splits seeded splits (seeds 1, 2, ...) of \
            --per-class training images a class, the rest tested; the mean accuracy is reported.
            """)

        @Option(help: "Fashion-MNIST training images (the first N).") var trainImages = 1000
        @Option(help: "Fashion-MNIST test images (the first N).") var testImages = 500
        @Option(help: "Emoji: seeded splits.") var splits = 10
        @Option(help: "Emoji: training images a class.") var perClass = 10
        @Option(help: "Epochs of head training.") var epochs = FinetuneOptions.defaults.epochs
        @Option(help: "The weights (default $GESSO_HOME/models/efficientnet-lite0.pth).") var weights: String?

        func validate() throws {
            guard trainImages >= 10, testImages >= 1, splits >= 1, perClass >= 1, epochs >= 1 else {
                throw ValidationError("--train-images must be at least 10, the other numbers at least 1")
            }
        }

        func run() throws {
            let model = PretrainedEfficientNet.load(weights)
            let started = Date()
            do {
                // Fashion-MNIST.
                let fashion = try TransferData.load("fashion-mnist", limit: trainImages, testLimit: testImages)
                let t0 = Date()
                let fashionAll = fashion.labelled(try embed(model, fashion))
                let embedSeconds = Date().timeIntervalSince(t0)
                let (train, test) = Finetune.split(fashionAll, isTest: fashion.isTest, options: FinetuneOptions.defaults)
                let t1 = Date()
                let accuracy = Self.fit(train, test, seed: 1, epochs: epochs)
                print(String(format: "fashion-mnist: %d train, %d test images: test accuracy %.2f%% (embeddings %.1f s, %.1f images/s; head %d epochs %.1f s)",
                             train.count, test.count, 100 * accuracy, embedSeconds, Double(fashion.count) / embedSeconds,
                             epochs, Date().timeIntervalSince(t1)))

                // Emoji smileys vs animals, few-shot.
                let emoji = try TransferData.load("emoji-smileys-animals", limit: nil, testLimit: nil)
                let emojiAll = emoji.labelled(try embed(model, emoji))
                var accuracies: [Double] = []
                for s in 1...splits {
                    let (train, test) = DataSplit.perClass(emojiAll, count: perClass, seed: UInt64(s))
                    accuracies.append(Self.fit(train, test, seed: UInt64(s), epochs: epochs))
                }
                let mean = accuracies.reduce(0, +) / Double(accuracies.count)
                print(String(format: "emoji smileys (%d) vs animals (%d), %d a class, %d splits: mean test accuracy %.2f%% (min %.2f%%, max %.2f%%)",
                             emoji.labels.filter { $0 == 0 }.count, emoji.labels.filter { $0 == 1 }.count, perClass, splits,
                             100 * mean, 100 * accuracies.min()!, 100 * accuracies.max()!))
                print("  per split: " + accuracies.map { String(format: "%.1f%%", 100 * $0) }.joined(separator: " "))
            } catch let e as DataError { fail(e.description) }
            print(String(format: "wall time %.1f s", Date().timeIntervalSince(started)))
        }

        func embed(_ model: EfficientNetLite0, _ data: TransferData) throws -> Tensor {
            let features = try PretrainedEfficientNet.embeddings(model, count: data.count, image: data.image)
            return Tensor(shape: [data.count, EfficientNetLite0.embeddingSize], scalars: features)   // [N, 1280]
        }

        /// Trains a fresh head (finetune's defaults, `seed`) for `epochs` on `train`; its accuracy on `test`.
        static func fit(_ train: LabeledImages, _ test: LabeledImages, seed: UInt64, epochs: Int) -> Double {
            var options = FinetuneOptions.defaults
            options.seed = seed
            options.classNames = train.classNames
            var trainer = options.makeTrainer()
            for epoch in 0..<epochs {
                for batch in Batches(train, batchSize: options.batchSize, shuffle: true, seed: seed, epoch: epoch) {
                    _ = trainer.trainStep(images: batch.images, labels: batch.labels)
                }
            }
            return Double(trainer.evaluate(images: test.images, labels: test.labels).accuracy)
        }
    }
}
