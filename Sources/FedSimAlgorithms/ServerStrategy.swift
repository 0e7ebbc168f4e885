import FedSimCore

/// A server strategy as a state machine over virtual time: it reacts to events by
/// aggregating finished jobs and starting new ones through the `Scheduler`. Strategies
/// see only timings, never model values, so a whole schedule can be computed (and
/// tested) without training anything.
///
/// A strategy is a value whose stored properties are its whole state (settings and
/// progress), so a run's schedule can be saved mid-way and resumed: `Codable` encodes
/// it, and `name` says which strategy a saved state belongs to.
public protocol ServerStrategy: Codable, Sendable {
    /// The algorithm's name in scenario files (`server.algorithm`).
    static var name: String { get }
    /// Called once, at time 0.
    mutating func begin(_ scheduler: inout Scheduler)
    /// A job's update reached the server.
    mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler)
    /// A timer this strategy set fired.
    mutating func timerFired(_ scheduler: inout Scheduler)
}
