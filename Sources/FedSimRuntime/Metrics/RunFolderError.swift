import FedSimCore

/// Why a run folder could not be written or read back.
public enum RunFolderError: FedSimError, Equatable, Sendable {
    case cannotCreate(folder: String, reason: String)
    case cannotAppend(file: String, reason: String)
    case cannotCreateLog(file: String)
    case cannotFinish(folder: String, reason: String)
    /// `fedsim report` was given a folder without a readable metrics.jsonl.
    case notARunFolder(metrics: String, folder: String)
    /// A line of metrics.jsonl is not a step record.
    case notARecord(metrics: String, line: Int)
    case noEvaluation(metrics: String)
    /// `fedsim report --html` could not write its page.
    case cannotWriteReport(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(folder, reason): return "cannot write the run folder '\(folder)': \(reason)"
        case let .cannotAppend(file, reason): return "cannot append to \(file): \(reason)"
        case let .cannotCreateLog(file): return "cannot write the log file \(file)"
        case let .cannotFinish(folder, reason): return "cannot finish the run folder '\(folder)': \(reason)"
        case let .notARunFolder(metrics, folder): return "cannot read '\(metrics)': is '\(folder)' a run folder?"
        case let .notARecord(metrics, line): return "\(metrics):\(line): not a metrics record with 'round' and 'time'"
        case let .noEvaluation(metrics): return "\(metrics): no record has a test evaluation"
        case let .cannotWriteReport(file, reason): return "cannot write '\(file)': \(reason)"
        }
    }
}
