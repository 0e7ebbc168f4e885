import FedSimCore
import FedSimWire
import Foundation

/// How a run is launched and kept going; none of it changes what is computed.
public struct RunOptions {
    /// Replace an earlier run in the run folder instead of refusing to.
    public var overwrite = false
    /// Go on with the run in the run folder from its checkpoint, when it has one.
    public var resume = false
    /// When a server run writes its checkpoint (it also writes one when stopped early).
    public var checkpointEvery: CheckpointInterval? = .seconds(60)
    public var heartbeat = Heartbeat()
    /// How many times `fedsim run` replaces a worker process that died.
    public var maxRestarts = 3
    /// The signal that asked the run to stop, if one did (`SignalWatch`).
    public var interruption: () -> Int32? = { nil }
    /// CURVE keys (`fedsim keygen`): the coordinator admits only the workers' keys, and
    /// `fedsim run`'s worker I uses the folder's `worker-I` pair. nil: no authentication.
    public var keys: KeyFolder?
    /// Send every worker its clients' rows in its Assign, for hosts that lack the data
    /// files. Without it a server run's workers build the rows themselves from the
    /// scenario's data recipe and check them against the coordinator's content hashes.
    public var shipData = false

    public init() {}
}

/// The runtime's entry points: what `fedsim run`, `fedsim resume`, `fedsim coordinator`
/// and `fedsim worker` do.
public enum Simulation {
    /// Runs `scenario` with the coordinator in this process and `workers` worker processes
    /// of `executable` on this host, writing the run folder `folder`. A privacy target is
    /// calibrated first, so the folder's scenario.yaml records the noise multiplier used.
    /// With `options.keys`, the processes speak CURVE, worker I with the folder's `worker-I` keys.
    public static func runLocally(
        _ scenario: Scenario, workers: Int, folder: String, executable: String, options run: RunOptions = RunOptions(),
        progress: @escaping (StepRecord) -> Void = { _ in }
    ) throws -> RunSummary {
        let data = try prepareCoordinatorData(scenario, shipping: run.shipData)
        let plan = try PrivacyPlan.make(scenario, data: data)
        let scenario = plan?.resolving(scenario) ?? scenario
        let (runFolder, checkpoint) = try openFolder(folder, scenario: scenario, options: run)
        return try withLocalWorkers(scenario, data: data, workers: workers, folder: runFolder, resumed: checkpoint != nil,
                                    executable: executable, run: run) { transport, options in
            var options = options
            options.progress = progress
            return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                   options: options, privacy: plan, resuming: checkpoint).run()
        }
    }

    /// Runs the decentralized `scenario` with the coordinator in this process and
    /// `workers` worker processes of `executable` on this host, writing the run folder
    /// `folder`; with `options.keys`, as in `runLocally`.
    public static func runGossipLocally(
        _ scenario: Scenario, workers: Int, folder: String, executable: String, options run: RunOptions = RunOptions(),
        progress: @escaping (GossipRecord) -> Void = { _ in }
    ) throws -> GossipSummary {
        let data = try prepareData(scenario)
        let (runFolder, _) = try openFolder(folder, scenario: scenario, options: run, checkpoints: false)
        // A decentralized run's nodes stay on the workers they were placed on: a worker
        // that dies cannot be replaced.
        var run = run
        run.maxRestarts = 0
        return try withLocalWorkers(scenario, data: data, workers: workers, folder: runFolder, resumed: false,
                                    executable: executable, run: run) { transport, options in
            var options = options
            options.gossipProgress = progress
            return try GossipCoordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                         options: options).run()
        }
    }

    /// The run folder `path` for `scenario`, and the checkpoint to resume from. With
    /// `options.resume`, a folder holding an unfinished run of this same scenario goes on
    /// from its checkpoint, or starts again when it has none. Otherwise the run starts,
    /// in a folder that holds no run (or, with `options.overwrite`, any).
    static func openFolder(_ path: String, scenario: Scenario, options: RunOptions, checkpoints: Bool = true) throws
        -> (RunFolder, RunCheckpoint?) {
        let saved = try? String(contentsOfFile: path + "/scenario.yaml", encoding: .utf8)
        guard options.resume, saved == scenario.resolvedYAML(filesRelativeTo: path), RunFolder.status(in: path) != .completed
        else {
            return (try RunFolder(path: path, scenario: scenario, overwrite: options.overwrite), nil)
        }
        guard checkpoints, let checkpoint = try RunCheckpoint.read(from: path) else {
            return (try RunFolder(path: path, scenario: scenario, overwrite: true), nil)
        }
        return (try RunFolder(resuming: path, from: checkpoint), checkpoint)
    }

    /// Runs `coordinate` (given the coordinator's transport and the options) with
    /// `workers` worker processes of `executable` on this host, which are replaced when
    /// they die and stopped when it returns or throws.
    private static func withLocalWorkers<Summary>(
        _ scenario: Scenario, data: some FederatedDataSummary, workers: Int, folder runFolder: RunFolder, resumed: Bool,
        executable: String, run: RunOptions,
        _ coordinate: (CoordinatorTransport, CoordinatorOptions) throws -> Summary
    ) throws -> Summary {
        let coordinatorKeys = try run.keys.map { try localKeys($0, workers: workers) }
        let log = try runFolder.logFile("coordinator", appending: resumed)
        var options = coordinatorOptions(workers: workers, run: run)
        options.log = { log.write(Data("\($0)\n".utf8)) }
        let warnOnTerminal = options.warn
        options.warn = {
            log.write(Data("warning: \($0)\n".utf8))
            warnOnTerminal($0)
        }
        // Workers on this host talk over a Unix domain socket, cheaper than loopback TCP.
        let socketFile = LocalSocketFile.make()
        defer { try? FileManager.default.removeItem(at: socketFile) }
        let transport = try ZeroMQCoordinatorTransport(
            bind: "ipc://" + socketFile.path, maxMessageBytes: messageSizeLimit(scenario, data), heartbeat: run.heartbeat,
            keys: coordinatorKeys, log: options.log)
        let cluster = LocalCluster(executable: executable, endpoint: transport.endpoint, folder: runFolder,
                                   extraArguments: heartbeatArguments(run.heartbeat), keys: run.keys?.path,
                                   maxRestarts: run.maxRestarts, log: options.log)
        var finished = false
        defer { cluster.stopWorkers(graceful: finished) }
        try cluster.spawnWorkers(count: workers, appendingLogs: resumed)
        let interruption = run.interruption
        options.healthCheck = {
            if let signal = interruption() { throw RunError.interrupted(signal: signal) }
            try cluster.superviseWorkers()
        }
        let summary = try coordinate(transport, options)
        finished = true
        return summary
    }

    /// The worker options that give spawned workers `heartbeat`.
    private static func heartbeatArguments(_ heartbeat: Heartbeat) -> [String] {
        heartbeat == Heartbeat() ? []
            : ["--heartbeat-interval", "\(heartbeat.interval)", "--heartbeat-timeout", "\(heartbeat.timeout)"]
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

    private static func coordinatorOptions(workers: Int, run: RunOptions) -> CoordinatorOptions {
        var options = CoordinatorOptions(workers: workers)
        options.heartbeat = run.heartbeat
        options.checkpointEvery = run.checkpointEvery
        options.interruption = run.interruption
        let interruption = run.interruption
        options.healthCheck = { if let signal = interruption() { throw RunError.interrupted(signal: signal) } }
        return options
    }

    /// Runs `scenario`'s coordinator on `endpoint`, waiting for `workers` workers to join;
    /// with `options.keys`, only workers holding a key the folder admits can connect.
    public static func coordinate(
        _ scenario: Scenario, bind endpoint: String, workers: Int, folder: String, joinTimeout: Double,
        scenarioAliases: Set<String> = [], options run: RunOptions = RunOptions(),
        progress: @escaping (StepRecord) -> Void = { _ in }
    ) throws -> RunSummary {
        let data = try prepareCoordinatorData(scenario, shipping: run.shipData)
        let plan = try PrivacyPlan.make(scenario, data: data)
        let scenario = plan?.resolving(scenario) ?? scenario
        let (runFolder, checkpoint) = try openFolder(folder, scenario: scenario, options: run)
        if let checkpoint { FileHandle.standardError.write(Data("fedsim coordinator: resuming at step \(checkpoint.steps)\n".utf8)) }
        return try withCoordinator(scenario, data: data, bind: endpoint, workers: workers, joinTimeout: joinTimeout,
                                   scenarioAliases: scenarioAliases, run: run) { transport, options in
            var options = options
            options.progress = progress
            return try Coordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                   options: options, privacy: plan, resuming: checkpoint).run()
        }
    }

    /// Runs the decentralized `scenario`'s coordinator on `endpoint`, waiting for
    /// `workers` workers to join; with `options.keys`, as in `coordinate`.
    public static func coordinateGossip(
        _ scenario: Scenario, bind endpoint: String, workers: Int, folder: String, joinTimeout: Double,
        scenarioAliases: Set<String> = [], options run: RunOptions = RunOptions(),
        progress: @escaping (GossipRecord) -> Void = { _ in }
    ) throws -> GossipSummary {
        let data = try prepareData(scenario)
        let (runFolder, _) = try openFolder(folder, scenario: scenario, options: run, checkpoints: false)
        return try withCoordinator(scenario, data: data, bind: endpoint, workers: workers, joinTimeout: joinTimeout,
                                   scenarioAliases: scenarioAliases, run: run) { transport, options in
            var options = options
            options.gossipProgress = progress
            return try GossipCoordinator(scenario: scenario, data: data, transport: transport, folder: runFolder,
                                         options: options).run()
        }
    }

    /// Runs `coordinate` with a transport bound to `endpoint` for workers started elsewhere,
    /// warning when it listens beyond this host without keys.
    private static func withCoordinator<Summary>(
        _ scenario: Scenario, data: some FederatedDataSummary, bind endpoint: String, workers: Int,
        joinTimeout: Double, scenarioAliases: Set<String>, run: RunOptions,
        _ coordinate: (CoordinatorTransport, CoordinatorOptions) throws -> Summary
    ) throws -> Summary {
        var options = coordinatorOptions(workers: workers, run: run)
        options.handshakeTimeout = joinTimeout
        options.scenarioAliases = scenarioAliases
        let transport = try ZeroMQCoordinatorTransport(
            bind: endpoint, maxMessageBytes: messageSizeLimit(scenario, data), heartbeat: run.heartbeat,
            keys: try run.keys?.coordinatorKeys(), log: options.log)
        if run.keys == nil, !isLocal(endpoint) {
            options.warn("listening on \(transport.endpoint) without --keys: anyone who reaches this port can join as a "
                         + "worker, receive clients' training data and send updates that poison the model "
                         + "(fedsim keygen makes keys that admit only your workers)")
        }
        options.log("listening on \(transport.endpoint) for \(workers) workers\(run.keys == nil ? "" : ", CURVE keys required")")
        return try coordinate(transport, options)
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
                            connectTimeout: Double = 120, idleTimeout: Double = 600,
                            heartbeat: Heartbeat = Heartbeat()) throws -> Int {
        let transport = try ZeroMQWorkerTransport(connect: endpoint, heartbeat: heartbeat, keys: keys,
                                                  maxMessageBytes: maxMessageBytes) {
            FileHandle.standardError.write(Data("fedsim worker: \(name): \($0)\n".utf8))
        }
        return try Worker(transport: transport, name: name, scenario: scenario, coordinator: endpoint,
                          connectTimeout: connectTimeout, idleTimeout: idleTimeout, heartbeat: heartbeat).run()
    }

    /// The largest message the coordinator accepts, with room to spare: an update of this
    /// model, or in a decentralized run the models of every node in Double (one worker
    /// may host them all). Anything larger is dropped by ZeroMQ before it is read.
    static func messageSizeLimit(_ scenario: Scenario, _ data: some FederatedDataSummary) -> Int {
        let parameters = scenario.modelSpec(for: data).trainableParameterCount
        if scenario.decentralized != nil {
            // An objective's model is at most (features + 1) x classes values, as large as softmax regression's.
            let width = max(parameters, (data.featureCount + 1) * data.classCount)
            return data.clientCount * width * MemoryLayout<Double>.size + (1 << 20)
        }
        return 2 * parameters * MemoryLayout<Float>.size + (1 << 20)
    }
}
