import FedSimCore

/// Why a run folder could not be written or read back.
public enum RunFolderError: FedSimError, Equatable, Sendable {
    case cannotCreate(folder: String, reason: String)
    case cannotAppend(file: String, reason: String)
    case cannotCreateLog(file: String)
    case cannotFinish(folder: String, reason: String)
    /// The folder holds an earlier run's `files` (whose summary says `status`; nil: none).
    case holdsAnotherRun(folder: String, status: RunStatus?, files: [String])
    /// Another process (`holder`, its pid) is writing a run into the folder.
    case inUse(folder: String, holder: String)
    case cannotResume(folder: String, reason: String)
    /// `fedsim report` was given a folder without a readable metrics.jsonl.
    case notARunFolder(metrics: String, folder: String)
    /// A line of metrics.jsonl is not a step record.
    case notARecord(metrics: String, line: Int)
    case noEvaluation(metrics: String)
    /// A line of a decentralized run's metrics.jsonl lacks a numeric 'time', 'gradients'
    /// or 'communications'.
    case notADecentralizedRecord(metrics: String, line: Int)
    /// A measure of a decentralized record holds something other than a number or null.
    case notANumber(metrics: String, line: Int, key: String)
    /// A token walk's `nodes.csv` row whose `visits` is not a count.
    case notAVisitCount(nodes: String, line: Int)
    /// A record of one kind of run among the records of the other kind; `decentralized`
    /// says which kind the stray record is.
    case mixedKinds(metrics: String, line: Int, decentralized: Bool)
    /// A server run's history was asked of a folder holding a decentralized run.
    case notAServerRun(folder: String)
    /// `fedsim report --html` could not write its page.
    case cannotWriteReport(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(folder, reason): return "cannot write the run folder '\(folder)': \(reason)"
        case let .cannotAppend(file, reason): return "cannot append to \(file): \(reason)"
        case let .cannotCreateLog(file): return "cannot write the log file \(file)"
        case let .cannotFinish(folder, reason): return "cannot finish the run folder '\(folder)': \(reason)"
        case let .holdsAnotherRun(folder, status, files):
            let what = status.map { "an earlier run (\($0.rawValue))" } ?? "an earlier run without a summary (\(files.joined(separator: ", ")))"
            return "the run folder '\(folder)' holds \(what); pass --overwrite to replace it, or choose another --out"
                + (status == .completed ? "" : ", or continue it with `fedsim resume \(folder)`")
        case let .inUse(folder, holder):
            return "the run folder '\(folder)' is in use by another fedsim process"
                + (holder.isEmpty ? "" : " (pid \(holder))") + "; two runs cannot share a folder"
        case let .cannotResume(folder, reason): return "cannot resume the run in '\(folder)': \(reason)"
        case let .notARunFolder(metrics, folder): return "cannot read '\(metrics)': is '\(folder)' a run folder?"
        case let .notARecord(metrics, line): return "\(metrics):\(line): not a metrics record with 'round' and 'time'"
        case let .noEvaluation(metrics): return "\(metrics): no record has a test evaluation"
        case let .notADecentralizedRecord(metrics, line):
            return "\(metrics):\(line): not a decentralized metrics record with numeric 'time', 'gradients' and 'communications'"
        case let .notANumber(metrics, line, key): return "\(metrics):\(line): '\(key)' is neither a number nor null"
        case let .notAVisitCount(nodes, line): return "\(nodes):\(line): 'visits' is not a count of visits (a whole number >= 0)"
        case let .mixedKinds(metrics, line, decentralized):
            return decentralized
                ? "\(metrics):\(line): a decentralized run's record (it has 'communications') among a server run's records"
                : "\(metrics):\(line): a server run's record (it has no 'communications') among a decentralized run's records"
        case let .notAServerRun(folder): return "'\(folder)' holds a decentralized run, not a server run"
        case let .cannotWriteReport(file, reason): return "cannot write '\(file)': \(reason)"
        }
    }
}
