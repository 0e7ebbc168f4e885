import FedSimCore

/// A server strategy as a state machine over virtual time: it reacts to events by
/// aggregating finished jobs and starting new ones through the `Scheduler`. Strategies
/// see only timings, never model values, so a whole schedule can be computed (and
/// tested) without training anything.
///
/// A strategy is a value whose stored properties are its whole state (settings and
/// progress), so a run's schedule can be saved mid-way and resumed: `Codable` encodes
/// it, and `name` says which strategy a saved state belongs to.
public protocol ServerStrategy: Codable, Equatable, Sendable {
    /// The algorithm's name in scenario files (`server.algorithm`).
    static var name: String { get }
    /// Called once, at time 0.
    mutating func begin(_ scheduler: inout Scheduler)
    /// A job's update reached the server.
    mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler)
    /// A timer this strategy set fired.
    mutating func timerFired(_ scheduler: inout Scheduler)
}

extension ServerStrategy {
    /// Whether `other` is a strategy of this type in the same state.
    public func isEqual(to other: any ServerStrategy) -> Bool {
        (other as? Self) == self
    }

    /// A strategy of this type read from `decoder`.
    static func decode(from decoder: any Decoder) throws -> any ServerStrategy {
        try Self(from: decoder)
    }
}

/// Every server strategy, by name.
public enum ServerStrategies {
    public static let all: [any ServerStrategy.Type] = [FedAvg.self, FedAsync.self, FedBuff.self, FedFix.self]

    public static var names: [String] { all.map { $0.name } }

    /// The strategy type called `name`; nil for an unknown name.
    public static func type(named name: String) -> (any ServerStrategy.Type)? {
        all.first { $0.name == name }
    }
}
