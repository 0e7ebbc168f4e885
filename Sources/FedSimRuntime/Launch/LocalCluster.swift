import Foundation

/// `fedsim run`'s embedded setup: the coordinator in this process, listening on a
/// loopback port, and N worker processes of the fedsim executable spawned on this host.
/// Worker I logs to `logs/worker-I.log` in the run folder. Each worker follows this
/// process (`--parent-pid`, `ParentDeath`): it dies when this process ends, however it
/// ends.
public final class LocalCluster {
    private struct Child {
        let name: String
        let process: Process
        let logPath: String
    }

    private var children: [Child] = []

    public init() {}

    /// Starts `count` workers running `executable worker --connect endpoint`; with a
    /// `keys` folder, worker I uses its `worker-I` keys.
    public func spawnWorkers(count: Int, executable: String, endpoint: String, keys: String? = nil,
                             folder: RunFolder) throws {
        for index in 0..<count {
            let name = "worker-\(index)"
            let log = try folder.logFile(name)
            let logPath = URL(fileURLWithPath: folder.path).appendingPathComponent("logs/\(name).log").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker", "--connect", endpoint, "--name", name,
                                 "--parent-pid", "\(ProcessInfo.processInfo.processIdentifier)"]
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
            children.append(Child(name: name, process: process, logPath: logPath))
        }
    }

    /// Throws if a worker exited before being told to stop, naming it and quoting its log.
    public func checkWorkers() throws {
        for child in children where !child.process.isRunning {
            let tail = (try? String(contentsOfFile: child.logPath, encoding: .utf8))?
                .split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            let how = child.process.terminationReason == .uncaughtSignal
                ? "was killed by signal \(child.process.terminationStatus)"
                : "exited with status \(child.process.terminationStatus)"
            throw LaunchError.workerExited(worker: child.name, processID: child.process.processIdentifier, how: how,
                                           log: child.logPath, tail: tail)
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
