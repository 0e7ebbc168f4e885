import FedSimCore

/// Why a worker process gave up.
public enum WorkerError: FedSimError, Equatable, Sendable {
    /// The coordinator sent nothing for `seconds` once the worker had joined.
    case coordinatorSilent(worker: String, coordinator: String, seconds: Int)
    /// The coordinator speaks another protocol version.
    case coordinatorUnusable(worker: String, reason: String)
    /// The coordinator refused this worker.
    case refused(worker: String, reason: String)
    /// The coordinator never answered within the connect timeout; `trouble` is what the
    /// transport saw go wrong with the connection, if anything.
    case noAnswer(worker: String, coordinator: String, seconds: Int, trouble: String?)

    public var description: String {
        switch self {
        case let .coordinatorSilent(worker, coordinator, seconds):
            return "\(worker): lost \(coordinator), and no coordinator answered within \(seconds) s"
        case let .coordinatorUnusable(worker, reason):
            return "\(worker): the coordinator cannot be used: \(reason)"
        case let .refused(worker, reason):
            return "\(worker): the coordinator refused this worker: \(reason)"
        case let .noAnswer(worker, coordinator, seconds, trouble):
            return "\(worker): no answer from \(coordinator) within \(seconds) s; "
                + (trouble ?? "is the coordinator running and reachable from here?")
        }
    }
}

/// Why a worker cannot train a task it was sent; the reason goes back in a Refused.
enum TaskRefusal: Error, Equatable, CustomStringConvertible {
    case noAssign
    case notHosted(client: Int)
    case modelMissing(version: UInt64)

    var description: String {
        switch self {
        case .noAssign: return "no Assign received yet"
        case let .notHosted(client): return "client \(client) is not hosted here"
        case let .modelMissing(version): return "model version \(version) was never received"
        }
    }
}

/// Why a worker cannot host the clients of an Assign with a data recipe; the reason goes
/// back in a Refused, and the coordinator stops the run with it.
enum DataRecipeError: Error, Equatable, CustomStringConvertible {
    /// The recipe could not be read, or its data not loaded or generated here.
    case unbuildable(reason: String)
    /// The rows built here for `client` are not the coordinator's.
    case differs(client: Int, samples: Int, hash: ContentHash, coordinatorSamples: Int, coordinatorHash: ContentHash)

    var description: String {
        switch self {
        case let .unbuildable(reason):
            return "cannot build the clients' rows from the data recipe: \(reason) "
                + "(a coordinator started with --ship-data sends the rows instead)"
        case let .differs(client, samples, hash, coordinatorSamples, coordinatorHash):
            return "client \(client)'s rows differ from the coordinator's: \(samples) rows of content hash \(hash) here, "
                + "\(coordinatorSamples) rows of content hash \(coordinatorHash) at the coordinator "
                + "(do both hosts hold the same data files and fedsim release?)"
        }
    }
}
