import FedSimCore
import FedSimWire
import Foundation

/// A worker process's loop: joins a coordinator, hosts the virtual clients it is
/// assigned, trains each task from the model version it names and returns the update.
/// A client's update depends only on (model, client data, seed, job number), never on which
/// worker trains it.
public final class Worker {
    private let transport: WorkerTransport
    private let name: String
    private let scenario: String
    private let coordinator: String
    private let connectTimeout: Double
    private let idleTimeout: Double
    private let log: (String) -> Void

    private var seed: UInt64 = 0
    private var trainer: LocalTrainer?
    private var clients: [Int: Dataset] = [:]
    private var current: ModelBroadcast?

    /// - Parameters:
    ///   - scenario: the scenario this worker is meant for (name or file); a coordinator
    ///     running another refuses it. Empty: any.
    ///   - coordinator: how logs name the coordinator (its endpoint).
    ///   - connectTimeout: seconds to wait for the coordinator's first answer, saying so
    ///     every 5 s, before giving up.
    ///   - idleTimeout: seconds without any message from the coordinator before giving up.
    public init(transport: WorkerTransport, name: String, scenario: String = "", coordinator: String = "the coordinator",
                connectTimeout: Double = 120, idleTimeout: Double = 600,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data("fedsim worker: \($0)\n".utf8)) }) {
        self.transport = transport
        self.name = name
        self.scenario = scenario
        self.coordinator = coordinator
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.log = log
    }

    /// Runs until the coordinator says Stop. Throws when the coordinator refuses this
    /// worker, speaks another protocol version, or goes silent for `idleTimeout`.
    /// - Returns: the number of tasks trained (events done, in a decentralized run).
    @discardableResult
    public func run() throws -> Int {
        try transport.send(.hello(Hello(workerName: name, processID: Int(ProcessInfo.processInfo.processIdentifier),
                                        scenario: scenario, peerPort: transport.peerPort,
                                        maxMessageBytes: transport.maxMessageBytes)))
        var tasks = 0
        let started = Date()
        var lastHeard: Date?
        var lastNotice = started
        while true {
            let message: Message
            do {
                guard let received = try transport.receive(timeoutMilliseconds: 500) else {
                    if let lastHeard {
                        if Date().timeIntervalSince(lastHeard) > idleTimeout {
                            throw WorkerError.coordinatorSilent(worker: name, coordinator: coordinator, seconds: Int(idleTimeout))
                        }
                    } else {
                        try waitingForFirstAnswer(since: started, lastNotice: &lastNotice)
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
            if lastHeard == nil { log("\(name): joined \(coordinator)") }
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
                log("\(name): stopping after \(tasks) tasks (\(reason))")
                return tasks
            case let .refused(reason):
                throw WorkerError.refused(worker: name, reason: reason)
            default:
                try refuse("unexpected \(message.kind)")
            }
        }
    }

    /// Says every 5 s that the coordinator has not answered yet (ZeroMQ keeps retrying
    /// the connection and the Hello waits in its queue), and gives up after `connectTimeout`.
    private func waitingForFirstAnswer(since started: Date, lastNotice: inout Date) throws {
        let waited = Date().timeIntervalSince(started)
        guard waited <= connectTimeout else {
            throw WorkerError.noAnswer(worker: name, coordinator: coordinator, seconds: Int(connectTimeout))
        }
        if Date().timeIntervalSince(lastNotice) >= 5 {
            lastNotice = Date()
            log("\(name): no answer from \(coordinator) yet after \(Int(waited)) s; retrying until \(Int(connectTimeout)) s")
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
        clients = Dictionary(assign.clients.map { ($0.clientID, $0.data) }, uniquingKeysWith: { first, _ in first })
        transport.limitCoordinatorMessages(toBytes: Self.messageLimit(assign.model))
        log("\(name): worker \(assign.workerIndex) hosts \(clients.count) clients")
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

    private func train(_ task: TrainingTask) -> Result<ClientUpdate, TaskRefusal> {
        guard let trainer else { return .failure(.noAssign) }
        guard let data = clients[task.clientID] else { return .failure(.notHosted(client: task.clientID)) }
        guard let current, current.version == task.modelVersion else {
            return .failure(.modelMissing(version: task.modelVersion))
        }
        let started = Date()
        var stream = RandomStream(seed: seed, purpose: .batches, client: task.clientID, counter: task.jobNumber)
        let result = trainer.train(from: current.parameters, data: data, settings: task.training, rng: &stream)
        return .success(ClientUpdate(
            clientID: task.clientID, modelVersion: task.modelVersion, jobNumber: task.jobNumber, delta: result.delta,
            sampleCount: data.count, trainLoss: result.meanLoss, steps: result.steps,
            wallComputeSeconds: Date().timeIntervalSince(started)))
    }
}
