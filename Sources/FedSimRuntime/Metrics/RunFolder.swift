import FedSimCore
import Foundation

/// The folder a run writes: `scenario.yaml`, `metrics.jsonl` (one line per round, or per
/// evaluation of a decentralized run, flushed as it is written), `clients.csv` (`nodes.csv`
/// for a decentralized run), `summary.json` (whose `status` says whether the run
/// completed, failed or was interrupted), for a server run the final global model
/// `model.safetensors`, `checkpoint/` (`RunCheckpoint`) to resume it from, and the
/// TensorBoard event file `events.out.tfevents.<unix seconds>.<host name>`
/// (`TensorBoardEventFile`), which gets an event as each metrics line is written. A
/// resumed run writes a new event file, beginning with the records after its checkpoint.
///
/// One run at a time: the folder is locked while a run writes it (`RunFolderLock`), and
/// a folder holding an earlier run is replaced only when asked to. Every file but the
/// append-only `metrics.jsonl` is written whole under a temporary name, then renamed.
public final class RunFolder {
    public let path: String
    private let metrics: FileHandle
    private let events: TensorBoardEventFile
    private let lock: RunFolderLock

    /// The files a run writes, which a folder holding an earlier run has some of, but
    /// for its event files (`TensorBoardEventFile.names`).
    static let runFiles = ["scenario.yaml", "metrics.jsonl", "summary.json", "clients.csv", "nodes.csv",
                           "model.safetensors", RunCheckpoint.folderName, "logs"]

    /// Creates `path` (and parents), locks it and writes the resolved scenario. A folder
    /// that holds an earlier run is refused unless `overwrite`, which first removes the
    /// earlier run's files (so none of them is left beside the new run's).
    public init(path: String, scenario: Scenario, overwrite: Bool = false) throws {
        self.path = path
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotCreate(folder: path, reason: error.localizedDescription)
        }
        lock = try RunFolderLock(folder: path)
        let earlier = Self.runFiles.filter { manager.fileExists(atPath: Self.url($0, in: path).path) }
            + TensorBoardEventFile.names(in: path)
        if !earlier.isEmpty {
            guard overwrite else {
                throw RunFolderError.holdsAnotherRun(folder: path, status: Self.status(in: path), files: earlier)
            }
            for name in earlier { try? manager.removeItem(at: Self.url(name, in: path)) }
        }
        do {
            try Data(scenario.resolvedYAML(filesRelativeTo: path).utf8).write(to: Self.url("scenario.yaml", in: path),
                                                                           options: .atomic)
            let metricsURL = Self.url("metrics.jsonl", in: path)
            try Data().write(to: metricsURL)
            metrics = try FileHandle(forWritingTo: metricsURL)
            events = try TensorBoardEventFile(in: path)
        } catch {
            throw RunFolderError.cannotCreate(folder: path, reason: error.localizedDescription)
        }
    }

    /// Locks the run folder `path` to go on with its run from `checkpoint`: the metrics
    /// written after the checkpoint are cut off (the resumed run writes them again), and
    /// the summary of the run's earlier end is removed. The run goes on in a new event
    /// file; TensorBoard, reading a folder's event files in name order, takes its events
    /// for the steps the earlier file also holds.
    public init(resuming path: String, from checkpoint: RunCheckpoint) throws {
        self.path = path
        lock = try RunFolderLock(folder: path)
        let metricsURL = Self.url("metrics.jsonl", in: path)
        do {
            metrics = try FileHandle(forWritingTo: metricsURL)
            try metrics.truncate(atOffset: UInt64(checkpoint.metricsBytes))
            try metrics.seekToEnd()
            try? FileManager.default.removeItem(at: Self.url("summary.json", in: path))
            events = try TensorBoardEventFile(in: path)
        } catch {
            throw RunFolderError.cannotResume(folder: path, reason: error.localizedDescription)
        }
    }

    deinit {
        try? metrics.close()
    }

    func url(_ name: String) -> URL {
        Self.url(name, in: path)
    }

    private static func url(_ name: String, in folder: String) -> URL {
        URL(fileURLWithPath: folder).appendingPathComponent(name)
    }

    /// The `status` of the summary in `folder`: nil when there is no readable summary.
    public static func status(in folder: String) -> RunStatus? {
        guard let data = try? Data(contentsOf: url("summary.json", in: folder)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        // A summary written before runs had a status was written at the end of a completed run.
        guard let status = object["status"] as? String else { return .completed }
        return RunStatus(rawValue: status)
    }

    /// Appends one line to `metrics.jsonl`, then its event, at `step`, to the event file.
    /// The step is the record's x in TensorBoard: a server run's step number (`round`), a
    /// decentralized run's evaluation index (0 at time 0). The line is written first: a
    /// failure to write the event file (`cannotAppend` naming it) never costs a line.
    public func append(_ record: JSONObject, step: Int) throws {
        do {
            try metrics.write(contentsOf: Data((record.description + "\n").utf8))
        } catch {
            throw RunFolderError.cannotAppend(file: url("metrics.jsonl").path, reason: error.localizedDescription)
        }
        do {
            try events.append(record, step: step)
        } catch {
            throw RunFolderError.cannotAppend(file: events.url.path, reason: error.localizedDescription)
        }
    }

    /// The bytes of `metrics.jsonl` written so far, once they are on disk.
    func syncedMetricsBytes() throws -> Int {
        do {
            try metrics.synchronize()
            return Int(try metrics.offset())
        } catch {
            throw RunFolderError.cannotAppend(file: url("metrics.jsonl").path, reason: error.localizedDescription)
        }
    }

    /// A log file `logs/NAME.log` in the run folder, emptied if it exists, or appended to
    /// when `appending` (a resumed run's).
    public func logFile(_ name: String, appending: Bool = false) throws -> FileHandle {
        let logs = url("logs")
        let file = logs.appendingPathComponent("\(name).log")
        try? FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let exists = FileManager.default.fileExists(atPath: file.path)
        guard (appending && exists) || FileManager.default.createFile(atPath: file.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: file.path) else {
            throw RunFolderError.cannotCreateLog(file: file.path)
        }
        if appending { _ = try? handle.seekToEnd() }
        return handle
    }

    /// The path of `logs/NAME.log`.
    public func logPath(_ name: String) -> String {
        url("logs").appendingPathComponent("\(name).log").path
    }

    /// Writes `model` with the trainable vector `trainableParameters` to `model.safetensors`
    /// (`ModelFile`).
    public func writeModel(_ model: Sequential, trainableParameters: [Float]) throws {
        try ModelFile.write(model, trainableParameters: trainableParameters, to: url("model.safetensors").path)
    }

    /// Removes `checkpoint/`: a completed run has nothing to resume.
    func removeCheckpoint() {
        try? FileManager.default.removeItem(at: url(RunCheckpoint.folderName))
    }

    /// Writes `clients.csv` and `summary.json`, which says the run's `status` (and, when
    /// it did not complete, why: `reason`).
    public func finish(clients: [ClientTotals], summary: RunSummary, status: RunStatus = .completed,
                       reason: String? = nil) throws {
        try finish(csv: "clients.csv", ClientTotals.csv(clients), summary: summary.json, status: status, reason: reason)
    }

    /// Writes the table `csv` to the file `name`, then `summary.json` (`writeSummary`).
    public func finish(csv name: String, _ csv: String, summary: JSONObject, status: RunStatus = .completed,
                       reason: String? = nil) throws {
        do {
            try Data(csv.utf8).write(to: url(name), options: .atomic)
        } catch {
            throw RunFolderError.cannotFinish(folder: path, reason: error.localizedDescription)
        }
        try writeSummary(summary, status: status, reason: reason)
    }

    /// Writes `summary` to `summary.json` after its `status` and, when the run did not
    /// complete, `reason`. Written last, once the metrics are on disk: a folder with a
    /// summary holds everything its run wrote.
    public func writeSummary(_ summary: JSONObject, status: RunStatus, reason: String?) throws {
        var head = JSONObject()
        head.set("status", status.rawValue)
        if let reason { head.set("reason", reason) }
        head.append(contentsOf: summary)
        do {
            try metrics.synchronize()
            try Data(head.pretty.utf8).write(to: url("summary.json"), options: .atomic)
        } catch {
            throw RunFolderError.cannotFinish(folder: path, reason: error.localizedDescription)
        }
    }
}

/// How a run ended, as its `summary.json` says.
public enum RunStatus: String, Sendable {
    case completed, failed, interrupted
}
