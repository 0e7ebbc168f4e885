import FedSimCore

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
    /// A straggler's share of its local work; nil: all of it.
    public let partialWork: PartialWork?
    /// How many of its round's draws picked the client, under sampling with replacement
    /// (`FedAvg.Sampling.proportional`); nil for a client picked once, without replacement.
    public let draws: Int?

    public init(client: Int, number: Int, version: Int, ready: Double, start: Double, end: Double,
                selectionLoss: Double? = nil, partialWork: PartialWork? = nil, draws: Int? = nil) {
        self.client = client
        self.number = number
        self.version = version
        self.ready = ready
        self.start = start
        self.end = end
        self.selectionLoss = selectionLoss
        self.partialWork = partialWork
        self.draws = draws
    }

    public var description: String {
        "job \(number) of client \(client) on version \(version), \(start)...\(end)"
    }
}

/// How much of its local work a straggler does (`LocalTraining.partial(_:)` turns it
/// into epochs or steps).
public enum PartialWork: Hashable, Codable, Sendable {
    /// A random number of whole passes, as FedProx's stragglers: of E epochs (or K steps)
    /// it does 1 + floor(u (E - 1)), uniform on 1...E-1 for u uniform in [0, 1) (all of
    /// them when E is 1).
    case drawn(u: Double)
    /// What fits before a deadline: the share s in (0, 1) of its job's time that does,
    /// so max(1, floor(s S)) of its S optimizer steps.
    case share(Double)
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
    /// The version this step produces (the model it updates is `version - 1`); an empty
    /// round (no contributions) leaves the model at `version`.
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

extension LocalTraining {
    /// These settings for a job doing `work` of a client of `samples` rows: the passes or
    /// steps `PartialWork` gives; unchanged for nil.
    public func partial(_ work: PartialWork?, samples: Int) -> LocalTraining {
        guard let work else { return self }
        var settings = self
        switch (work, self.work) {
        case let (.drawn(u), .epochs(epochs)):
            settings.work = .epochs(1 + Int((u * Double(epochs - 1)).rounded(.down)))
        case let (.drawn(u), .steps(steps)):
            settings.work = .steps(1 + Int((u * Double(steps - 1)).rounded(.down)))
        case let (.share(share), _):
            settings.work = .steps(max(1, Int((share * Double(steps(samples: samples))).rounded(.down))))
        }
        return settings
    }
}
