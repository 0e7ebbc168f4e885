import Foundation

/// `fedsim run`'s embedded setup: the coordinator in this process, listening on a
/// loopback port, and N worker processes of the fedsim executable spawned on this host.
/// Worker I logs to `logs/worker-I.log` in the run folder. Each worker follows this
/// process (`--parent-pid`, `ParentDeath`): it dies when this process ends, however it
/// ends. A worker that dies mid-run is replaced by a new process, up to `maxRestarts`
/// times in all; the coordinator moves the dead one's clients and sends its unfinished
/// jobs again.
public final class LocalCluster {
    private struct Child {
        let name: String
        let process: Process
        let logPath: String
    }

    private var children: [Child] = []
    private let executable: String
    private let endpoint: String
    private let folder: RunFolder
    private let extraArguments: [String]
    private let keys: String?
    private let maxRestarts: Int
    private var restarts = 0
    private let log: (String) -> Void

    /// Workers run `executable worker --connect endpoint` with `extraArguments` (and
    /// their keys from the `keys` folder, if any), log into `folder`, and are replaced at
    /// most `maxRestarts` times; `log` tells of replacements.
    public init(executable: String, endpoint: String, folder: RunFolder, extraArguments: [String] = [],
                keys: String? = nil, maxRestarts: Int = 3, log: @escaping (String) -> Void = { _ in }) {
        self.executable = executable
        self.endpoint = endpoint
        self.folder = folder
        self.extraArguments = extraArguments
        self.keys = keys
        self.maxRestarts = maxRestarts
        self.log = log
    }

    /// Starts `count` workers, named `worker-0` to `worker-(count-1)`; `appendingLogs`
    /// keeps what their log files already hold (a resumed run's).
    public func spawnWorkers(count: Int, appendingLogs: Bool = false) throws {
        for index in 0..<count {
            children.append(try spawn(index, appendingLog: appendingLogs))
        }
    }

    /// Starts worker `index`; with a `keys` folder, it uses its `worker-I` keys.
    private func spawn(_ index: Int, appendingLog: Bool) throws -> Child {
        let name = "worker-\(index)"
        let log = try folder.logFile(name, appending: appendingLog)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["worker", "--connect", endpoint, "--name", name,
                             "--parent-pid", "\(ProcessInfo.processInfo.processIdentifier)"] + extraArguments
        if let keys { process.arguments! += ["--keys", keys, "--key", KeyFolder.workerName(index)] }
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw LaunchError.cannotStart(executable: executable, reason: error.localizedDescription)
        }
        return Child(name: name, process: process, logPath: folder.logPath(name))
    }

    /// Replaces each worker that exited before being told to stop by a new process with
    /// the same name (its log goes on in the same file). Throws, naming the worker and
    /// quoting its log, once `maxRestarts` replacements have been made.
    public func superviseWorkers() throws {
        for (index, child) in children.enumerated() where !child.process.isRunning {
            let tail = (try? String(contentsOfFile: child.logPath, encoding: .utf8))?
                .split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            let how = child.process.terminationReason == .uncaughtSignal
                ? "was killed by signal \(child.process.terminationStatus)"
                : "exited with status \(child.process.terminationStatus)"
            guard restarts < maxRestarts else {
                throw LaunchError.workerExited(worker: child.name, processID: child.process.processIdentifier, how: how,
                                               log: child.logPath, tail: tail, restarts: restarts)
            }
            restarts += 1
            log("\(child.name) (pid \(child.process.processIdentifier)) \(how); starting a replacement "
                + "(restart \(restarts) of at most \(maxRestarts))")
            children[index] = try spawn(index, appendingLog: true)
        }
    }

    /// Lets the workers exit on their own (they were sent Stop) for up to `timeout`
    /// seconds when `graceful`, then terminates any still running.
    public func stopWorkers(graceful: Bool, timeout: Double = 10) {
        let deadline = Date(timeIntervalSinceNow: graceful ? timeout : 0)
        for child in children {
            while child.process.isRunning, Date() < deadline {
                usleep(10_000)
            }
            if child.process.isRunning {
                child.process.terminate()
                child.process.waitUntilExit()
            }
        }
        children.removeAll()
    }

    deinit {
        for child in children where child.process.isRunning {
            child.process.terminate()
        }
    }

    /// This process's own executable, for spawning workers of the same build.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    }
}
