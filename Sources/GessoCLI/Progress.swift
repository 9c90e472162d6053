import Foundation

/// A one-line progress bar on standard error: redrawn in place on a terminal, printed every 10% otherwise.
struct ProgressBar {
    let total: Int
    let label: String
    let start = Date()
    private var lastPrintedTenth = -1
    private let isTerminal = isatty(STDERR_FILENO) != 0

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    mutating func update(_ done: Int, _ fields: String) {
        let elapsed = Date().timeIntervalSince(start)
        let fraction = Double(done) / Double(total)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\(label) [\(bar)] \(done)/\(total) \(fields) ETA \(Self.duration(eta))"
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        } else {
            let tenth = Int(fraction * 10)
            if tenth != lastPrintedTenth { lastPrintedTenth = tenth; FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        }
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Ctrl-C asks the training loop to save and stop; a second Ctrl-C quits at once.
enum StopRequest {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0

    static func install() {
        // A parent may have blocked or ignored SIGINT for its children (test runners do): take it back.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            if StopRequest.requested != 0 { _exit(130) }
            StopRequest.requested = 1
        }
    }
}
