/// A problem with a data set, in plain words: names the file or folder and says what to do. Thrown for
/// problems that stop a data set from loading at all (a missing file, a damaged download).
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file or folder at fault.
    public let path: String
    /// What is wrong and how to fix it, as a sentence or two.
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
