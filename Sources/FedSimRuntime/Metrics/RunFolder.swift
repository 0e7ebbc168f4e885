import FedSimCore
import Foundation

/// The folder a run writes: `scenario.yaml`, `metrics.jsonl` (one line per round, or per
/// evaluation of a decentralized run, flushed as it is written), `clients.csv` (`nodes.csv`
/// for a decentralized run), `summary.json`, and for a server run the final global model,
/// `model.safetensors`.
public final class RunFolder {
    public let path: String
    private let metrics: FileHandle

    /// Creates `path` (and parents) and writes the resolved scenario. Existing files of
    /// an earlier run in the same folder are replaced.
    public init(path: String, scenario: Scenario) throws {
        self.path = path
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data(scenario.resolvedYAML.utf8).write(to: Self.url("scenario.yaml", in: path))
            let metricsURL = Self.url("metrics.jsonl", in: path)
            try Data().write(to: metricsURL)
            metrics = try FileHandle(forWritingTo: metricsURL)
        } catch {
            throw RunFolderError.cannotCreate(folder: path, reason: error.localizedDescription)
        }
    }

    deinit {
        try? metrics.close()
    }

    private func url(_ name: String) -> URL {
        Self.url(name, in: path)
    }

    private static func url(_ name: String, in folder: String) -> URL {
        URL(fileURLWithPath: folder).appendingPathComponent(name)
    }

    /// Appends one line to `metrics.jsonl`.
    public func append(_ record: JSONObject) throws {
        do {
            try metrics.write(contentsOf: Data((record.description + "\n").utf8))
        } catch {
            throw RunFolderError.cannotAppend(file: url("metrics.jsonl").path, reason: error.localizedDescription)
        }
    }

    /// A log file `logs/NAME.log` in the run folder, emptied if it exists.
    public func logFile(_ name: String) throws -> FileHandle {
        let logs = url("logs")
        let file = logs.appendingPathComponent("\(name).log")
        try? FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: file.path) else {
            throw RunFolderError.cannotCreateLog(file: file.path)
        }
        return handle
    }

    /// Writes `model` with the trainable vector `trainableParameters` to `model.safetensors`
    /// (`ModelFile`).
    public func writeModel(_ model: Sequential, trainableParameters: [Float]) throws {
        try ModelFile.write(model, trainableParameters: trainableParameters, to: url("model.safetensors").path)
    }

    /// Writes `clients.csv` and `summary.json`.
    public func finish(clients: [ClientTotals], summary: RunSummary) throws {
        try finish(csv: "clients.csv", ClientTotals.csv(clients), summary: summary.json)
    }

    /// Writes the table `csv` to the file `name` and `summary` to `summary.json`.
    public func finish(csv name: String, _ csv: String, summary: JSONObject) throws {
        do {
            try Data(csv.utf8).write(to: url(name))
            try Data(summary.pretty.utf8).write(to: url("summary.json"))
            try metrics.synchronize()
        } catch {
            throw RunFolderError.cannotFinish(folder: path, reason: error.localizedDescription)
        }
    }
}
