/// When a run ends: after `aggregations` server steps, or before the first event later
/// than `timeBudget` virtual seconds, whichever comes first (nil: no such limit).
public struct StopCondition: Equatable, Codable, Sendable {
    public var aggregations: Int?
    public var timeBudget: Double?

    public init(aggregations: Int? = nil, timeBudget: Double? = nil) {
        precondition(aggregations != nil || timeBudget != nil, "a run needs an aggregation count or a time budget")
        self.aggregations = aggregations
        self.timeBudget = timeBudget
    }
}

/// What the event loop asks its caller to do next.
public enum ScheduledAction: Equatable, Codable, Sendable {
    /// Start the job: send its task, which trains from the model version the caller
    /// holds at this moment.
    case dispatch(Job)
    /// Apply a server step with the updates of its contributions.
    case aggregate(AggregationStep)
    /// The job's update will never be used.
    case drop(Job)
}

/// The discrete-event loop every server strategy runs in, as a state machine: each call
/// of `next()` returns the next action, in the order the strategy took them. Events are
/// taken in (virtual time, job ends before timers, client id, insertion) order. The
/// caller does the training and the arithmetic; the schedule is a pure function of the
/// clock and the seed.
///
/// Jobs started once the last allowed aggregation has happened are not dispatched, and
/// the loop ends before the first event past the time budget.
///
/// The loop is a value: a copy runs on independently (`hasFurtherStep` looks ahead on
/// one), and `state` holds all that changes as it runs, so it can be saved and resumed
/// with `init(resuming:clock:sampleCounts:seed:stop:)`.
public struct EventDrivenServer: Sendable {
    public private(set) var strategy: any ServerStrategy
    public private(set) var scheduler: Scheduler
    public let stop: StopCondition
    private var queue = EventQueue()
    /// Actions the strategy took at the last event and `next()` has not returned yet,
    /// and the timers it set then.
    private var pending: [Scheduler.Action] = []
    private var pendingTimers: [Double] = []
    private var begun = false

    public init(strategy: any ServerStrategy, scheduler: Scheduler, stop: StopCondition) {
        self.strategy = strategy
        self.scheduler = scheduler
        self.stop = stop
    }

    /// The next action, or nil once the run is over. O(log events) per event taken.
    public mutating func next() -> ScheduledAction? {
        if !begun {
            begun = true
            strategy.begin(&scheduler)
            takeActions()
        }
        while true {
            while !pending.isEmpty {
                switch pending.removeFirst() {
                case let .aggregate(step):
                    return .aggregate(step)
                case let .start(job):
                    if let last = stop.aggregations, scheduler.aggregations >= last { continue }
                    queue.push(.jobEnded(job))
                    return .dispatch(job)
                case let .drop(job):
                    return .drop(job)
                }
            }
            for time in pendingTimers { queue.push(.timer(time)) }
            pendingTimers.removeAll()
            if let last = stop.aggregations, scheduler.aggregations >= last { return nil }
            guard let event = queue.next else { return nil }
            if let budget = stop.timeBudget, event.time > budget { return nil }
            _ = queue.pop()
            scheduler.advance(to: event.time)
            switch event {
            case let .jobEnded(job): strategy.jobEnded(job, &scheduler)
            case .timer: strategy.timerFired(&scheduler)
            }
            takeActions()
        }
    }

    /// Files the training losses of an aggregation step's updates, client by client, for
    /// a strategy that chooses clients by them (`ClientSelection.usesReportedLosses`):
    /// the caller reports them once it has applied the step and before it asks for the
    /// next action, so the choice is the same whenever the updates arrived.
    public mutating func report(losses: [(client: Int, loss: Double)]) {
        for (client, loss) in losses { scheduler.report(loss: loss, of: client) }
    }

    /// Whether the run ended before its aggregation count and its time budget: nothing
    /// was left to happen (no client ever online again).
    public var endedEarly: Bool {
        guard let last = stop.aggregations, scheduler.aggregations < last else { return false }
        return stop.timeBudget.map { scheduler.now < $0 } ?? true
    }

    /// The aggregation steps from here to the end, every other action skipped: the
    /// schedule as a replay without training sees it.
    public mutating func remainingSteps() -> [AggregationStep] {
        var steps: [AggregationStep] = []
        while let action = next() {
            if case let .aggregate(step) = action { steps.append(step) }
        }
        return steps
    }

    /// Whether another aggregation step follows, found by running a copy of the loop
    /// on until one does or the run ends. O(the events up to that step).
    public func hasFurtherStep() -> Bool {
        var lookahead = self
        while let action = lookahead.next() {
            if case .aggregate = action { return true }
        }
        return false
    }

    private mutating func takeActions() {
        let (actions, timers) = scheduler.takeActions()
        pending = actions
        pendingTimers = timers
    }
}

extension EventDrivenServer {
    /// Everything that changes as the loop runs: the strategy, the scheduler's clock
    /// position, version and job counts, the event queue and the actions not yet
    /// returned. The clock, sample counts and seed are the run's inputs, not its state.
    public var state: ScheduleState {
        ScheduleState(strategy: strategy, progress: scheduler.progress, queue: queue, pending: pending,
                      pendingTimers: pendingTimers, begun: begun)
    }

    /// The state as it was before `next()` returned `step`, which the caller has not
    /// carried out: a run saved while it waits for the step's updates resumes with it.
    public func state(awaiting step: AggregationStep) -> ScheduleState {
        var state = state
        state.pending.insert(.aggregate(step), at: 0)
        return state
    }

    /// The loop of a run whose inputs are `clock`, `sampleCounts`, `seed` and `stop`,
    /// continuing from `state`.
    public init(resuming state: ScheduleState, clock: JobClock, sampleCounts: [Int], seed: UInt64,
                stop: StopCondition, clientLosses: (any ClientLosses)? = nil) {
        strategy = state.strategy
        scheduler = Scheduler(clock: clock, sampleCounts: sampleCounts, seed: seed, progress: state.progress,
                              clientLosses: clientLosses)
        self.stop = stop
        queue = state.queue
        pending = state.pending
        pendingTimers = state.pendingTimers
        begun = state.begun
    }
}

/// The state of an `EventDrivenServer`, saved and restored losslessly; the strategy is
/// encoded with its name, which chooses the type it is decoded as.
public struct ScheduleState: Codable, Equatable, Sendable {
    public var strategy: any ServerStrategy
    public var progress: Scheduler.Progress
    var queue: EventQueue
    var pending: [Scheduler.Action]
    var pendingTimers: [Double]
    var begun: Bool

    private enum CodingKeys: String, CodingKey {
        case algorithm, strategy, progress, queue, pending, pendingTimers, begun
    }

    init(strategy: any ServerStrategy, progress: Scheduler.Progress, queue: EventQueue, pending: [Scheduler.Action],
         pendingTimers: [Double], begun: Bool) {
        self.strategy = strategy
        self.progress = progress
        self.queue = queue
        self.pending = pending
        self.pendingTimers = pendingTimers
        self.begun = begun
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .algorithm)
        guard let type = ServerStrategies.type(named: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .algorithm, in: container,
                debugDescription: "unknown server algorithm '\(name)'; known: \(ServerStrategies.names.joined(separator: ", "))")
        }
        strategy = try type.decode(from: container.superDecoder(forKey: .strategy))
        progress = try container.decode(Scheduler.Progress.self, forKey: .progress)
        queue = try container.decode(EventQueue.self, forKey: .queue)
        pending = try container.decode([Scheduler.Action].self, forKey: .pending)
        pendingTimers = try container.decode([Double].self, forKey: .pendingTimers)
        begun = try container.decode(Bool.self, forKey: .begun)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type(of: strategy).name, forKey: .algorithm)
        try strategy.encode(to: container.superEncoder(forKey: .strategy))
        try container.encode(progress, forKey: .progress)
        try container.encode(queue, forKey: .queue)
        try container.encode(pending, forKey: .pending)
        try container.encode(pendingTimers, forKey: .pendingTimers)
        try container.encode(begun, forKey: .begun)
    }

    public static func == (lhs: ScheduleState, rhs: ScheduleState) -> Bool {
        lhs.strategy.isEqual(to: rhs.strategy) && lhs.progress == rhs.progress && lhs.queue == rhs.queue
            && lhs.pending == rhs.pending && lhs.pendingTimers == rhs.pendingTimers && lhs.begun == rhs.begun
    }
}
