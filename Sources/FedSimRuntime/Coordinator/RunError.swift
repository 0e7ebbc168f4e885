import FedSimCore
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Why a coordinator's run failed.
public enum RunError: FedSimError, Equatable, Sendable {
    /// The data was prepared for another number of clients than the scenario has.
    case dataMismatch(dataClients: Int, scenarioClients: Int)
    /// Fewer workers than awaited said Hello within the handshake timeout.
    case workersMissing(joined: Int, expected: Int, seconds: Int)
    /// A message could not be sent to a worker, which has usually died.
    case unreachable(message: String, worker: String, reason: String)
    /// No message came for `seconds` while the run waited for an update.
    case silence(seconds: Int, waitingFor: String)
    /// A worker's connection closed in a run that cannot move its work elsewhere.
    case workerLost(worker: String, reason: String)
    /// The run was stopped by a signal (SIGINT, SIGTERM).
    case interrupted(signal: Int32)
    /// A worker refused a message it was sent.
    case refusedByWorker(worker: String, reason: String)
    /// A message for a worker is larger than the worker said it accepts.
    case tooLargeForWorker(message: String, worker: String, bytes: Int, limit: Int)
    /// The attack could not craft the Byzantine clients' vector at a step.
    case attackFailed(step: Int, attack: String, honestUpdates: Int, reason: String)
    /// The robust rule refused a step's updates.
    case aggregationFailed(step: Int, rule: String, updates: Int, reason: String)
    /// The scenario's `model.base` file cannot be read, or holds another model than the
    /// scenario's over its data.
    case baseModel(SafeTensorsError)
    /// The scenario's `training.expert_model` file cannot be read, or holds another
    /// model than the scenario's over its data.
    case expertModel(SafeTensorsError)
    /// The selection rule asks the clients for their losses, but the coordinator's data
    /// holds no copy of their rows to answer from.
    case clientRowsMissing

    public var description: String {
        switch self {
        case let .dataMismatch(dataClients, scenarioClients):
            return "the data has \(dataClients) clients, the scenario \(scenarioClients)"
        case let .workersMissing(joined, expected, seconds):
            return "only \(joined) of \(expected) workers connected within \(seconds) s"
        case let .unreachable(message, worker, reason):
            return "cannot send \(message) to \(worker): \(reason)"
        case let .silence(seconds, waitingFor):
            return "no message for \(seconds) s; still waiting for \(waitingFor)"
        case let .workerLost(worker, reason):
            return "lost \(worker): \(reason); a decentralized run cannot move a worker's nodes"
        case let .interrupted(signal):
            return "interrupted by \(signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "signal \(signal)")"
        case let .refusedByWorker(worker, reason):
            return "\(worker) refused a message: \(reason)"
        case let .tooLargeForWorker(message, worker, bytes, limit):
            let size = { (bytes: Int) in
                bytes < 1 << 20 ? "\(bytes) bytes" : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
            }
            return "the \(message) for \(worker) is \(size(bytes)), more than the \(size(limit)) it accepts; "
                + "start it with a larger --max-message-mb, or start more workers"
        case let .attackFailed(step, attack, honestUpdates, reason):
            return "step \(step): the \(attack) attack failed on \(honestUpdates) honest updates: \(reason)"
        case let .aggregationFailed(step, rule, updates, reason):
            return "step \(step): \(rule) could not aggregate \(updates) updates: \(reason)"
        case let .baseModel(error):
            return "model.base: \(error)"
        case let .expertModel(error):
            return "training.expert_model: \(error)"
        case .clientRowsMissing:
            return "server.selection asks the clients for their losses under the global model, but the coordinator "
                + "was given no copy of their rows to answer from"
        }
    }
}
