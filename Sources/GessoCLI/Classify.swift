import ArgumentParser
import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN

/// The pre-trained EfficientNet-Lite0: from `--weights`, or from where `scripts/setup.sh` puts it.
enum PretrainedEfficientNet {
    static var defaultWeights: String { GessoHome.models.appendingPathComponent("efficientnet-lite0.pth").path }

    /// The model, or a plain-words error and exit 1 (a missing file names the command that fetches it).
    static func load(_ path: String?) -> EfficientNetLite0 {
        do { return try EfficientNetLite0.load(from: URL(fileURLWithPath: path ?? defaultWeights)) } catch { fail("\(error)") }
    }

    /// The images of `urls` preprocessed into one batch `[n, 224, 224, 3]`, with the readable ones' indices;
    /// unreadable files are reported on standard error, as an error or a warning.
    static func batch(_ urls: [URL], unreadable: String = "error") -> (images: Tensor, kept: [Int])? {
        var tensors: [Tensor] = [], kept: [Int] = []
        for (i, url) in urls.enumerated() {
            do {
                tensors.append(EfficientNetLite0.preprocess(try ImageFile.read(url)).reshaped(to: [1, 224, 224, 3]))
                kept.append(i)
            } catch {
                FileHandle.standardError.write(Data("gesso: \(unreadable): \(error)\n".utf8))
            }
        }
        return tensors.isEmpty ? nil : (Tensor.concatenate(tensors, alongAxis: 0), kept)
    }
}

/// `gesso classify IMAGE... [--top 5] [--json]`
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The ImageNet classes of images, by the pre-trained EfficientNet-Lite0 (fetched by scripts/setup.sh).")

    @Option(help: "How many classes to show per image.") var top: Int = 5
    @Flag(help: "Print JSON instead of text.") var json = false
    @Option(help: "The weights (a PyTorch state dict; default $GESSO_HOME/models/efficientnet-lite0.pth).")
    var weights: String?
    @Argument(help: "PNG or JPEG files.") var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image file") }
        guard (1...1000).contains(top) else { throw ValidationError("--top must be between 1 and 1000") }
    }

    func run() throws {
        let model = PretrainedEfficientNet.load(weights)
        let names: [String]
        do { names = try ImageNetClasses.names() } catch { fail("\(error)") }
        var results: [[String: Any]] = []
        var failed = false
        for start in stride(from: 0, to: images.count, by: 16) {
            let paths = Array(images[start..<min(start + 16, images.count)])
            guard let loaded = PretrainedEfficientNet.batch(paths.map { URL(fileURLWithPath: $0) }) else {
                failed = true
                continue
            }
            let (batch, kept) = loaded
            failed = failed || kept.count < paths.count
            let probabilities = model.logits(batch).softmax().scalars   // [n, 1000]
            for (row, i) in kept.enumerated() {
                let p = Array(probabilities[row * 1000..<(row + 1) * 1000])
                let ranked = p.indices.sorted { p[$0] > p[$1] }.prefix(top)
                if json {
                    results.append(["image": paths[i], "top": ranked.map {
                        ["index": $0, "class": names[$0], "probability": Double(p[$0])] as [String: Any]
                    }])
                } else {
                    print(paths[i])
                    for c in ranked { print(String(format: "  %5.1f%%  %4d %@", 100 * p[c], c, names[c])) }
                }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
        if failed { throw ExitCode(1) }
    }
}

/// `gesso embed FOLDER --out embeddings.npy`
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "EfficientNet-Lite0's 1280-d features of every image under a folder, as a .npy array.",
        discussion: """
        Images are found at any depth and taken in sorted order; row i of the [images, 1280] float32 array is the \
        image on line i of the list written beside it (the same name, .txt: paths relative to FOLDER). Unreadable \
        images are left out, with a warning.
        """)

    @Argument(help: "The folder of PNG and JPEG images.") var folder: String
    @Option(help: "The .npy file to write.") var out = "embeddings.npy"
    @Option(help: "Images per batch.") var batchSize = 16
    @Option(help: "The weights (a PyTorch state dict; default $GESSO_HOME/models/efficientnet-lite0.pth).")
    var weights: String?

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard out.hasSuffix(".npy") else { throw ValidationError("--out must end in .npy (got \(out))") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        let urls: [URL]
        do { urls = try ImageCollection.imageFiles(in: root) } catch { fail("\(error)") }
        let model = PretrainedEfficientNet.load(weights)
        var features: [Float] = [], listed: [String] = []
        var progress = ProgressBar(total: urls.count, label: "embed")
        let started = Date()
        for start in stride(from: 0, to: urls.count, by: batchSize) {
            let chunk = Array(urls[start..<min(start + batchSize, urls.count)])
            if let loaded = PretrainedEfficientNet.batch(chunk, unreadable: "warning") {
                features += model.embedding(loaded.images).scalars   // [n, 1280]
                listed += loaded.kept.map { Self.relative(chunk[$0], to: root) }
            }
            let done = start + chunk.count
            progress.update(done, String(format: "%.1f images/s", Double(done) / Date().timeIntervalSince(started)))
        }
        progress.finish()
        guard !listed.isEmpty else { fail("\(folder): none of its \(urls.count) images could be read") }
        let npy = URL(fileURLWithPath: out)
        let list = npy.deletingPathExtension().appendingPathExtension("txt")
        do {
            try AtomicFile.write(NumpyFile.encode(Tensor(shape: [listed.count, 1280], scalars: features)), to: npy)
            try AtomicFile.write(Data(listed.map { $0 + "\n" }.joined().utf8), to: list)
        } catch { fail("cannot write \(out) or \(list.path): \(error)") }
        let skipped = urls.count - listed.count
        print("Wrote \(listed.count) embeddings [\(listed.count), 1280] to \(npy.path) and their files to \(list.path)" +
              (skipped > 0 ? " (left out, unreadable: \(skipped))" : ""))
    }

    static func relative(_ url: URL, to root: URL) -> String {
        let base = root.path.hasSuffix("/") ? root.path : root.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
