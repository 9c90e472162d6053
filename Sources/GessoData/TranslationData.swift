import Foundation
import GessoImages
import TensorCore

/// How images are brought to the training size, as the pix2pix/CycleGAN reference trainer's `--preprocess`.
public enum TranslationPreprocess: String, CaseIterable, Sendable, Codable {
    /// Resize to `loadSize` x `loadSize`, then a random `size` x `size` crop each time (the reference's default).
    case resizeAndCrop = "resize-and-crop"
    /// Keep each image's own size and take random `size` x `size` crops (every image must be at least that big).
    case crop
    /// Resize to `size` x `size`; no cropping.
    case resize
}

/// Images of one domain (or one side of pairs), kept as pixels: cropping and flipping happen per batch.
public struct TranslationImages: Sendable {
    public var images: [Image]
    /// The file name (relative to the folder) or the built-in item's name, for each image.
    public var names: [String]
    public init(images: [Image], names: [String]) { self.images = images; self.names = names }
    public var count: Int { images.count }

    /// The images at `indices`.
    public subscript(_ indices: [Int]) -> TranslationImages {
        TranslationImages(images: indices.map { images[$0] }, names: indices.map { names[$0] })
    }
}

/// Images of side A and side B: aligned pairs for pix2pix, two domains (any counts) for CycleGAN.
public typealias TranslationPair = (a: TranslationImages, b: TranslationImages)

/// Reading folders for pix2pix (pairs) and CycleGAN (two domains), and cutting training batches from them.
public enum TranslationData {
    /// Brings one image to the preprocessing's stored size, or throws naming the file when a crop cannot fit.
    public static func prepare(_ image: Image, name: String, channels: Int, preprocess: TranslationPreprocess,
                               loadSize: Int, size: Int) throws -> Image {
        let image = image.converted(toChannels: channels)
        switch preprocess {
        case .resizeAndCrop:
            return image.resized(width: loadSize, height: loadSize, filter: loadSize < min(image.width, image.height) ? .area : .bilinear)
        case .resize:
            return image.resized(width: size, height: size, filter: size < min(image.width, image.height) ? .area : .bilinear)
        case .crop:
            guard image.width >= size && image.height >= size else {
                throw DataError(path: name, problem: "is \(image.width)x\(image.height), smaller than the \(size)x\(size) crop. "
                    + "Use --preprocess resize-and-crop (which resizes first), a smaller --size, or leave this image out.")
            }
            return image
        }
    }

    /// The readable images under `folder` (any depth), prepared; unreadable files are returned by name to report.
    public static func loadFolder(_ folder: URL, channels: Int, preprocess: TranslationPreprocess, loadSize: Int,
                                  size: Int) throws -> (images: TranslationImages, skipped: [String]) {
        let urls = try ImageCollection.imageFiles(in: folder)
        let results = ImageFolder.parallelMap(urls.count) { i in try ImageFile.read(urls[i]) }
        var images: [Image] = [], names: [String] = [], skipped: [String] = []
        for (url, result) in zip(urls, results) {
            switch result {
            case .success(let image):
                images.append(try prepare(image, name: url.path, channels: channels, preprocess: preprocess, loadSize: loadSize, size: size))
                names.append(relativeName(url, in: folder))
            case .failure(let error):
                skipped.append("\(url.path): \((error as? ImageError)?.problem ?? "\(error)")")
            }
        }
        guard !images.isEmpty else {
            throw DataError(path: folder.path, problem: "has \(urls.count) image files but none could be read: \(skipped.prefix(3).joined(separator: "; "))")
        }
        return (TranslationImages(images: images, names: names), skipped)
    }

    /// Pairs from a folder of side-by-side images (input on the left half, target on the right, as pix2pix's data
    /// sets are stored). Each half is prepared as a separate image.
    public static func loadSideBySide(_ folder: URL, channels: Int, preprocess: TranslationPreprocess, loadSize: Int,
                                      size: Int) throws -> (a: TranslationImages, b: TranslationImages, skipped: [String]) {
        let urls = try ImageCollection.imageFiles(in: folder)
        let results = ImageFolder.parallelMap(urls.count) { i in try ImageFile.read(urls[i]) }
        var a: [Image] = [], b: [Image] = [], names: [String] = [], skipped: [String] = []
        for (url, result) in zip(urls, results) {
            switch result {
            case .success(let image):
                guard image.width >= 2 * image.height * 9 / 10 else {
                    throw DataError(path: url.path, problem: "is \(image.width)x\(image.height): a side-by-side pair should be about twice "
                        + "as wide as high (input on the left, target on the right). For two folders of matching names use --input and --target.")
                }
                let half = image.width / 2
                a.append(try prepare(image.cropped(x: 0, y: 0, width: half, height: image.height), name: url.path, channels: channels,
                                     preprocess: preprocess, loadSize: loadSize, size: size))
                b.append(try prepare(image.cropped(x: half, y: 0, width: half, height: image.height), name: url.path, channels: channels,
                                     preprocess: preprocess, loadSize: loadSize, size: size))
                names.append(relativeName(url, in: folder))
            case .failure(let error):
                skipped.append("\(url.path): \((error as? ImageError)?.problem ?? "\(error)")")
            }
        }
        guard !names.isEmpty else { throw DataError(path: folder.path, problem: "holds no readable side-by-side pairs") }
        return (TranslationImages(images: a, names: names), TranslationImages(images: b, names: names), skipped)
    }

    /// Pairs from two folders whose files match by name without the extension ("cat.jpg" with "cat.png").
    /// Throws naming files that have no partner.
    public static func loadMatching(input: URL, target: URL, channels: Int, preprocess: TranslationPreprocess, loadSize: Int,
                                    size: Int) throws -> (a: TranslationImages, b: TranslationImages, skipped: [String]) {
        let (a, skippedA) = try loadFolder(input, channels: channels, preprocess: preprocess, loadSize: loadSize, size: size)
        let (b, skippedB) = try loadFolder(target, channels: channels, preprocess: preprocess, loadSize: loadSize, size: size)
        func stem(_ n: String) -> String { (n as NSString).deletingPathExtension }
        let bIndex = Dictionary(b.names.enumerated().map { (stem($0.element), $0.offset) }) { first, _ in first }
        let aStems = Set(a.names.map(stem))
        let lonelyA = a.names.filter { bIndex[stem($0)] == nil }, lonelyB = b.names.filter { !aStems.contains(stem($0)) }
        guard lonelyA.isEmpty && lonelyB.isEmpty else {
            let list = (lonelyA.prefix(5).map { "\(input.path)/\($0)" } + lonelyB.prefix(5).map { "\(target.path)/\($0)" })
            throw DataError(path: lonelyA.isEmpty ? target.path : input.path,
                            problem: "\(lonelyA.count + lonelyB.count) images have no partner of the same name in the other folder "
                                + "(\(list.joined(separator: ", "))). Pairs must share a file name (the extension may differ).")
        }
        let order = a.names.map { bIndex[stem($0)]! }
        return (a, b[order], skippedA + skippedB)
    }

    /// A training batch `[N, size, size, C]` in [-1, 1] of `images` at `indices`: a random crop and, with `flip`,
    /// a left-right flip half of the time. `partner`, when given, is cut the same way (pix2pix's aligned pairs).
    public static func batch(_ images: TranslationImages, partner: TranslationImages? = nil, indices: [Int], size: Int,
                             flip: Bool, using g: inout RandomGenerator) -> (Tensor, Tensor?) {
        var first: [Float] = [], second: [Float] = []
        for i in indices {
            let image = images.images[i]
            let x = Int(g.next() % UInt64(image.width - size + 1)), y = Int(g.next() % UInt64(image.height - size + 1))
            let mirror = flip && g.nextUnitFloat() < 0.5
            func cut(_ im: Image) -> [Float] {
                var c = im.width == size && im.height == size ? im : im.cropped(x: x, y: y, width: size, height: size)
                if mirror { c = c.flippedHorizontally() }
                return c.pixels.map { Float($0) / 127.5 - 1 }
            }
            first += cut(image)
            if let partner { second += cut(partner.images[i]) }
        }
        let c = images.images[0].channels
        let shape = [indices.count, size, size, c]
        return (Tensor(shape: shape, scalars: first),
                partner.map { Tensor(shape: [indices.count, size, size, $0.images[0].channels], scalars: second) })
    }

    /// The centre `size` x `size` of each image at `indices`, `[N, size, size, C]` in [-1, 1] (fixed sample sets).
    public static func centred(_ images: TranslationImages, indices: [Int], size: Int) -> Tensor {
        let pixels = indices.flatMap { i -> [Float] in
            let im = images.images[i]
            let c = im.width == size && im.height == size ? im : im.centerCropped(width: size, height: size)
            return c.pixels.map { Float($0) / 127.5 - 1 }
        }
        return Tensor(shape: [indices.count, size, size, images.images[0].channels], scalars: pixels)
    }

    /// The path of `url` below `folder` ("sub/cat.png"), or its last component when it is elsewhere.
    public static func relativeName(_ url: URL, in folder: URL) -> String {
        let base = folder.standardizedFileURL.path, path = url.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.lastPathComponent
    }
}

/// The built-in demo data of image translation, made from the colour emoji (`EmojiFont`).
extension TranslationData {
    /// Every item whose index is a multiple of `every` is held out (the test split), the rest train.
    public static func split(_ count: Int, every: Int) -> (train: [Int], test: [Int]) {
        let test = stride(from: 0, to: count, by: every).map { $0 }
        let testSet = Set(test)
        return ((0..<count).filter { !testSet.contains($0) }, test)
    }

    /// edges -> emoji pairs at `size` x `size`: the input is `Image.edges` of the emoji, the target the emoji on white.
    /// Held out: every 10th emoji in code-point order.
    public static func edgesToEmoji(size: Int, fontPath: String = EmojiFont.defaultPath)
        throws -> (train: TranslationPair, test: TranslationPair) {
        let emoji = try EmojiFont.load(path: fontPath, size: size)
        let b = TranslationImages(images: emoji.map(\.image), names: emoji.map { $0.name + ".png" })
        let a = TranslationImages(images: ImageFolder.parallelMap(emoji.count) { emoji[$0].image.edges() }.compactMap { try? $0.get() },
                                  names: b.names)
        let (train, test) = split(emoji.count, every: 10)
        return ((a[train], b[train]), (a[test], b[test]))
    }

    /// Unpaired smileys (U+1F600-1F64F, domain A) and animals (U+1F400-1F43F, domain B) at `size` x `size`.
    /// Held out: every 5th of each, in code-point order.
    public static func smileysAndAnimals(size: Int, fontPath: String = EmojiFont.defaultPath)
        throws -> (train: TranslationPair, test: TranslationPair) {
        func domain(_ name: String) throws -> (TranslationImages, TranslationImages) {
            let emoji = try EmojiFont.load(path: fontPath, blocks: EmojiFont.blocks(named: name)!, size: size)
            let all = TranslationImages(images: emoji.map(\.image), names: emoji.map { $0.name + ".png" })
            let (train, test) = split(emoji.count, every: 5)
            return (all[train], all[test])
        }
        let (trainA, testA) = try domain("smileys"), (trainB, testB) = try domain("animals")
        return ((trainA, trainB), (testA, testB))
    }
}
