import Foundation

/// Runs a sweep's runs, each as its own `fedsim run` process with `--workers` workers,
/// up to `parallel` at once: run R writes the run folder `folder/R.name` (with
/// `--overwrite`, replacing whatever an earlier attempt left) and its output, the summary
/// table or the error, to `folder/R.name.log`. Each run is deterministic, so what a run
/// folder holds does not depend on `parallel`.
public struct SweepRunner: Sendable {
    public let plan: SweepPlan
    /// The sweep's folder.
    public let folder: String
    /// Worker processes of each run.
    public let workers: Int
    /// The most runs at once.
    public let parallel: Int
    /// The fedsim executable the runs start.
    public let executable: String

    public init(plan: SweepPlan, folder: String, workers: Int, parallel: Int, executable: String) {
        precondition(workers >= 1 && parallel >= 1, "a sweep needs at least one worker and one run at a time")
        self.plan = plan
        self.folder = folder
        self.workers = workers
        self.parallel = parallel
        self.executable = executable
    }

    /// The runs whose folders do not hold a completed run (none yet, or one that failed,
    /// was interrupted or never finished), in the plan's order.
    public var pending: [SweepRun] {
        plan.runs.filter { RunFolder.status(in: $0.folder(in: folder)) != .completed }
    }

    /// Runs `runs`, telling `log` of each as it ends ("[2/4] NAME: completed in 3.1 s").
    /// Once `interruption` returns a signal, no further run starts and the running ones
    /// are sent the signal, so each stops as `fedsim run` does (a checkpoint, `status`
    /// interrupted). Returns the names of the runs that did not complete, in the plan's
    /// order.
    /// - Throws: `SweepError.cannotStart` when a process cannot start, or
    ///   `SweepError.cannotWrite` for a log file, once the running ones have ended.
    public func run(_ runs: [SweepRun], interruption: () -> Int32?, log: (String) -> Void) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw SweepError.cannotWrite(file: folder, reason: error.localizedDescription)
        }
        var waiting = runs[...], running: [(run: SweepRun, process: Process, start: Date)] = []
        var ended = 0, signalled = false, startFailure: Error?
        while true {
            let signal = interruption()
            if let signal, !signalled {
                for child in running { kill(child.process.processIdentifier, signal) }
                signalled = true
            }
            while signal == nil, startFailure == nil, running.count < parallel, let next = waiting.popFirst() {
                do {
                    running.append((next, try start(next), Date()))
                } catch {
                    startFailure = error
                }
            }
            var stillRunning: [(run: SweepRun, process: Process, start: Date)] = []
            for child in running {
                guard !child.process.isRunning else {
                    stillRunning.append(child)
                    continue
                }
                ended += 1
                let seconds = ReportText.fixed(Date().timeIntervalSince(child.start), 1)
                let exit = child.process.terminationStatus == 0 ? "" : " (exit status \(child.process.terminationStatus); "
                    + "its output: \(folder)/\(child.run.name).log)"
                log("[\(ended)/\(runs.count)] \(child.run.name): \(child.run.status(in: folder)) in \(seconds) s\(exit)")
            }
            running = stillRunning
            if running.isEmpty, waiting.isEmpty || signal != nil || startFailure != nil { break }
            usleep(20_000)
        }
        if let startFailure { throw startFailure }
        return runs.filter { RunFolder.status(in: $0.folder(in: folder)) != .completed }.map(\.name)
    }

    /// Starts `fedsim run` for `run`, its output going to its log file.
    private func start(_ run: SweepRun) throws -> Process {
        let logPath = folder + "/" + run.name + ".log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw SweepError.cannotWrite(file: logPath, reason: "cannot create the file")
        }
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", plan.scenario, "--out", run.folder(in: folder), "--workers", "\(workers)", "--overwrite",
                             "--seed", "\(run.seed)"]
            + (plan.overrides + run.settings).flatMap { ["--set", $0] }
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw SweepError.cannotStart(run: run.name, executable: executable, reason: error.localizedDescription)
        }
        return process
    }
}
