import FedSimCore
import Foundation

/// The runtime's entry points: what `fedsim run`, `fedsim coordinator` and `fedsim worker` do.
public enum Simulation {
    /// Runs `scenario` with the coordinator in this process and `workers` worker processes
    /// of `executable` on this host, writing the run folder `folder`. A privacy target is
    /// calibrated first, so the folder's scenario.yaml records the noise multiplier used.
    public static func runLocally(
        _ scenario: Scenario, workers: Int, folder: String, executable: String,
        progress: @escaping (StepRecord) -> Void = { _ in }
    ) throws -> RunSummary {
        let data = try prepareData(scenario)
        let plan = try PrivacyPlan.make(scenario, data: data)
        let scenario = plan?.resolving(scenario) ?? scenario
        let transport = try ZeroMQCoordinatorTransport(
            bind: "tcp://127.0.0.1:*", maxMessageBytes: updateSizeLimit(scenario, data))
        let runFolder = try RunFolder(path: folder, scenario: scenario)
        let cluster = LocalCluster()
        var finished = false
        defer { cluster.stopWorkers(graceful: finished) }
        try cluster.spawnWorkers(count: workers, executable: executable, endpoint: transport.endpoint, folder: runFolder)
        let log = try runFolder.logFile("coordinator")
        var options = CoordinatorOptions(workers: workers)
        options.log = { log.write(Data("\($0)\n".utf8)) }
        let warnOnTerminal = options.warn
        options.warn = {
            log.write(Data("warning: \($0)\n".utf8))
            warnOnTerminal($0)
        }
        options.healthCheck = cluster.checkWorkers
        options.progress = progress
        let summary = try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                      options: options, privacy: plan).run()
        finished = true
        return summary
    }

    /// Runs `scenario`'s coordinator on `endpoint`, waiting for `workers` workers to join.
    public static func coordinate(
        _ scenario: Scenario, bind endpoint: String, workers: Int, folder: String, joinTimeout: Double,
        scenarioAliases: Set<String> = [], progress: @escaping (StepRecord) -> Void = { _ in }
    ) throws -> RunSummary {
        let data = try prepareData(scenario)
        let plan = try PrivacyPlan.make(scenario, data: data)
        let scenario = plan?.resolving(scenario) ?? scenario
        let transport = try ZeroMQCoordinatorTransport(bind: endpoint, maxMessageBytes: updateSizeLimit(scenario, data))
        let runFolder = try RunFolder(path: folder, scenario: scenario)
        var options = CoordinatorOptions(workers: workers)
        options.handshakeTimeout = joinTimeout
        options.scenarioAliases = scenarioAliases
        options.progress = progress
        options.log("listening on \(transport.endpoint) for \(workers) workers")
        return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                               options: options, privacy: plan).run()
    }

    /// Joins the coordinator at `endpoint` and trains until it says Stop.
    @discardableResult
    public static func work(connect endpoint: String, name: String, scenario: String = "", connectTimeout: Double = 120,
                            idleTimeout: Double = 600) throws -> Int {
        let transport = try ZeroMQWorkerTransport(connect: endpoint)
        return try Worker(transport: transport, name: name, scenario: scenario, coordinator: endpoint,
                          connectTimeout: connectTimeout, idleTimeout: idleTimeout).run()
    }

    /// The largest message the coordinator accepts: an update of this model with room
    /// to spare. Anything larger is dropped by ZeroMQ before it is read.
    static func updateSizeLimit(_ scenario: Scenario, _ data: FederatedDataset) -> Int {
        let parameters = scenario.modelSpec(for: data).trainableParameterCount
        return 2 * parameters * MemoryLayout<Float>.size + (1 << 20)
    }
}
