import Foundation
import Testing
import TensorCore
@testable import GessoData

/// `count` one-pixel images whose pixel is the image's index, labels from `labels`.
func indexedImages(labels: [Int], classes: Int) -> LabeledImages {
    LabeledImages(images: Tensor(shape: [labels.count, 1, 1, 1], scalars: labels.indices.map(Float.init)),
                  labels: labels, classNames: (0..<classes).map { "class \($0)" },
                  sources: labels.indices.map { "image \($0)" })
}

@Suite struct DataSplitTests {
    // Classes of 100, 31, 10, 2 and 1 images.
    let data = indexedImages(labels: Array(repeating: 0, count: 100) + Array(repeating: 1, count: 31)
        + Array(repeating: 2, count: 10) + [3, 3, 4], classes: 5)

    @Test func proportionsPerClass() {
        let (train, validation) = DataSplit.stratified(data, validationFraction: 0.2, seed: 7)
        // round(0.2 n): 20, 6 (6.2), 2, then at least 1 of the 2, and none of a lone image.
        #expect(validation.classCounts == [20, 6, 2, 1, 0])
        #expect(train.classCounts == [80, 25, 8, 1, 1])
        // Nothing lost or duplicated; each image keeps its label.
        let all = (train.images.scalars + validation.images.scalars).map(Int.init).sorted()
        #expect(all == Array(0..<data.count))
        for (pixel, label) in zip(validation.images.scalars, validation.labels) { #expect(data.labels[Int(pixel)] == label) }
        #expect(validation.sources == validation.images.scalars.map { "image \(Int($0))" })
    }

    @Test func sameSeedSameSplit() {
        let a = DataSplit.stratified(data, validationFraction: 0.25, seed: 3)
        let b = DataSplit.stratified(data, validationFraction: 0.25, seed: 3)
        let c = DataSplit.stratified(data, validationFraction: 0.25, seed: 4)
        #expect(a.validation.sources == b.validation.sources)
        #expect(a.train.sources == b.train.sources)
        #expect(a.validation.sources != c.validation.sources)
    }

    @Test func zeroFractionKeepsEverything() {
        let (train, validation) = DataSplit.stratified(data, validationFraction: 0, seed: 1)
        #expect(train.count == data.count && validation.count == 0)
        #expect(validation.images.shape == [0, 1, 1, 1])
    }
}

@Suite struct BatchesTests {
    let data = indexedImages(labels: (0..<23).map { $0 % 3 }, classes: 3)

    func epochOrder(seed: UInt64, epoch: Int) -> [Int] {
        Batches(data, batchSize: 5, shuffle: true, seed: seed, epoch: epoch).flatMap(\.indices)
    }

    @Test func everyIndexOncePerEpochWithAPartialLastBatch() {
        let batches = Batches(data, batchSize: 5, shuffle: true, seed: 42, epoch: 0)
        #expect(batches.count == 5)
        let all = Array(batches)
        #expect(all.count == 5)
        #expect(all.map(\.labels.count) == [5, 5, 5, 5, 3])
        #expect(all.flatMap(\.indices).sorted() == Array(0..<23))
        for batch in all {
            #expect(batch.images.shape == [batch.indices.count, 1, 1, 1])
            #expect(batch.images.scalars == batch.indices.map(Float.init))      // pixel = index
            #expect(batch.labels == batch.indices.map { data.labels[$0] })
        }
    }

    @Test func dropLastDropsThePartialBatch() {
        let batches = Batches(data, batchSize: 5, shuffle: false, seed: 0, epoch: 0, dropLast: true)
        #expect(batches.count == 4)
        #expect(Array(batches).flatMap(\.indices) == Array(0..<20))
    }

    @Test func unshuffledKeepsOrder() {
        #expect(Batches(data, batchSize: 4, shuffle: false, seed: 9, epoch: 3).flatMap(\.indices) == Array(0..<23))
    }

    @Test func orderDependsOnSeedAndEpochOnly() {
        #expect(epochOrder(seed: 1, epoch: 0) == epochOrder(seed: 1, epoch: 0))    // a resumed run sees the same order
        #expect(epochOrder(seed: 1, epoch: 0) != epochOrder(seed: 1, epoch: 1))
        #expect(epochOrder(seed: 1, epoch: 1) != epochOrder(seed: 2, epoch: 1))
        #expect(epochOrder(seed: 1, epoch: 0) != Array(0..<23))
    }

    @Test func prefetchedBatchesMatchDirectOnes() {
        let batches = Batches(data, batchSize: 4, shuffle: true, seed: 5, epoch: 2)
        for (b, batch) in batches.enumerated() {
            let direct = batches[b]
            #expect(batch.indices == direct.indices && batch.images.scalars == direct.images.scalars)
        }
    }
}
