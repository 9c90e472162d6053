import Foundation
import GessoData
import GessoImages
import GessoModels

/// The per-epoch metrics of a run, kept as metrics.csv in the run folder.
struct MetricsLog {
    struct Row {
        var epoch: Int, step: Int
        var trainLoss, trainAccuracy, validationLoss, validationAccuracy, seconds, imagesPerSecond, learningRate: Double
    }
    static let header = "epoch,step,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,images_per_second,learning_rate"
    let url: URL
    var rows: [Row] = []

    init(url: URL) { self.url = url }

    mutating func append(epoch: Int, step: Int, trainLoss: Double, trainAccuracy: Double, validationLoss: Double,
                         validationAccuracy: Double, seconds: Double, imagesPerSecond: Double, learningRate: Double) {
        rows.removeAll { $0.epoch >= epoch }  // a resumed epoch replaces its earlier, unfinished record
        rows.append(Row(epoch: epoch, step: step, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
                        validationLoss: validationLoss, validationAccuracy: validationAccuracy, seconds: seconds,
                        imagesPerSecond: imagesPerSecond, learningRate: learningRate))
    }

    func bestValidationAccuracy(excludingLast: Bool) -> Double? {
        (excludingLast ? rows.dropLast() : rows[...]).map(\.validationAccuracy).max()
    }

    func save() throws {
        let lines = [Self.header] + rows.map { r in
            [String(r.epoch), String(r.step)] + [r.trainLoss, r.trainAccuracy, r.validationLoss, r.validationAccuracy, r.seconds,
                                                 r.imagesPerSecond, r.learningRate].map { String(format: "%.6g", $0) }
        }.map { $0.joined(separator: ",") }
        try write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url)
    }

    /// Reads an existing metrics.csv (for --resume); a missing file means no finished epoch yet.
    mutating func load() throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        rows = text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 9, let e = Int(f[0]), let s = Int(f[1]) else { return nil }
            let d = f[2...].map { Double($0) ?? .nan }
            return Row(epoch: e, step: s, trainLoss: d[0], trainAccuracy: d[1], validationLoss: d[2], validationAccuracy: d[3],
                       seconds: d[4], imagesPerSecond: d[5], learningRate: d[6])
        }
    }
}

/// The pictures of a run: loss and accuracy curves, the confusion matrix, and validation images marked right/wrong.
enum RunPictures {
    static func write(history: MetricsLog, evaluation: ClassifierTrainer.Evaluation, validation: LabeledImages,
                      classNames: [String], to folder: URL) throws {
        let epochs = history.rows.map { Double($0.epoch) }
        let loss = Chart.lines([("train", history.rows.map(\.trainLoss)), ("validation", history.rows.map(\.validationLoss))],
                               xValues: epochs, title: "Loss", xLabel: "epoch", yLabel: "cross-entropy")
        let accuracy = Chart.lines([("train", history.rows.map { 100 * $0.trainAccuracy }),
                                    ("validation", history.rows.map { 100 * $0.validationAccuracy })],
                                   xValues: epochs, title: "Accuracy", xLabel: "epoch", yLabel: "%")
        let confusion = Chart.confusionMatrix(evaluation.confusion, labels: classNames, title: "Validation: true (rows) vs predicted")
        try save(loss, folder.appendingPathComponent("loss.png"))
        try save(accuracy, folder.appendingPathComponent("accuracy.png"))
        try save(confusion, folder.appendingPathComponent("confusion.png"))

        // Up to 48 validation images, spread over the set, captioned with the prediction; green right, red wrong.
        let n = validation.count
        let picks = n <= 48 ? Array(0..<n) : (0..<48).map { $0 * n / 48 }
        var images: [Image] = [], captions: [String] = [], borders: [[UInt8]?] = []
        let scale = max(1, 96 / max(validation.imageShape[0], 1))  // room for captions under small images
        for i in picks {
            var image = Image(tensor: validation.images[i])
            if scale > 1 { image = image.resized(width: image.width * scale, height: image.height * scale, filter: .bilinear) }
            images.append(image)
            let p = evaluation.predictions[i], t = validation.labels[i]
            captions.append(p == t ? classNames[p] : "\(classNames[p]) (\(classNames[t]))")
            borders.append(p == t ? [40, 170, 60] : [220, 40, 40])
        }
        try save(ImageGrid.make(images, columns: 8, captions: captions, borders: borders), folder.appendingPathComponent("validation.png"))
    }

    static func save(_ image: Image, _ url: URL) throws {
        try ImageFile.write(image, to: url)
    }
}
