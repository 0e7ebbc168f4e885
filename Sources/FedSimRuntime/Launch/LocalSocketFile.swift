import Foundation

/// The Unix domain socket where `fedsim run`'s coordinator and its workers meet:
/// `fedsim-PID-RANDOM.ipc` in the temporary directory, removed when the run ends. A run
/// killed outright (SIGKILL) cannot remove its file; the next run removes every such
/// file whose process is gone.
enum LocalSocketFile {
    /// A new socket path for this process, after removing the files of dead runs.
    static func make(in directory: URL = FileManager.default.temporaryDirectory) -> URL {
        removeStale(in: directory)
        return directory.appendingPathComponent(
            "fedsim-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).ipc")
    }

    /// Removes the `fedsim-PID-*.ipc` files in `directory` whose process no longer exists.
    static func removeStale(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix("fedsim-") && name.hasSuffix(".ipc") {
            let fields = name.dropFirst("fedsim-".count).split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0 else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        }
    }
}
