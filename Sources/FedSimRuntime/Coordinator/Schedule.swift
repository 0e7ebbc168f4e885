import FedSimAlgorithms
import FedSimCore

extension Scenario {
    /// The event loop of this scenario's server strategy over `data`: its system's clock,
    /// charging transfers of `sizes`, its seed and its stop condition; from the start, or
    /// going on from `state`; `clientLosses` answers a selection rule that asks the
    /// clients for their losses.
    func makeServer(data: some FederatedDataSummary, sizes: TransferSizes, resuming state: ScheduleState? = nil,
                    clientLosses: (any ClientLosses)? = nil) throws -> EventDrivenServer {
        let clock = SystemClock(system: try system.makeModel(clients: data.clientCount, seed: seed),
                                downloadBytes: sizes.download, uploadBytes: sizes.upload)
        if let state {
            return EventDrivenServer(resuming: state, clock: clock, sampleCounts: data.sampleCounts, seed: seed,
                                     stop: server.stop, clientLosses: clientLosses)
        }
        return EventDrivenServer(
            strategy: server.strategy,
            scheduler: Scheduler(clock: clock, sampleCounts: data.sampleCounts, seed: seed, clientLosses: clientLosses),
            stop: server.stop)
    }
}

/// A run's schedule computed without training: the server strategy on the scenario's
/// clock, exactly as the coordinator drives it, with every action only counted.
struct ScheduleReplay {
    /// Client i's tasks whose updates an aggregation step uses.
    private(set) var aggregatedTasks: [Int]
    /// Aggregation steps taken.
    private(set) var aggregations = 0

    init(scenario: Scenario, data: some FederatedDataSummary) throws {
        aggregatedTasks = [Int](repeating: 0, count: data.clientCount)
        let sizes = TransferSizes(parameterCount: scenario.modelSpec(for: data).trainableParameterCount)
        var server = try scenario.makeServer(data: data, sizes: sizes)
        for step in server.remainingSteps() {
            for contribution in step.contributions { aggregatedTasks[contribution.job.client] += 1 }
        }
        aggregations = server.scheduler.aggregations
    }
}
