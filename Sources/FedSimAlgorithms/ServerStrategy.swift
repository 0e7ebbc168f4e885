import FedSimCore

/// A server algorithm: a strategy, as a state machine over virtual time, that reacts to
/// events by aggregating finished jobs and starting new ones through the `Scheduler`.
/// Strategies see only timings, never model values, so a whole schedule can be computed
/// (and tested) without training anything.
///
/// A strategy is a value whose stored properties are its whole state: its settings and
/// its progress. Before `begin` it is just its settings, which is what a scenario holds:
/// `init(reading:clients:)` reads them from the scenario's `server:` section and
/// `writeSettings(to:)` writes them back. `Codable` saves a schedule mid-way, and `name`
/// says which strategy a saved state belongs to. Adding an algorithm is one file with a
/// type conforming to this, and its line in `ServerStrategies.all`.
public protocol ServerStrategy: Codable, Equatable, Sendable {
    /// The algorithm's name in scenario files (`server.algorithm`).
    static var name: String { get }
    /// The `server.*` fields it reads, beside those every algorithm shares.
    static var fields: [String] { get }
    /// Whether every step applies a single update, which leaves a robust rule nothing to
    /// choose from; false unless the strategy says so.
    static var appliesOneUpdateAtATime: Bool { get }
    /// The settings of the scenario's `server:` section, read through `reader` (which
    /// reports every problem); `clients` is the number of clients.
    init(reading reader: some SettingsReader, clients: Int)
    /// Writes the settings back as `server.*` fields, in the order they are documented.
    func writeSettings(to writer: inout SettingsWriter)
    /// The updates each step combines, when that is fixed; nil when it varies.
    var updatesPerStep: Int? { get }
    /// How the strategy chooses its clients; a rule that reads losses makes the schedule
    /// depend on training. Uniform unless the strategy says otherwise.
    var clientSelection: ClientSelection { get }

    /// Called once, at time 0.
    mutating func begin(_ scheduler: inout Scheduler)
    /// A job's update reached the server.
    mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler)
    /// A timer this strategy set fired.
    mutating func timerFired(_ scheduler: inout Scheduler)
}

extension ServerStrategy {
    public static var appliesOneUpdateAtATime: Bool { false }
    public var clientSelection: ClientSelection { .uniform }

    /// Whether `other` is a strategy of this type in the same state.
    public func isEqual(to other: any ServerStrategy) -> Bool {
        (other as? Self) == self
    }

    /// A strategy of this type read from `decoder`.
    static func decode(from decoder: any Decoder) throws -> any ServerStrategy {
        try Self(from: decoder)
    }

    /// This type's strategy read through `reader`.
    static func read(_ reader: some SettingsReader, clients: Int) -> any ServerStrategy {
        Self(reading: reader, clients: clients)
    }
}

/// Every server algorithm, by name: the one list a scenario's `server.algorithm` chooses
/// from.
public enum ServerStrategies {
    public static let all: [any ServerStrategy.Type] = [FedAvg.self, FedAsync.self, FedBuff.self, FedFix.self]

    public static var names: [String] { all.map { $0.name } }

    /// The strategy type called `name`; nil for an unknown name.
    public static func type(named name: String) -> (any ServerStrategy.Type)? {
        all.first { $0.name == name }
    }

    /// The strategy of algorithm `type`, read through `reader`.
    public static func read(_ type: any ServerStrategy.Type, from reader: some SettingsReader,
                            clients: Int) -> any ServerStrategy {
        type.read(reader, clients: clients)
    }
}
