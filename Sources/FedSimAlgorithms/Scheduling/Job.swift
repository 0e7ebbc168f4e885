/// One client's local job: it trains from global model `version`, becomes ready at
/// `ready`, starts at `start` (the client may be offline in between) and its update
/// reaches the server at `end`.
public struct Job: Hashable, Codable, Sendable, CustomStringConvertible {
    public let client: Int
    /// The client's job number, from 1: the `round` key of its random streams.
    public let number: Int
    public let version: Int
    public let ready: Double
    public let start: Double
    public let end: Double
    /// The loss a selection rule chose the client by (`ClientSelection`); nil for a rule
    /// that reads none, or a client that had none to report (ranked as +infinity).
    public let selectionLoss: Double?

    public init(client: Int, number: Int, version: Int, ready: Double, start: Double, end: Double,
                selectionLoss: Double? = nil) {
        self.client = client
        self.number = number
        self.version = version
        self.ready = ready
        self.start = start
        self.end = end
        self.selectionLoss = selectionLoss
    }

    public var description: String {
        "job \(number) of client \(client) on version \(version), \(start)...\(end)"
    }
}

/// One aggregated update and its weight d_i.
public struct Contribution: Equatable, Codable, Sendable {
    public let job: Job
    public let weight: Double

    public init(job: Job, weight: Double) {
        self.job = job
        self.weight = weight
    }
}

/// A server step: theta <- theta + eta_g * sum_i d_i Delta_i over `contributions`,
/// producing model `version`.
public struct AggregationStep: Equatable, Codable, Sendable {
    /// 1, 2, ... in the order steps are taken.
    public let number: Int
    public let time: Double
    /// The version this step produces (the model it updates is `version - 1`).
    public let version: Int
    public let contributions: [Contribution]

    /// Versions between each aggregated job's starting model and the model it updates.
    public var staleness: [Int] {
        contributions.map { version - 1 - $0.job.version }
    }
}

/// Virtual times are kept on a grid of 1e-9 seconds, so that sums that are equal in
/// exact arithmetic (a restart at n*dt plus a duration, a timer at m*dt) compare equal.
@inlinable
public func snappedTime(_ time: Double) -> Double {
    (time * 1e9).rounded() / 1e9
}
