import Foundation

/// The 1,000 ImageNet-1k class names in the order of an ImageNet classifier's outputs (torchvision's list, shipped
/// with Gesso as `Resources/imagenet-classes.txt`; licence in `Resources/LICENSE-imagenet-classes.txt`).
public enum ImageNetClasses {
    /// The names; index i names logit i (281-285 are cats, 967 is "espresso").
    public static func names() throws -> [String] {
        guard let url = Bundle.module.url(forResource: "imagenet-classes", withExtension: "txt", subdirectory: "Resources"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw DataError(path: Bundle.module.bundlePath, problem: "lacks imagenet-classes.txt, which Gesso ships with: "
                + "reinstall or rebuild Gesso.")
        }
        let names = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        guard names.count == 1000 else {
            throw DataError(path: url.path, problem: "has \(names.count) class names, not 1000: Gesso's copy is damaged; "
                + "reinstall or rebuild Gesso.")
        }
        return names
    }
}
