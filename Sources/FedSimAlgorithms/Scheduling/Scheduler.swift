import FedSimCore

/// What a strategy acts through: the clock, the clients, the current model version, and
/// the actions it takes (aggregate, start a job, set a timer, drop a job), recorded in
/// the order taken so the runtime applies them in that order.
public struct Scheduler: Sendable {
    /// What a strategy did, in order.
    public enum Action: Equatable, Codable, Sendable {
        case aggregate(AggregationStep)
        case start(Job)
        /// The job's update will never be used (a straggler past its round).
        case drop(Job)
    }

    public let clock: JobClock
    /// Samples each client holds: the p_i of sample weighting.
    public let sampleCounts: [Int]
    public let seed: UInt64
    /// The clients' losses under the global model, for selection rules that ask for them;
    /// nil when the run gives none (a schedule computed without training).
    public let clientLosses: (any ClientLosses)?
    /// tau_i of every client, asked of the clock once.
    public let expectedDurations: [Double]
    /// sum_j 1/tau_j: the rate at which updates reach the server when every client trains.
    public let updateRate: Double
    private let totalSamples: Int
    /// Where the schedule has got to.
    public private(set) var progress: Progress
    private(set) var actions: [Action] = []
    private(set) var timers: [Double] = []

    /// How far a schedule has got: what changes as it runs.
    public struct Progress: Equatable, Codable, Sendable {
        /// The virtual time of the event being handled.
        public internal(set) var now: Double = 0
        /// The current global model version (0 before any aggregation).
        public internal(set) var version = 0
        public internal(set) var aggregations = 0
        /// Jobs started per client so far: the number of a client's latest job.
        public internal(set) var jobCounts: [Int]
        /// The training loss each client reported with its latest aggregated update, for
        /// strategies that choose clients by it (nil: none yet, or not finite).
        public internal(set) var reportedLosses: [Double?]
    }

    /// A scheduler at time 0, or continuing from `progress`.
    public init(clock: JobClock, sampleCounts: [Int], seed: UInt64, progress: Progress? = nil,
                clientLosses: (any ClientLosses)? = nil) {
        self.clock = clock
        self.sampleCounts = sampleCounts
        self.seed = seed
        self.clientLosses = clientLosses
        expectedDurations = (0..<sampleCounts.count).map { clock.expectedDuration(client: $0) }
        updateRate = expectedDurations.reduce(0) { $0 + 1 / $1 }
        totalSamples = sampleCounts.reduce(0, +)
        self.progress = progress ?? Progress(jobCounts: Array(repeating: 0, count: sampleCounts.count),
                                             reportedLosses: Array(repeating: nil, count: sampleCounts.count))
    }

    public var now: Double { progress.now }
    /// The current global model version (0 before any aggregation).
    public var version: Int { progress.version }
    public var aggregations: Int { progress.aggregations }

    public var clientCount: Int { sampleCounts.count }

    /// p_i: client i's share of all samples.
    public func sampleShare(_ client: Int) -> Double {
        totalSamples > 0 ? Double(sampleCounts[client]) / Double(totalSamples) : 1 / Double(clientCount)
    }

    /// The training loss `client` reported with its latest aggregated update; nil before
    /// its first (or when it was not finite).
    public func reportedLoss(_ client: Int) -> Double? {
        progress.reportedLosses[client]
    }

    /// Files `loss` as `client`'s latest report; a loss that is not finite clears it.
    mutating func report(loss: Double, of client: Int) {
        progress.reportedLosses[client] = loss.isFinite ? loss : nil
    }

    /// Starts a job of `client` on the current model, ready now, chosen by
    /// `selectionLoss` when a selection rule ranked the client by a loss; nil if the
    /// client is never online again.
    ///
    /// `partialWork` makes the job a straggler doing that share of its work, in its full
    /// time. With `cutOffAt`, a job that would end later but start earlier does the
    /// share of its time that fits (`PartialWork.share`) and ends then. `draws` counts a
    /// client drawn more than once by sampling with replacement (`Job.draws`).
    @discardableResult
    public mutating func start(client: Int, selectionLoss: Double? = nil, partialWork: PartialWork? = nil,
                               cutOffAt cutOff: Double? = nil, draws: Int? = nil) -> Job? {
        guard let timing = clock.job(client: client, ready: now, number: progress.jobCounts[client] + 1) else { return nil }
        progress.jobCounts[client] += 1
        var (start, end, work) = (snappedTime(timing.start), snappedTime(timing.end), partialWork)
        if let cutOff, end > cutOff, start < cutOff {
            work = .share((cutOff - start) / (end - start))
            end = cutOff
        }
        let job = Job(client: client, number: progress.jobCounts[client], version: version, ready: now,
                      start: start, end: end, selectionLoss: selectionLoss, partialWork: work, draws: draws)
        actions.append(.start(job))
        return job
    }

    /// Aggregates `contributions` now, producing the next model version. Does nothing
    /// when `contributions` is empty.
    public mutating func aggregate(_ contributions: [Contribution]) {
        guard !contributions.isEmpty else { return }
        progress.aggregations += 1
        progress.version += 1
        actions.append(.aggregate(AggregationStep(number: aggregations, time: now, version: version,
                                                  contributions: contributions)))
    }

    /// Ends a synchronous round that has no update to aggregate (no client returned
    /// before the deadline): it counts as an aggregation step, with no contributions, and
    /// the model stays at its version. A run of R rounds so runs R rounds, and the
    /// runtime records the round as empty.
    public mutating func closeEmptyRound() {
        progress.aggregations += 1
        actions.append(.aggregate(AggregationStep(number: aggregations, time: now, version: version, contributions: [])))
    }

    /// Marks `job`'s update as never to be used.
    public mutating func drop(_ job: Job) {
        actions.append(.drop(job))
    }

    /// Fires `timerFired` at `time` (not before now).
    public mutating func setTimer(at time: Double) {
        timers.append(snappedTime(max(time, now)))
    }

    /// A random stream for this strategy's draws at aggregation `step`.
    public func stream(_ purpose: RandomPurpose, step: Int) -> RandomStream {
        RandomStream(seed: seed, purpose: purpose, counter: step)
    }

    mutating func advance(to time: Double) {
        progress.now = time
    }

    mutating func takeActions() -> (actions: [Action], timers: [Double]) {
        defer {
            actions.removeAll(keepingCapacity: true)
            timers.removeAll(keepingCapacity: true)
        }
        return (actions, timers)
    }
}
