import FedSimCore

/// Why the worker processes of `fedsim run` could not start, or stopped too early.
public enum LaunchError: FedSimError, Equatable, Sendable {
    case cannotStart(executable: String, reason: String)
    /// A worker exited before it was told to stop; `how` says how, `tail` is the end of its log.
    case workerExited(worker: String, processID: Int32, how: String, log: String, tail: String)

    public var description: String {
        switch self {
        case let .cannotStart(executable, reason):
            return "cannot start worker process \(executable): \(reason)"
        case let .workerExited(worker, processID, how, log, tail):
            return "\(worker) (pid \(processID)) \(how); its log \(log) ends with:\n\(tail)"
        }
    }
}
