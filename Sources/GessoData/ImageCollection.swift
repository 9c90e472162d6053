import Foundation
import GessoImages
import TensorCore

/// Every PNG and JPEG under a folder, at any depth, without classes: what a GAN learns from.
public enum ImageCollection {
    /// Loads the readable images under `folder` (hidden files and folders ignored), each converted to `channels`,
    /// its shorter side resized to `imageSize` and centre-cropped. Unreadable files are skipped and returned by
    /// name, with the reason, so the caller can say so.
    public static func load(_ folder: URL, imageSize: Int, channels: Int) throws -> (images: LabeledImages, skipped: [String]) {
        let urls = try imageFiles(in: folder)
        let results = ImageFolder.parallelMap(urls.count) { i in
            try ImageFolder.prepared(ImageFile.read(urls[i]), size: imageSize, channels: channels).pixels
        }
        var pixels: [Float] = [], sources: [String] = [], skipped: [String] = []
        pixels.reserveCapacity(urls.count * imageSize * imageSize * channels)
        for (url, result) in zip(urls, results) {
            switch result {
            case .success(let bytes):
                pixels += bytes.map { Float($0) / 255 }
                sources.append(url.path)
            case .failure(let error):
                skipped.append("\(url.path): \((error as? ImageError)?.problem ?? "\(error)")")
            }
        }
        guard !sources.isEmpty else {
            throw DataError(path: folder.path, problem: "has \(urls.count) image files but none could be read: \(skipped.prefix(3).joined(separator: "; "))")
        }
        let images = Tensor(shape: [sources.count, imageSize, imageSize, channels], scalars: pixels)
        return (LabeledImages(images: images, labels: [Int](repeating: 0, count: sources.count), classNames: ["images"],
                              sources: sources), skipped)
    }

    /// The PNG and JPEG files under `folder`, at any depth (hidden files and folders ignored), sorted by path.
    ///
    /// - Throws: `DataError` when the folder is missing, is a file, cannot be read or holds no images.
    public static func imageFiles(in folder: URL) throws -> [URL] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw DataError(path: folder.path, problem: "does not exist. Check the path (it is case-sensitive).")
        }
        guard isFolder.boolValue else {
            throw DataError(path: folder.path, problem: "is a file, not a folder. Give the folder that holds your images.")
        }
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw DataError(path: folder.path, problem: "cannot be read. Check its permissions.")
        }
        let urls = walker.compactMap { $0 as? URL }.filter(ImageFolder.isImageName)
            .sorted { $0.path < $1.path }
        guard !urls.isEmpty else {
            throw DataError(path: folder.path, problem: "holds no PNG or JPEG images (looked in every sub-folder too).")
        }
        return urls
    }
}
