import FedSimCore

/// Why a `SystemModel` could not be built from its profiles.
public enum SystemModelError: FedSimError, Equatable, Sendable {
    /// The number of clients is not positive.
    case clientCount(Int)
    /// A parameter lies outside the values it may take; `allowed` says which.
    case outOfRange(parameter: String, value: Double, allowed: String)
    /// A per-client trace has `count` entries for `clients` clients.
    case traceLength(profile: String, count: Int, clients: Int)
    /// Online interval `index` of `client` has no length (start == end).
    case emptyInterval(client: Int, index: Int)
    /// Online interval `index` of `client` starts before interval `index - 1` does.
    case unsortedIntervals(client: Int, index: Int)
    /// Online interval `index` of `client` starts before interval `index - 1` ends.
    case overlappingIntervals(client: Int, index: Int)
    /// Jobs are to draw their own compute times, but the compute profile draws none.
    case redrawNeedsRandomProfile

    public var description: String {
        switch self {
        case .clientCount(let count):
            return "the number of clients must be positive, got \(count)"
        case .outOfRange(let parameter, let value, let allowed):
            return "\(parameter) must be \(allowed), got \(value)"
        case .traceLength(let profile, let count, let clients):
            return "the \(profile) trace has \(count) entries but there are \(clients) clients; give one per client"
        case .emptyInterval(let client, let index):
            return "availability trace of client \(client): interval \(index) ends where it starts; online intervals need a positive length"
        case .unsortedIntervals(let client, let index):
            return "availability trace of client \(client): interval \(index) starts before interval \(index - 1); sort the intervals by start"
        case .overlappingIntervals(let client, let index):
            return "availability trace of client \(client): interval \(index) starts before interval \(index - 1) ends; merge overlapping intervals"
        case .redrawNeedsRandomProfile:
            return "redraw draws each job's compute time from a random profile: use profile exponential or lognormal"
        }
    }

    /// Throws `outOfRange` unless `value` is finite and > 0.
    static func requirePositive(_ value: Double, _ parameter: String) throws {
        guard value.isFinite, value > 0 else {
            throw outOfRange(parameter: parameter, value: value, allowed: "finite and > 0")
        }
    }

    /// Throws `outOfRange` unless `value` is finite and >= 0.
    static func requireNonNegative(_ value: Double, _ parameter: String) throws {
        guard value.isFinite, value >= 0 else {
            throw outOfRange(parameter: parameter, value: value, allowed: "finite and >= 0")
        }
    }
}
