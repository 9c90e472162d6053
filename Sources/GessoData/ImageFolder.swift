import Dispatch
import Foundation
import GessoImages
import TensorCore

/// Something a check of an image folder found, in plain words with what to do about it.
public struct DataProblem: CustomStringConvertible, Equatable, Sendable {
    public enum Severity: String, Sendable {
        /// The folder cannot be used until this is fixed.
        case error
        /// Something is left out or may hurt training.
        case warning
        /// For information: what Gesso will do about it.
        case note
    }

    public let severity: Severity
    public let message: String

    public init(_ severity: Severity, _ message: String) {
        self.severity = severity
        self.message = message
    }

    public var description: String { "\(severity.rawValue): \(message)" }
}

/// What `ImageFolder.check` found: the classes, their readable images, and the problems.
public struct ImageFolderReport: CustomStringConvertible, Sendable {
    /// The folder checked.
    public var folder: URL
    /// The classes that have usable images, sorted by name; a label is an index into this list.
    public var classNames: [String]
    /// The readable images of each class, sorted by path.
    public var files: [[URL]]
    /// Errors first, then warnings, then notes.
    public var problems: [DataProblem]
    /// 3 when any usable image has colour, 1 when all are grey.
    public var suggestedChannels: Int

    /// False when any problem is an error.
    public var isUsable: Bool { !problems.contains { $0.severity == .error } }

    /// The number of usable images.
    public var imageCount: Int { files.reduce(0) { $0 + $1.count } }

    /// Classes with their image counts, then the problems, one a line.
    public var description: String {
        var lines = ["\(folder.path): \(counted(classNames.count, "class", "classes")), \(counted(imageCount, "image"))"]
        let width = classNames.map(\.count).max() ?? 0
        for (name, list) in zip(classNames, files) {
            lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(list.count))
        }
        lines += problems.map(\.description)
        if !isUsable { lines.append("This folder cannot be used for training until the error above is fixed.") }
        return lines.joined(separator: "\n")
    }
}

/// A folder of images with one sub-folder per class (`art/cats/*.png`, `art/dogs/*.jpg`, ...).
public enum ImageFolder {
    /// The file extensions read as images, in any letter case.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Scans `folder`: each visible sub-folder is a class, holding PNG and JPEG files at any depth (hidden files and
    /// folders are ignored). Every image is decoded, in parallel, to check it.
    ///
    /// Throws `DataError` when `folder` is missing, is a file, or cannot be listed. Everything else goes into the
    /// report's problems: unreadable, empty or corrupt files (skipped, each named: a warning); class folders left
    /// with no images (warning, class dropped); fewer than 2 classes (error); images smaller than `minimumSize`
    /// pixels on a side (warning, named); mixed sizes, grey and colour, transparency, unbalanced classes and
    /// files that are not images (notes).
    public static func check(_ folder: URL, minimumSize: Int = 8) throws -> ImageFolderReport {
        let folder = folder.standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw DataError(path: folder.path, problem: "There is no folder here. Check the path: it should name a folder "
                + "that holds one sub-folder per class, such as art/cats and art/dogs.")
        }
        guard isFolder.boolValue else {
            throw DataError(path: folder.path, problem: "is a file, not a folder. Give the folder that holds one sub-folder "
                + "per class (such as art/cats and art/dogs), not a file inside it.")
        }
        let top: [Entry]
        do {
            top = try visibleEntries(of: folder)
        } catch {
            throw DataError(path: folder.path, problem: "cannot be listed (\(error.localizedDescription)). Check its permissions.")
        }
        var problems = [DataProblem]()
        func relative(_ url: URL) -> String {
            let path = url.path, root = folder.path + "/"
            return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
        }

        // Find the classes and their candidate files.
        let loose = top.filter { !$0.isFolder && isImageName($0.url) }.map { relative($0.url) }
        if !loose.isEmpty {
            problems.append(DataProblem(.warning, "Ignoring \(counted(loose.count, "image")) directly in the folder, outside "
                + "any class folder: \(listed(loose)). Move each into the sub-folder of its class."))
        }
        var candidates = [(name: String, files: [URL])]()
        var others = [URL]()
        for entry in top where entry.isFolder {
            var files = [URL]()
            var visited: Set<String> = []
            collect(entry.url, into: &files, others: &others, visited: &visited) { url, error in
                problems.append(DataProblem(.warning, "Cannot open the folder \(relative(url))/ (\(error.localizedDescription)): "
                    + "its images are left out. Check its permissions."))
            }
            candidates.append((entry.url.lastPathComponent, files.sorted { $0.path < $1.path }))
        }
        if !others.isEmpty {
            problems.append(DataProblem(.note, "Ignoring \(counted(others.count, "file")) that \(others.count == 1 ? "is" : "are") "
                + "not PNG or JPEG: \(listed(others.map(relative)))."))
        }

        // Decode every file once, in parallel.
        let all = candidates.flatMap(\.files)
        let results = parallelMap(all.count) { i in
            let image = try ImageFile.read(all[i])
            var transparent = false
            if image.channels == 4 {
                for p in stride(from: 3, to: image.pixels.count, by: 4) where image.pixels[p] < 255 { transparent = true; break }
            }
            return Shape(width: image.width, height: image.height, channels: image.channels, transparent: transparent)
        }

        var classNames = [String](), files = [[URL]](), shapes = [Shape]()
        var tiny = [String]()
        var next = 0
        for candidate in candidates {
            var readable = [URL]()
            for url in candidate.files {
                switch results[next] {
                case .success(let shape):
                    readable.append(url)
                    shapes.append(shape)
                    if min(shape.width, shape.height) < minimumSize { tiny.append("\(relative(url)) (\(shape.width)x\(shape.height))") }
                case .failure(let error):
                    let reason = (error as? ImageError)?.problem ?? error.localizedDescription
                    problems.append(DataProblem(.warning, "Skipping \(relative(url)): \(reason)."))
                }
                next += 1
            }
            if readable.isEmpty {
                problems.append(DataProblem(.warning, candidate.files.isEmpty
                    ? "The class folder \(candidate.name)/ has no PNG or JPEG images, so the class is left out. "
                        + "Add images to it, or remove the folder."
                    : "None of the images in the class folder \(candidate.name)/ could be read, so the class is left out."))
            } else {
                classNames.append(candidate.name)
                files.append(readable)
            }
        }

        if classNames.count < 2 {
            let name = folder.lastPathComponent
            problems.append(DataProblem(.error, classNames.isEmpty
                ? "Found no class folders with images. Make one sub-folder per class inside \(name) (such as \(name)/cats "
                    + "and \(name)/dogs) and put each image in the folder of its class."
                : "Found only one class (\(classNames[0])). A classifier needs at least two: add another sub-folder "
                    + "(such as \(name)/others) with images of a different class."))
        }
        if !tiny.isEmpty {
            problems.append(DataProblem(.warning, "\(counted(tiny.count, "image")) \(tiny.count == 1 ? "is" : "are") smaller "
                + "than \(minimumSize) pixels on a side: \(listed(tiny)). Small images are blown up to the training size "
                + "and look blurry; use larger ones if you can."))
        }
        if let smallest = shapes.min(by: { $0.area < $1.area }), let largest = shapes.max(by: { $0.area < $1.area }),
           shapes.contains(where: { $0.width != smallest.width || $0.height != smallest.height }) {
            problems.append(DataProblem(.note, "Image sizes vary from \(smallest.width)x\(smallest.height) to "
                + "\(largest.width)x\(largest.height): each will be resized to the training size (shorter side scaled to "
                + "fit, then the middle cropped square)."))
        }
        let grey = shapes.filter { $0.channels == 1 }.count
        let colour = shapes.count - grey
        let transparent = shapes.filter(\.transparent).count
        if grey > 0 && colour > 0 {
            problems.append(DataProblem(.note, "\(counted(grey, "image")) \(grey == 1 ? "is" : "are") grey, \(colour) colour: "
                + "all will be used as colour."))
        }
        if transparent > 0 {
            problems.append(DataProblem(.note, "\(counted(transparent, "image")) \(transparent == 1 ? "has" : "have") "
                + "transparent parts: they will be shown on white."))
        }
        let counts = files.map(\.count)
        if let most = counts.max(), let fewest = counts.min(), fewest * 3 <= most,
           let big = counts.firstIndex(of: most), let small = counts.firstIndex(of: fewest) {
            problems.append(DataProblem(.note, "The classes are unbalanced: \(classNames[big]) has \(counted(most, "image")), "
                + "\(classNames[small]) only \(fewest). The model will lean towards the larger classes; add images to the "
                + "smaller ones if you can."))
        }

        let order: [DataProblem.Severity: Int] = [.error: 0, .warning: 1, .note: 2]
        return ImageFolderReport(folder: folder, classNames: classNames, files: files,
                                 problems: problems.enumerated().sorted {
                                     (order[$0.element.severity]!, $0.offset) < (order[$1.element.severity]!, $1.offset)
                                 }.map(\.element),
                                 suggestedChannels: colour > 0 ? 3 : 1)
    }

    /// Loads the images of a usable report: each converted to `channels` (1 grey or 3 colour; transparency shown on
    /// white), its shorter side resized to `imageSize` (area filter when shrinking, bilinear when enlarging), then
    /// centre-cropped to `imageSize` x `imageSize`. Decoding runs in parallel.
    ///
    /// - Returns: images `[N, imageSize, imageSize, channels]` in [0, 1], labels indexing `report.classNames`,
    ///   sources the file paths; classes in order, each class's files in order.
    public static func load(_ report: ImageFolderReport, imageSize: Int, channels: Int) throws -> LabeledImages {
        guard report.isUsable else {
            let errors = report.problems.filter { $0.severity == .error }.map(\.message).joined(separator: " ")
            throw DataError(path: report.folder.path, problem: "cannot be used for training yet. \(errors)")
        }
        guard channels == 1 || channels == 3 else {
            throw DataError(path: report.folder.path, problem: "cannot be loaded with \(channels) channels: use 1 (grey) or 3 (colour).")
        }
        guard imageSize >= 1 else {
            throw DataError(path: report.folder.path, problem: "cannot be loaded at \(imageSize) pixels: the image size must be 1 or more.")
        }
        let urls = report.files.flatMap { $0 }
        let labels = report.files.enumerated().flatMap { label, list in [Int](repeating: label, count: list.count) }
        let imageBytes = imageSize * imageSize * channels
        var images = Tensor.zeros([urls.count, imageSize, imageSize, channels])
        let results = images.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            return parallelMap(urls.count) { i in
                let image = prepared(try ImageFile.read(urls[i]), size: imageSize, channels: channels)
                for (j, byte) in image.pixels.enumerated() { base[i * imageBytes + j] = Float(byte) / 255 }
            }
        }
        for (url, result) in zip(urls, results) {
            if case .failure(let error) = result {
                let reason = (error as? ImageError)?.problem ?? error.localizedDescription
                throw DataError(path: url.path, problem: "can no longer be read (\(reason)). It changed after the folder "
                    + "was checked: check the folder again.")
            }
        }
        return LabeledImages(images: images, labels: labels, classNames: report.classNames, sources: urls.map(\.path))
    }

    /// One image as `load` prepares it (use it for an image to predict on): converted to `channels` (1 or 3), its
    /// shorter side resized to `size` (area filter when shrinking, bilinear when enlarging), then the middle
    /// `size` x `size` kept.
    public static func prepared(_ image: Image, size: Int, channels: Int) -> Image {
        let image = image.converted(toChannels: channels)
        let scale = Double(size) / Double(min(image.width, image.height))
        let width = max(size, Int((Double(image.width) * scale).rounded()))
        let height = max(size, Int((Double(image.height) * scale).rounded()))
        return image.resized(width: width, height: height, filter: scale < 1 ? .area : .bilinear)
            .centerCropped(width: size, height: size)
    }

    // MARK: - Scanning

    struct Shape: Sendable {
        var width, height, channels: Int
        var transparent: Bool
        var area: Int { width * height }
    }

    struct Entry {
        var url: URL
        var isFolder: Bool
    }

    static func isImageName(_ url: URL) -> Bool { imageExtensions.contains(url.pathExtension.lowercased()) }

    /// The entries of a folder whose names do not start with ".", sorted by name; symbolic links are followed.
    static func visibleEntries(of folder: URL) throws -> [Entry] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
            .map { name in
                let url = folder.appendingPathComponent(name)
                var isFolder: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
                return Entry(url: url, isFolder: isFolder.boolValue)
            }
    }

    /// Image files under `folder` at any depth, skipping hidden entries and folders already visited (link loops).
    static func collect(_ folder: URL, into files: inout [URL], others: inout [URL], visited: inout Set<String>,
                        unreadable: (URL, Error) -> Void) {
        guard visited.insert(folder.resolvingSymlinksInPath().path).inserted else { return }
        let entries: [Entry]
        do {
            entries = try visibleEntries(of: folder)
        } catch {
            unreadable(folder, error)
            return
        }
        for entry in entries {
            if entry.isFolder {
                collect(entry.url, into: &files, others: &others, visited: &visited, unreadable: unreadable)
            } else if isImageName(entry.url) {
                files.append(entry.url)
            } else {
                others.append(entry.url)
            }
        }
    }

    /// `work(i)` for i in 0..<count on all cores (`DispatchQueue.concurrentPerform`), results in order.
    static func parallelMap<T>(_ count: Int, _ work: (Int) throws -> T) -> [Result<T, Error>] {
        var results = [Result<T, Error>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { slots in
            DispatchQueue.concurrentPerform(iterations: count) { i in
                slots[i] = Result { try work(i) }
            }
        }
        return results.map { $0! }
    }
}

/// "1 image", "3 images".
func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}

/// Up to `limit` names joined by commas, then "and N more".
func listed(_ names: [String], limit: Int = 10) -> String {
    let shown = names.prefix(limit).joined(separator: ", ")
    return names.count > limit ? "\(shown) and \(names.count - limit) more" : shown
}
