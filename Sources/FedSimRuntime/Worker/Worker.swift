import FedSimAlgorithms
import FedSimCore
import FedSimWire
import Foundation

/// A worker process's loop: joins a coordinator, hosts the virtual clients it is
/// assigned, trains each task from the model version it names and returns the update.
/// A client's update depends only on (model, client data, seed, job number), never on which
/// worker trains it.
///
/// While it waits, a worker sends the coordinator a Heartbeat every `heartbeat.interval`
/// seconds. A coordinator silent for `heartbeat.timeout` seconds is taken for lost: the
/// worker says Hello again (ZeroMQ reconnects on its own) until a coordinator answers,
/// for up to `connectTimeout` seconds, so it joins a restarted coordinator that resumes
/// the run.
public final class Worker {
    private let transport: WorkerTransport
    private let name: String
    private let scenario: String
    private let coordinator: String
    private let connectTimeout: Double
    private let idleTimeout: Double
    private let heartbeat: Heartbeat
    private let log: (String) -> Void

    private var seed: UInt64 = 0
    private var trainer: LocalTrainer?
    private var clients: [Int: Dataset] = [:]
    /// The expert model's trainable vector, whose losses rank ordered rows; nil: none.
    private var expert: [Float]?
    /// The expert's losses of each client's rows, by client, computed once.
    private var expertRowLosses: [Int: [Double]] = [:]
    /// The rows built from the last data recipe, by client, as the recipe gives them
    /// (before any label flip), so a new Assign with the same recipe builds only new clients.
    private var built: (recipe: String, rows: [Int: Dataset])?
    private var current: ModelBroadcast?
    /// The trainer's buffers, kept from task to task.
    private var scratch = LocalTrainer.Scratch()

    /// - Parameters:
    ///   - scenario: the scenario this worker is meant for (name or file); a coordinator
    ///     running another refuses it. Empty: any.
    ///   - coordinator: how logs name the coordinator (its endpoint).
    ///   - connectTimeout: seconds to wait for the coordinator's first answer, saying so
    ///     every 5 s, before giving up.
    ///   - idleTimeout: seconds without any message from the coordinator before a node of
    ///     a decentralized run gives up.
    ///   - heartbeat: how often to tell the coordinator this worker is there while it
    ///     waits, and how long a silent coordinator is waited for before saying Hello again.
    public init(transport: WorkerTransport, name: String, scenario: String = "", coordinator: String = "the coordinator",
                connectTimeout: Double = 120, idleTimeout: Double = 600, heartbeat: Heartbeat = Heartbeat(),
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data("fedsim worker: \($0)\n".utf8)) }) {
        self.transport = transport
        self.name = name
        self.scenario = scenario
        self.coordinator = coordinator
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.heartbeat = heartbeat
        self.log = log
    }

    /// Runs until the coordinator says Stop. Throws when the coordinator refuses this
    /// worker, speaks another protocol version, or cannot be reached for `connectTimeout`
    /// seconds (at the start, or once it went silent).
    /// - Returns: the number of tasks trained (events done, in a decentralized run).
    @discardableResult
    public func run() throws -> Int {
        try sayHello()
        var tasks = 0
        var joined = false
        // Since when the worker has been waiting for a coordinator to answer.
        var waitingSince: Date? = Date()
        var lastHello = Date()
        var lastHeard = Date()
        var lastSent = Date()
        var lastNotice = Date()
        while true {
            let message: Message
            do {
                guard let received = try transport.receive(timeoutMilliseconds: 200) else {
                    let now = Date()
                    if let since = waitingSince {
                        try waitingForAnswer(since: since, lastNotice: &lastNotice, rejoining: joined)
                        if now.timeIntervalSince(lastHello) >= heartbeat.timeout {
                            try sayHello()
                            lastHello = now
                        }
                    } else if now.timeIntervalSince(lastHeard) > heartbeat.timeout {
                        log("\(name): nothing from \(coordinator) for \(Int(heartbeat.timeout)) s; saying Hello again "
                            + "until it answers (up to \(Int(connectTimeout)) s)")
                        try sayHello()
                        (waitingSince, lastHello, lastNotice) = (now, now, now)
                    } else if now.timeIntervalSince(lastSent) >= heartbeat.interval {
                        try transport.send(.heartbeat(sequence: UInt64(tasks)))
                        lastSent = now
                    }
                    continue
                }
                message = received
            } catch let error as WireError {
                if case .versionMismatch = error {
                    throw WorkerError.coordinatorUnusable(worker: name, reason: "\(error)")
                }
                log("\(name): refused a message from the coordinator: \(error)")
                try transport.send(.refused(reason: "\(error)"))
                continue
            }
            if waitingSince != nil {
                log("\(name): \(joined ? "rejoined" : "joined") \(coordinator)")
                waitingSince = nil
                joined = true
            }
            lastHeard = Date()
            switch message {
            case let .assign(assign) where assign.decentralized != nil:
                let nodes: NodeWorker.Nodes
                do {
                    nodes = try NodeWorker.nodes(for: assign)
                } catch {
                    try refuse("Assign rejected: \(error)")
                    continue
                }
                try transport.send(.ready(clients: nodes.programs.count))
                return try NodeWorker.run(nodes, of: assign, transport: transport, idleTimeout: idleTimeout) { [name, log] in
                    log("\(name): \($0)")
                }
            case let .assign(assign):
                try accept(assign)
            case let .model(broadcast):
                if let problem = adopt(broadcast) {
                    try refuse("Model \(broadcast.version) rejected: \(problem)")
                }
            case let .task(task):
                switch train(task) {
                case let .success(update):
                    try transport.send(.update(update))
                    tasks += 1
                case let .failure(problem):
                    try refuse("Task for client \(task.clientID) rejected: \(problem.description)")
                }
            case .heartbeat:
                continue
            case let .stop(reason):
                log("\(name): stopping after \(tasks) tasks (\(reason)); \(PeakMemory.logged())")
                return tasks
            case let .refused(reason):
                throw WorkerError.refused(worker: name, reason: reason)
            default:
                try refuse("unexpected \(message.kind)")
            }
        }
    }

    private func sayHello() throws {
        try transport.send(.hello(Hello(workerName: name, processID: Int(ProcessInfo.processInfo.processIdentifier),
                                        scenario: scenario, peerPort: transport.peerPort,
                                        maxMessageBytes: transport.maxMessageBytes)))
    }

    /// Says every 5 s that the coordinator has not answered yet (ZeroMQ keeps retrying
    /// the connection and the Hello waits in its queue), and gives up after `connectTimeout`.
    private func waitingForAnswer(since started: Date, lastNotice: inout Date, rejoining: Bool) throws {
        let waited = Date().timeIntervalSince(started)
        guard waited <= connectTimeout else {
            throw rejoining
                ? WorkerError.coordinatorSilent(worker: name, coordinator: coordinator, seconds: Int(connectTimeout))
                : WorkerError.noAnswer(worker: name, coordinator: coordinator, seconds: Int(connectTimeout),
                                       trouble: transport.connectionTrouble)
        }
        if Date().timeIntervalSince(lastNotice) >= 5 {
            lastNotice = Date()
            log("\(name): no answer from \(coordinator) yet after \(Int(waited)) s; retrying until \(Int(connectTimeout)) s"
                + (transport.connectionTrouble.map { "; \($0)" } ?? ""))
        }
    }

    private func refuse(_ reason: String) throws {
        log("\(name): \(reason)")
        try transport.send(.refused(reason: reason))
    }

    private func accept(_ assign: Assign) throws {
        do {
            // The coordinator's frozen values, which the decoder has counted; the
            // trainable ones arrive with each model version.
            trainer = LocalTrainer(model: try Sequential(assign.model, frozenParameters: assign.frozenParameters))
        } catch {
            try refuse("Assign rejected: \(error)")
            return
        }
        seed = assign.seed
        expert = assign.expertParameters
        expertRowLosses = [:]
        do {
            clients = try hostedRows(assign)
        } catch {
            try refuse("Assign rejected: \(error)")
            return
        }
        transport.limitCoordinatorMessages(toBytes: Self.messageLimit(assign.model))
        log("\(name): worker \(assign.workerIndex) hosts \(clients.count) clients")
        try transport.send(.ready(clients: clients.count))
    }

    /// The rows of the clients `assign` hosts, labels flipped where it says so: as they
    /// travel, or built from its data recipe (only the clients not built from that
    /// recipe before) and checked client by client against the coordinator's row count
    /// and content hash.
    private func hostedRows(_ assign: Assign) throws -> [Int: Dataset] {
        var rows: [Int: Dataset] = [:]
        if let recipe = assign.dataRecipe {
            let hosted = Set(assign.clients.map(\.clientID))
            // Rows of clients this worker no longer hosts are let go.
            var known = built?.recipe == recipe ? built!.rows.filter { hosted.contains($0.key) } : [:]
            let missing = hosted.filter { known[$0] == nil }.sorted()
            if !missing.isEmpty {
                let started = Date()
                let scenario: Scenario
                do {
                    scenario = try ScenarioLoader.parseDataRecipe(recipe, file: "the data recipe")
                } catch {
                    throw DataRecipeError.unbuildable(reason: "\(error)")
                }
                if let beyond = missing.first(where: { $0 >= scenario.partition.clients }) {
                    throw DataRecipeError.unbuildable(
                        reason: "client \(beyond) is beyond the recipe's \(scenario.partition.clients) clients")
                }
                do {
                    known.merge(try Simulation.prepareClients(missing, of: scenario)) { first, _ in first }
                } catch {
                    throw DataRecipeError.unbuildable(reason: "\(error)")
                }
                log("\(name): built \(missing.count) clients' rows from the data recipe in "
                    + "\(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            }
            built = (recipe, known)
            for shard in assign.clients {
                guard case let .described(samples, hash) = shard.content, let data = known[shard.clientID] else { continue }
                let builtHash = data.contentHash
                guard data.count == samples, builtHash == hash else {
                    throw DataRecipeError.differs(client: shard.clientID, samples: data.count, hash: builtHash,
                                                  coordinatorSamples: samples, coordinatorHash: hash)
                }
                rows[shard.clientID] = data
            }
        } else {
            built = nil
            for shard in assign.clients {
                if let data = shard.rows { rows[shard.clientID] = data }
            }
        }
        for shard in assign.clients where shard.flipsLabels {
            rows[shard.clientID] = rows[shard.clientID].map(LabelFlip.flipped)
        }
        return rows
    }

    /// The largest message other than an Assign the coordinator sends for `model`, with
    /// room to spare: a Model carries the trainable values and at most the frozen ones
    /// (FedSVD's adapter factors), 4 bytes each; a Task, a Heartbeat or a Stop is small.
    static func messageLimit(_ model: ModelSpec) -> Int {
        (model.trainableParameterCount + model.frozenParameterCount) * MemoryLayout<Float>.size + (1 << 20)
    }

    /// Takes `broadcast` as the current model, its frozen adapter factors (when it carries
    /// them, as FedSVD's do) replacing the trainer's; or says why it cannot.
    private func adopt(_ broadcast: ModelBroadcast) -> String? {
        guard let trainer else { return "no Assign received yet" }
        guard broadcast.parameters.count == trainer.model.trainableParameterCount else {
            return "\(broadcast.parameters.count) parameters, the model has \(trainer.model.trainableParameterCount) trainable ones"
        }
        if !broadcast.adapterFactors.isEmpty {
            var model = trainer.model
            do {
                try model.setAdapterFactors(broadcast.adapterFactors)
            } catch {
                return "\(error)"
            }
            self.trainer = LocalTrainer(model: model)
        }
        current = broadcast
        return nil
    }

    /// The expert model's losses of `client`'s rows, computed at the client's first
    /// ordered task and kept; nil without an expert, or when `settings` rank no rows by loss.
    private func expertLosses(of client: Int, data: Dataset, trainer: LocalTrainer, settings: LocalTraining) -> [Double]? {
        guard let expert, let order = settings.ordering?.order, order != .random else { return nil }
        if let losses = expertRowLosses[client] { return losses }
        let losses = trainer.model.exampleLosses(parameters: expert, on: data)
        expertRowLosses[client] = losses
        return losses
    }

    private func train(_ task: TrainingTask) -> Result<ClientUpdate, TaskRefusal> {
        guard let trainer else { return .failure(.noAssign) }
        guard let data = clients[task.clientID] else { return .failure(.notHosted(client: task.clientID)) }
        guard let current, current.version == task.modelVersion else {
            return .failure(.modelMissing(version: task.modelVersion))
        }
        let started = Date()
        var stream = RandomStream(seed: seed, purpose: .batches, client: task.clientID, counter: task.jobNumber)
        let result = trainer.train(from: current.parameters, data: data, settings: task.training, rng: &stream,
                                   scratch: &scratch, rowLosses: expertLosses(of: task.clientID, data: data, trainer: trainer,
                                                                              settings: task.training))
        return .success(ClientUpdate(
            clientID: task.clientID, modelVersion: task.modelVersion, jobNumber: task.jobNumber, delta: result.delta,
            sampleCount: data.count, trainLoss: result.meanLoss, steps: result.steps,
            wallComputeSeconds: Date().timeIntervalSince(started)))
    }
}
