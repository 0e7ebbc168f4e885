import FedSimCore
import FedSimWire
import Foundation

/// The runtime's entry points: what `fedsim run`, `fedsim coordinator` and `fedsim worker` do.
public enum Simulation {
    /// Runs `scenario` with the coordinator in this process and `workers` worker processes
    /// of `executable` on this host, writing the run folder `folder`. A privacy target is
    /// calibrated first, so the folder's scenario.yaml records the noise multiplier used.
    /// With `keys`, the processes speak CURVE, worker I with the folder's `worker-I` keys.
    public static func runLocally(
        _ scenario: Scenario, workers: Int, folder: String, executable: String, keys: KeyFolder? = nil,
        progress: @escaping (StepRecord) -> Void = { _ in }
    ) throws -> RunSummary {
        let data = try prepareData(scenario)
        let plan = try PrivacyPlan.make(scenario, data: data)
        let scenario = plan?.resolving(scenario) ?? scenario
        return try withLocalWorkers(scenario, data: data, workers: workers, folder: folder,
                                    executable: executable, keys: keys) { transport, runFolder, options in
            var options = options
            options.progress = progress
            return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                   options: options, privacy: plan).run()
        }
    }

    /// Runs the decentralized `scenario` with the coordinator in this process and
    /// `workers` worker processes of `executable` on this host, writing the run folder
    /// `folder`; with `keys`, as in `runLocally`.
    public static func runGossipLocally(
        _ scenario: Scenario, workers: Int, folder: String, executable: String, keys: KeyFolder? = nil,
        progress: @escaping (GossipRecord) -> Void = { _ in }
    ) throws -> GossipSummary {
        let data = try prepareData(scenario)
        return try withLocalWorkers(scenario, data: data, workers: workers, folder: folder,
                                    executable: executable, keys: keys) { transport, runFolder, options in
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
        keys: KeyFolder?, _ coordinate: (CoordinatorTransport, RunFolder, CoordinatorOptions) throws -> Summary
    ) throws -> Summary {
        let coordinatorKeys = try keys.map { try localKeys($0, workers: workers) }
        let runFolder = try RunFolder(path: folder, scenario: scenario)
        let log = try runFolder.logFile("coordinator")
        var options = CoordinatorOptions(workers: workers)
        options.log = { log.write(Data("\($0)\n".utf8)) }
        let warnOnTerminal = options.warn
        options.warn = {
            log.write(Data("warning: \($0)\n".utf8))
            warnOnTerminal($0)
        }
        let transport = try ZeroMQCoordinatorTransport(
            bind: "tcp://127.0.0.1:*", maxMessageBytes: messageSizeLimit(scenario, data), keys: coordinatorKeys,
            log: options.log)
        let cluster = LocalCluster()
        var finished = false
        defer { cluster.stopWorkers(graceful: finished) }
        try cluster.spawnWorkers(count: workers, executable: executable, endpoint: transport.endpoint,
                                 keys: keys?.path, folder: runFolder)
        options.healthCheck = cluster.checkWorkers
        let summary = try coordinate(transport, runFolder, options)
        finished = true
        return summary
    }

    /// The coordinator's keys in `folder`, checked to admit each of the `workers` local
    /// workers, worker I using the folder's `worker-I` pair.
    private static func localKeys(_ folder: KeyFolder, workers: Int) throws -> CoordinatorKeys {
        let keys = try folder.coordinatorKeys()
        for index in 0..<workers {
            let name = KeyFolder.workerName(index)
            guard keys.workers[try folder.workerKeys(name: name).keys.publicKey] != nil else {
                throw CurveCertificateError(path: folder.path, line: nil,
                                            reason: "no public certificate admits \(name)'s key (\(name).key is missing)")
            }
        }
        return keys
    }

    /// Runs `scenario`'s coordinator on `endpoint`, waiting for `workers` workers to join;
    /// with `keys`, only workers holding a key the folder admits can connect.
    public static func coordinate(
        _ scenario: Scenario, bind endpoint: String, workers: Int, folder: String, joinTimeout: Double,
        keys: KeyFolder? = nil, scenarioAliases: Set<String> = [], progress: @escaping (StepRecord) -> Void = { _ in }
    ) throws -> RunSummary {
        let data = try prepareData(scenario)
        let plan = try PrivacyPlan.make(scenario, data: data)
        let scenario = plan?.resolving(scenario) ?? scenario
        return try withCoordinator(scenario, data: data, bind: endpoint, workers: workers, folder: folder,
                                   joinTimeout: joinTimeout, keys: keys,
                                   scenarioAliases: scenarioAliases) { transport, runFolder, options in
            var options = options
            options.progress = progress
            return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                   options: options, privacy: plan).run()
        }
    }

    /// Runs the decentralized `scenario`'s coordinator on `endpoint`, waiting for
    /// `workers` workers to join; with `keys`, as in `coordinate`.
    public static func coordinateGossip(
        _ scenario: Scenario, bind endpoint: String, workers: Int, folder: String, joinTimeout: Double,
        keys: KeyFolder? = nil, scenarioAliases: Set<String> = [],
        progress: @escaping (GossipRecord) -> Void = { _ in }
    ) throws -> GossipSummary {
        let data = try prepareData(scenario)
        return try withCoordinator(scenario, data: data, bind: endpoint, workers: workers, folder: folder,
                                   joinTimeout: joinTimeout, keys: keys,
                                   scenarioAliases: scenarioAliases) { transport, runFolder, options in
            var options = options
            options.gossipProgress = progress
            return try GossipCoordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                         options: options).run()
        }
    }

    /// Runs `coordinate` with a transport bound to `endpoint` for workers started elsewhere,
    /// warning when it listens beyond this host without keys.
    private static func withCoordinator<Summary>(
        _ scenario: Scenario, data: FederatedDataset, bind endpoint: String, workers: Int, folder: String,
        joinTimeout: Double, keys: KeyFolder?, scenarioAliases: Set<String>,
        _ coordinate: (CoordinatorTransport, RunFolder, CoordinatorOptions) throws -> Summary
    ) throws -> Summary {
        var options = CoordinatorOptions(workers: workers)
        options.handshakeTimeout = joinTimeout
        options.scenarioAliases = scenarioAliases
        let transport = try ZeroMQCoordinatorTransport(
            bind: endpoint, maxMessageBytes: messageSizeLimit(scenario, data), keys: try keys?.coordinatorKeys(),
            log: options.log)
        let runFolder = try RunFolder(path: folder, scenario: scenario)
        if keys == nil, !isLocal(endpoint) {
            options.warn("listening on \(transport.endpoint) without --keys: anyone who reaches this port can join as a "
                         + "worker, receive clients' training data and send updates that poison the model "
                         + "(fedsim keygen makes keys that admit only your workers)")
        }
        options.log("listening on \(transport.endpoint) for \(workers) workers\(keys == nil ? "" : ", CURVE keys required")")
        return try coordinate(transport, runFolder, options)
    }

    /// Whether only this host can reach `endpoint`: loopback TCP, `ipc://` or `inproc://`.
    static func isLocal(_ endpoint: String) -> Bool {
        guard endpoint.hasPrefix("tcp://") else { return endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") }
        var host = endpoint.dropFirst("tcp://".count)
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        return host.hasPrefix("127.") || ["localhost", "lo", "[::1]", "::1"].contains(String(host))
    }

    /// Joins the coordinator at `endpoint` (with `keys`, over CURVE), accepting messages
    /// of up to `maxMessageBytes`, and trains until it says Stop.
    @discardableResult
    public static func work(connect endpoint: String, name: String, scenario: String = "", keys: WorkerKeys? = nil,
                            maxMessageBytes: Int = ZeroMQWorkerTransport.defaultMaxMessageBytes,
                            connectTimeout: Double = 120, idleTimeout: Double = 600) throws -> Int {
        let transport = try ZeroMQWorkerTransport(connect: endpoint, keys: keys, maxMessageBytes: maxMessageBytes) {
            FileHandle.standardError.write(Data("fedsim worker: \(name): \($0)\n".utf8))
        }
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
