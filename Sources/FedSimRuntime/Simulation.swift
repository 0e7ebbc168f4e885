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
        return try withLocalWorkers(scenario, data: data, workers: workers, folder: folder,
                                    executable: executable) { transport, runFolder, options in
            var options = options
            options.progress = progress
            return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                   options: options, privacy: plan).run()
        }
    }

    /// Runs the decentralized `scenario` with the coordinator in this process and
    /// `workers` worker processes of `executable` on this host, writing the run folder
    /// `folder`.
    public static func runGossipLocally(
        _ scenario: Scenario, workers: Int, folder: String, executable: String,
        progress: @escaping (GossipRecord) -> Void = { _ in }
    ) throws -> GossipSummary {
        let data = try prepareData(scenario)
        return try withLocalWorkers(scenario, data: data, workers: workers, folder: folder,
                                    executable: executable) { transport, runFolder, options in
            var options = options
            options.gossipProgress = progress
            return try GossipCoordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                         options: options).run()
        }
    }

    /// Runs `coordinate` (given the coordinator's transport, the run folder and the
    /// options) with `workers` worker processes of `executable` on this host, which are
    /// stopped when it returns or throws.
    private static func withLocalWorkers<Summary>(
        _ scenario: Scenario, data: FederatedDataset, workers: Int, folder: String, executable: String,
        _ coordinate: (CoordinatorTransport, RunFolder, CoordinatorOptions) throws -> Summary
    ) throws -> Summary {
        let transport = try ZeroMQCoordinatorTransport(
            bind: "tcp://127.0.0.1:*", maxMessageBytes: messageSizeLimit(scenario, data))
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
        let summary = try coordinate(transport, runFolder, options)
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
        return try withCoordinator(scenario, data: data, bind: endpoint, workers: workers, folder: folder,
                                   joinTimeout: joinTimeout, scenarioAliases: scenarioAliases) { transport, runFolder, options in
            var options = options
            options.progress = progress
            return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                   options: options, privacy: plan).run()
        }
    }

    /// Runs the decentralized `scenario`'s coordinator on `endpoint`, waiting for
    /// `workers` workers to join.
    public static func coordinateGossip(
        _ scenario: Scenario, bind endpoint: String, workers: Int, folder: String, joinTimeout: Double,
        scenarioAliases: Set<String> = [], progress: @escaping (GossipRecord) -> Void = { _ in }
    ) throws -> GossipSummary {
        let data = try prepareData(scenario)
        return try withCoordinator(scenario, data: data, bind: endpoint, workers: workers, folder: folder,
                                   joinTimeout: joinTimeout, scenarioAliases: scenarioAliases) { transport, runFolder, options in
            var options = options
            options.gossipProgress = progress
            return try GossipCoordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                         options: options).run()
        }
    }

    /// Runs `coordinate` with a transport bound to `endpoint` for workers started elsewhere.
    private static func withCoordinator<Summary>(
        _ scenario: Scenario, data: FederatedDataset, bind endpoint: String, workers: Int, folder: String,
        joinTimeout: Double, scenarioAliases: Set<String>,
        _ coordinate: (CoordinatorTransport, RunFolder, CoordinatorOptions) throws -> Summary
    ) throws -> Summary {
        let transport = try ZeroMQCoordinatorTransport(bind: endpoint, maxMessageBytes: messageSizeLimit(scenario, data))
        let runFolder = try RunFolder(path: folder, scenario: scenario)
        var options = CoordinatorOptions(workers: workers)
        options.handshakeTimeout = joinTimeout
        options.scenarioAliases = scenarioAliases
        options.log("listening on \(transport.endpoint) for \(workers) workers")
        return try coordinate(transport, runFolder, options)
    }

    /// Joins the coordinator at `endpoint` and trains until it says Stop.
    @discardableResult
    public static func work(connect endpoint: String, name: String, scenario: String = "", connectTimeout: Double = 120,
                            idleTimeout: Double = 600) throws -> Int {
        let transport = try ZeroMQWorkerTransport(connect: endpoint)
        return try Worker(transport: transport, name: name, scenario: scenario, coordinator: endpoint,
                          connectTimeout: connectTimeout, idleTimeout: idleTimeout).run()
    }

    /// The largest message the coordinator accepts, with room to spare: an update of this
    /// model, or in a decentralized run the models of every node in Double (one worker
    /// may host them all). Anything larger is dropped by ZeroMQ before it is read.
    static func messageSizeLimit(_ scenario: Scenario, _ data: FederatedDataset) -> Int {
        let parameters = scenario.modelSpec(for: data).trainableParameterCount
        if scenario.decentralized != nil {
            // An objective's model is at most (features + 1) x classes values, as large as softmax regression's.
            let width = max(parameters, (data.featureCount + 1) * data.classCount)
            return data.clients.count * width * MemoryLayout<Double>.size + (1 << 20)
        }
        return 2 * parameters * MemoryLayout<Float>.size + (1 << 20)
    }
}
