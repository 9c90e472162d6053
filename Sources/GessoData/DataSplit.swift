import TensorCore

/// Splitting a data set into training and validation parts.
public enum DataSplit {
    /// A seeded, stratified split: each class gives `round(validationFraction * its count)` images to validation
    /// (at least 1 when the class has 2 or more and the fraction is above 0, and never all of them, so that every
    /// class stays in training). Both parts keep the original order; the same seed gives the same split.
    public static func stratified(_ data: LabeledImages, validationFraction: Double,
                                  seed: UInt64) -> (train: LabeledImages, validation: LabeledImages) {
        precondition(validationFraction >= 0 && validationFraction <= 1,
                     "stratified: validationFraction \(validationFraction) must lie in [0, 1]")
        var generator = RandomGenerator(seed: seed)
        var train = [Int](), validation = [Int]()
        var byClass = [[Int]](repeating: [], count: data.classNames.count)
        for (i, label) in data.labels.enumerated() { byClass[label].append(i) }
        for var members in byClass {
            let n = members.count
            var take = Int((validationFraction * Double(n)).rounded())
            if validationFraction > 0 && n >= 2 { take = max(take, 1) }
            take = min(take, max(n - 1, 0))
            seededShuffle(&members, using: &generator)
            validation += members[..<take]
            train += members[take...]
        }
        return (data[train.sorted()], data[validation.sorted()])
    }

    /// A seeded split with `count` training images from each class (few-shot: "10 images a class") and the rest of
    /// each class for validation; a class with `count` or fewer images gives all but one to training, so that
    /// every class is in both parts where it can be. Both parts keep the original order.
    public static func perClass(_ data: LabeledImages, count: Int,
                                seed: UInt64) -> (train: LabeledImages, validation: LabeledImages) {
        precondition(count >= 1, "perClass: count \(count) must be at least 1")
        var generator = RandomGenerator(seed: seed)
        var train = [Int](), validation = [Int]()
        var byClass = [[Int]](repeating: [], count: data.classNames.count)
        for (i, label) in data.labels.enumerated() { byClass[label].append(i) }
        for var members in byClass {
            seededShuffle(&members, using: &generator)
            let take = members.count > count ? count : max(members.count - 1, min(members.count, 1))
            train += members[..<take]
            validation += members[take...]
        }
        return (data[train.sorted()], data[validation.sorted()])
    }
}

/// Fisher-Yates with our own generator and index draw, so the order is the same on every machine and Swift version
/// (the standard library's `shuffle(using:)` does not promise its algorithm).
func seededShuffle<T>(_ values: inout [T], using generator: inout RandomGenerator) {
    guard values.count > 1 else { return }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
        let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)   // uniform in 0...i
        values.swapAt(i, j)
    }
}
