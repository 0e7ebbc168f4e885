import FedSimCore

/// Why the worker processes of `fedsim run` could not start, or stopped too early.
public enum LaunchError: FedSimError, Equatable, Sendable {
    case cannotStart(executable: String, reason: String)
    /// A worker exited before it was told to stop, after `restarts` replacements (the
    /// most allowed); `how` says how, `tail` is the end of its log.
    case workerExited(worker: String, processID: Int32, how: String, log: String, tail: String, restarts: Int)
    /// A spawned worker's parent (`fedsim run`) was `expected` and is now `current`: it died.
    case parentGone(expected: Int32, current: Int32)
    /// The kernel refused to signal a spawned worker when its parent dies.
    case parentDeathSignal(reason: String)

    public var description: String {
        switch self {
        case let .cannotStart(executable, reason):
            return "cannot start worker process \(executable): \(reason)"
        case let .workerExited(worker, processID, how, log, tail, restarts):
            let replaced = restarts == 0 ? "" : " (after \(restarts) worker restarts, the most --max-restarts allows)"
            return "\(worker) (pid \(processID)) \(how)\(replaced); its log \(log) ends with:\n\(tail)"
        case let .parentGone(expected, current):
            return "the fedsim run that started this worker (pid \(expected)) has ended (parent is now pid \(current))"
        case let .parentDeathSignal(reason):
            return "cannot ask to end with the fedsim run that started this worker: \(reason)"
        }
    }
}
