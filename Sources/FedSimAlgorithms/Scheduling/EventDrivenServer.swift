/// When a run ends: after `aggregations` server steps, or before the first event later
/// than `timeBudget` virtual seconds, whichever comes first (nil: no such limit).
public struct StopCondition: Equatable, Sendable {
    public var aggregations: Int?
    public var timeBudget: Double?

    public init(aggregations: Int? = nil, timeBudget: Double? = nil) {
        precondition(aggregations != nil || timeBudget != nil, "a run needs an aggregation count or a time budget")
        self.aggregations = aggregations
        self.timeBudget = timeBudget
    }
}

/// The discrete-event loop every server strategy runs in. Events are taken in
/// (virtual time, job ends before timers, client id, insertion) order and the
/// strategy's actions are handed to the caller in the order taken: `dispatch` for a
/// job started (on the model version the caller holds at that moment), `aggregate` for a
/// server step, `drop` for a job whose update will not be used. The caller does the
/// training and the arithmetic; the schedule is a pure function of the clock and seed.
public struct EventDrivenServer<Strategy: ServerStrategy> {
    public private(set) var strategy: Strategy
    public private(set) var scheduler: Scheduler
    private var queue = EventQueue()

    public init(strategy: Strategy, scheduler: Scheduler) {
        self.strategy = strategy
        self.scheduler = scheduler
    }

    /// Runs until `stop` holds or nothing is left to happen.
    public mutating func run(
        until stop: StopCondition,
        dispatch: (Job) throws -> Void,
        aggregate: (AggregationStep) throws -> Void,
        drop: (Job) throws -> Void
    ) rethrows {
        strategy.begin(&scheduler)
        try apply(dispatch: dispatch, aggregate: aggregate, drop: drop, stop: stop)
        while !finished(stop), let event = queue.next {
            if let budget = stop.timeBudget, event.time > budget { break }
            _ = queue.pop()
            scheduler.advance(to: event.time)
            switch event {
            case let .jobEnded(job): strategy.jobEnded(job, &scheduler)
            case .timer: strategy.timerFired(&scheduler)
            }
            try apply(dispatch: dispatch, aggregate: aggregate, drop: drop, stop: stop)
        }
    }

    private func finished(_ stop: StopCondition) -> Bool {
        stop.aggregations.map { scheduler.aggregations >= $0 } ?? false
    }

    /// Hands the strategy's latest actions to the caller; jobs started after the last
    /// allowed aggregation are not dispatched.
    private mutating func apply(
        dispatch: (Job) throws -> Void, aggregate: (AggregationStep) throws -> Void, drop: (Job) throws -> Void,
        stop: StopCondition
    ) rethrows {
        let (actions, timers) = scheduler.takeActions()
        for action in actions {
            switch action {
            case let .aggregate(step):
                try aggregate(step)
            case let .start(job):
                guard !(stop.aggregations.map { step in job.version >= step } ?? false) else { continue }
                try dispatch(job)
                queue.push(.jobEnded(job))
            case let .drop(job):
                try drop(job)
            }
        }
        for time in timers { queue.push(.timer(time)) }
    }
}
