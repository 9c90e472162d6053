import Foundation

/// Where Gesso keeps what it fetches and makes: `$GESSO_HOME`, or `~/.gesso` when that is unset.
public enum GessoHome {
    /// `$GESSO_HOME`, or `~/.gesso`.
    public static var root: URL {
        if let home = ProcessInfo.processInfo.environment["GESSO_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".gesso", isDirectory: true)
    }

    /// Data sets fetched by `scripts/setup.sh` (MNIST-5k): `root/data`.
    public static var data: URL { root.appendingPathComponent("data", isDirectory: true) }

    /// Pre-trained weights fetched by `scripts/setup.sh` (`efficientnet-lite0.pth`): `root/models`.
    public static var models: URL { root.appendingPathComponent("models", isDirectory: true) }
}
