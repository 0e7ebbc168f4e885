import FedSimAlgorithms
import FedSimCore
import FedSimWire
import Foundation

/// How a coordinator waits and reports; none of it changes what is computed.
public struct CoordinatorOptions {
    /// Worker processes to wait for before the first round.
    public var workers: Int
    /// Seconds for every worker to say Hello.
    public var handshakeTimeout: Double = 60
    /// Seconds without any message while updates are owed before the run fails.
    public var silenceTimeout: Double = 300
    /// Called while waiting for messages; throws to abort the run (a worker process died).
    public var healthCheck: () throws -> Void = {}
    public var log: (String) -> Void = { message in
        FileHandle.standardError.write(Data("fedsim coordinator: \(message)\n".utf8))
    }
    /// Tells the user something went differently than the scenario asked (a run that
    /// ended early); shown even when `log` writes to a file.
    public var warn: (String) -> Void = { message in
        FileHandle.standardError.write(Data("fedsim: warning: \(message)\n".utf8))
    }
    /// Other names a worker may give for this coordinator's scenario (besides its `name`),
    /// such as the scenario file's path.
    public var scenarioAliases: Set<String> = []
    /// Called after every aggregation step with its record.
    public var progress: (RoundRecord) -> Void = { _ in }

    public init(workers: Int) {
        self.workers = workers
    }
}

/// Runs a scenario on the discrete-event server: owns the global model and the virtual
/// clock, hands tasks to workers through a `CoordinatorTransport` as soon as the model they
/// start from exists (so many are in flight at once), and applies updates strictly in
/// event order, so results never depend on which worker was faster in real time.
public final class Coordinator {
    private struct WorkerSlot {
        let peer: PeerID
        let name: String
        var clients: [Int] = []
        /// The model version this worker holds, so each version is sent to it once.
        var modelVersion: Int?
    }

    /// A dispatched job, named as its Update names it.
    private struct JobKey: Hashable {
        let client: Int
        let number: Int
    }

    private let scenario: Scenario
    private let data: FederatedDataset
    private let transport: CoordinatorTransport
    private let folder: RunFolder?
    private let options: CoordinatorOptions
    private let model: Sequential
    private let spec: ModelSpec

    private var workers: [WorkerSlot] = []
    private var hostOfClient: [Int] = []
    private var totals: [ClientTotals]
    private var parameters: [Float] = []
    private var optimizer: ServerOptimizer
    private var combiner: StepCombiner
    /// Whether the global model has left the finite numbers (said once).
    private var diverged = false
    /// Differential privacy: per-client DP-SGD settings, client-level noise, accounting.
    private var privacy: PrivacyLedger?
    private var version = 0
    /// The current model version, encoded once for all the workers that need it.
    private var encodedModel: (version: Int, message: EncodedMessage)?
    /// Dispatched jobs whose update has not been used yet.
    private var inFlight: [JobKey: Job] = [:]
    /// Updates received before their job's aggregation step.
    private var received: [JobKey: ClientUpdate] = [:]
    /// Jobs whose updates are discarded when they arrive.
    private var dropped: Set<JobKey> = []
    private var downloadsSinceLastStep = 0
    private var lastRecord: RoundRecord?
    private var lastEvaluation = Evaluation(meanLoss: .nan, accuracy: 0, count: 0)
    private var bestAccuracy = 0.0
    private var trainingStarted = Date()

    public init(scenario: Scenario, data: FederatedDataset, transport: CoordinatorTransport,
                folder: RunFolder?, options: CoordinatorOptions) throws {
        guard data.clients.count == scenario.partition.clients else {
            throw RuntimeError("the data has \(data.clients.count) clients, the scenario \(scenario.partition.clients)")
        }
        self.scenario = scenario
        self.data = data
        self.transport = transport
        self.folder = folder
        self.options = options
        spec = scenario.modelSpec(for: data)
        (model, parameters) = try Sequential.initialized(spec, seed: scenario.seed)
        optimizer = scenario.server.makeOptimizer()
        combiner = try StepCombiner(scenario: scenario)
        totals = data.clients.enumerated().map { ClientTotals(clientID: $0.offset, samples: $0.element.count) }
        privacy = try PrivacyLedger.make(scenario: scenario, data: data)
        if let warning = privacy?.plan.warning { options.warn(warning) }
    }

    /// Waits for the workers, runs the scenario's strategy until its stop condition, stops
    /// the workers and writes the run folder. If the run fails, the workers that joined
    /// are told to stop, with the reason.
    public func run() throws -> RunSummary {
        let started = Date()
        let trainingSeconds: Double
        do {
            try acceptWorkers()
            try assignClients()
            trainingStarted = Date()
            try runSchedule(scenario.server.makeStrategy())
            try flushRecord(final: true)
            trainingSeconds = Date().timeIntervalSince(trainingStarted)
        } catch {
            stopWorkers(reason: "the coordinator stopped: \(error)")
            throw error
        }
        stopWorkers(reason: "run complete")

        let traffic = transport.traffic
        var summary = RunSummary(
            scenario: scenario.name, rounds: version, virtualSeconds: lastRecord?.time ?? 0,
            clientUpdates: totals.reduce(0) { $0 + $1.updates }, parameters: parameters.count,
            finalTestAccuracy: lastEvaluation.accuracy, finalTestLoss: lastEvaluation.meanLoss,
            bestTestAccuracy: bestAccuracy, workers: workers.count,
            wallSeconds: Date().timeIntervalSince(started), wallTrainingSeconds: trainingSeconds,
            wireBytesSent: traffic.bytesSent, wireBytesReceived: traffic.bytesReceived)
        summary.privacy = try privacy?.outcome()
        try privacy?.annotate(&totals)
        try folder?.finish(clients: totals, summary: summary)
        return summary
    }

    /// The global model after the steps run so far.
    public var globalParameters: [Float] { parameters }

    private func runSchedule(_ strategy: some ServerStrategy) throws {
        let clock = SystemClock(
            system: try scenario.system.makeModel(clients: data.clients.count, seed: scenario.seed),
            downloadBytes: transferSizes.download, uploadBytes: transferSizes.upload)
        var server = EventDrivenServer(
            strategy: strategy,
            scheduler: Scheduler(clock: clock, sampleCounts: data.clients.map(\.count), seed: scenario.seed))
        try server.run(until: scenario.server.stop, dispatch: dispatch, aggregate: aggregate, drop: drop)
        let steps = server.scheduler.aggregations
        if let rounds = scenario.server.rounds, steps < rounds,
           scenario.server.timeBudget.map({ server.scheduler.now < $0 }) ?? true {
            options.warn("the run ended after \(steps) of \(rounds) steps, at virtual time \(server.scheduler.now): "
                        + "no client is online again (system.availability)")
        }
    }

    /// Tells every joined worker to stop; a worker that cannot be reached is only logged.
    /// Workers whose Hello is still queued are told too, so a surplus worker that
    /// connected near the end exits instead of waiting for tasks.
    private func stopWorkers(reason: String) {
        var peers = workers.map { ($0.peer, $0.name) }
        while let inbound = try? transport.receive(timeoutMilliseconds: 0) {
            if case let .message(.hello(hello), from: peer) = inbound, !peers.contains(where: { $0.0 == peer }) {
                peers.append((peer, hello.workerName))
            }
        }
        for (peer, name) in peers {
            do {
                try transport.send(.stop(reason: reason), to: peer)
            } catch {
                options.log("could not stop \(name): \(error)")
            }
        }
    }

    // MARK: - Handshake

    private func acceptWorkers() throws {
        let deadline = Date(timeIntervalSinceNow: options.handshakeTimeout)
        while workers.count < options.workers {
            guard Date() < deadline else {
                throw RuntimeError("only \(workers.count) of \(options.workers) workers connected within \(Int(options.handshakeTimeout)) s")
            }
            guard let inbound = try transport.receive(timeoutMilliseconds: 100) else {
                try options.healthCheck()
                continue
            }
            switch inbound {
            case let .message(.hello(hello), from: peer):
                welcome(hello, from: peer)
            case let .message(message, from: peer):
                refuse(peer, "expected Hello while workers join, got \(message.kind)")
            case let .rejected(error, from: peer):
                refuse(peer, "\(error)")
            }
        }
    }

    /// Takes a Hello: a worker started for another scenario is refused, a repeated Hello
    /// is ignored, and a new worker joins (once the run has begun, `rebalance` gives it
    /// clients). Returns whether it joined.
    @discardableResult
    private func welcome(_ hello: Hello, from peer: PeerID) -> Bool {
        let accepted = options.scenarioAliases.union([scenario.name])
        if !hello.scenario.isEmpty, !accepted.contains(hello.scenario) {
            refuse(peer, "this coordinator runs scenario '\(scenario.name)', the worker was started for '\(hello.scenario)'")
            return false
        }
        guard !workers.contains(where: { $0.peer == peer }) else {
            options.log("ignored a repeated Hello from \(hello.workerName)")
            return false
        }
        workers.append(WorkerSlot(peer: peer, name: hello.workerName.isEmpty ? "\(peer)" : hello.workerName))
        let count = workers.count <= options.workers ? "\(workers.count)/\(options.workers)" : "\(workers.count)"
        options.log("worker \(count) joined: \(hello.workerName) (pid \(hello.processID))")
        do {
            // Tells the worker it was heard, so it stops waiting for the coordinator.
            try transport.send(.heartbeat(sequence: UInt64(workers.count)), to: peer)
        } catch {
            options.log("could not welcome \(hello.workerName): \(error)")
        }
        return true
    }

    /// Evens out the clients per worker once workers have joined mid-run: clients move
    /// from workers hosting more than M / W to those hosting fewer, taking only clients
    /// without a job in flight (an update must come from the worker that was sent the
    /// task), so a worker that joins while every client is busy gets its share at a later
    /// step. Each worker that receives clients is sent its new Assign. O(M) when shares
    /// are uneven, O(W) otherwise.
    private func rebalance() throws {
        let share = data.clients.count / workers.count
        guard workers.contains(where: { $0.clients.count < share }) else { return }
        let busy = Set(inFlight.keys.map(\.client))
        var received: [Int: Int] = [:]
        while let needy = workers.indices.filter({ workers[$0].clients.count < share })
                .min(by: { (workers[$0].clients.count, $0) < (workers[$1].clients.count, $1) }),
              let donor = workers.indices.filter({ index in
                  workers[index].clients.count > share && workers[index].clients.contains { !busy.contains($0) }
              }).min(by: { (-workers[$0].clients.count, $0) < (-workers[$1].clients.count, $1) }) {
            let client = workers[donor].clients.last { !busy.contains($0) }!
            workers[donor].clients.removeAll { $0 == client }
            workers[needy].clients.append(client)
            hostOfClient[client] = needy
            received[needy, default: 0] += 1
        }
        for (index, count) in received.sorted(by: { $0.key < $1.key }) {
            workers[index].clients.sort()
            try sendAssign(toWorker: index)
            options.log("\(workers[index].name) took over \(count) clients and now hosts \(workers[index].clients.count)")
        }
    }

    /// Client c goes to worker c mod W, each worker receiving its clients' data once.
    private func assignClients() throws {
        hostOfClient = data.clients.indices.map { $0 % workers.count }
        for (clientID, host) in hostOfClient.enumerated() {
            workers[host].clients.append(clientID)
        }
        for index in workers.indices {
            try sendAssign(toWorker: index)
        }
    }

    /// Sends worker `index` its clients' data, the seed and the model architecture.
    private func sendAssign(toWorker index: Int) throws {
        let shards = workers[index].clients.map { client in
            ClientShard(clientID: client, data: combiner.trainsOnFlippedLabels(client, scenario)
                            ? LabelFlip.flipped(data.clients[client]) : data.clients[client])
        }
        try send(EncodedMessage(.assign(Assign(workerIndex: index, seed: scenario.seed, model: spec, clients: shards))),
                 toWorker: index)
    }

    /// Sends to a joined worker. A worker that cannot be reached has usually died: the
    /// health check is given a second to say so (with the worker's log) before the send
    /// error is reported under the worker's name.
    private func send(_ message: EncodedMessage, toWorker index: Int) throws {
        do {
            try transport.send(message, to: workers[index].peer)
        } catch {
            for _ in 0..<20 {
                try options.healthCheck()
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw RuntimeError("cannot send \(message.kind) to \(workers[index].name): \(error)")
        }
    }

    /// Answers a message that is not accepted, and logs it; a peer already gone is only logged.
    private func refuse(_ peer: PeerID, _ reason: String) {
        let name = workers.first { $0.peer == peer }?.name ?? "peer \(peer)"
        options.log("refused a message from \(name): \(reason)")
        do {
            try transport.send(.refused(reason: reason), to: peer)
        } catch {
            options.log("could not tell \(name) why: \(error)")
        }
    }

    // MARK: - The schedule's actions

    /// Sends `job`'s task, preceded by the current model if its worker lacks it.
    private func dispatch(_ job: Job) throws {
        precondition(job.version == version, "\(job) dispatched while the model is at version \(version)")
        let host = hostOfClient[job.client]
        if workers[host].modelVersion != version {
            try send(currentModel(), toWorker: host)
            workers[host].modelVersion = version
        }
        let task = TrainingTask(clientID: job.client, modelVersion: UInt64(job.version), round: job.number,
                                training: privacy?.training(scenario.training, client: job.client) ?? scenario.training)
        try send(EncodedMessage(.task(task)), toWorker: host)
        inFlight[JobKey(client: job.client, number: job.number)] = job
        downloadsSinceLastStep += 1
        totals[job.client].bytesDown += transferSizes.download
    }

    /// Applies `step`: waits for each of its jobs' updates, then moves the model by
    /// sum_i d_i Delta_i, summed in the step's order, through the server optimizer
    /// (plain theta <- theta + eta_g * sum by default). Client-level privacy clips each
    /// Delta_i, sets d_i = 1/k and adds noise to the sum first (`PrivacyLedger`).
    private func aggregate(_ step: AggregationStep) throws {
        var updates: [ClientUpdate] = []
        for contribution in step.contributions {
            let key = JobKey(client: contribution.job.client, number: contribution.job.number)
            while received[key] == nil { try receiveUpdate(waitingFor: key) }
            updates.append(received.removeValue(forKey: key)!)
        }
        var deltas = updates.map(\.delta)
        var weights = step.contributions.map(\.weight)
        privacy?.clip(&deltas, weights: &weights)
        var (aggregated, facts) = try combiner.combine(
            deltas, weights: weights, clients: updates.map(\.clientID), step: step.number)
        privacy?.addNoise(to: &aggregated, number: step.number)
        if facts.rejected > 0 {
            options.log("step \(step.number): rejected \(facts.rejected) updates holding NaN or infinity")
        }
        optimizer.apply(step: aggregated, to: &parameters)
        version = step.version
        if !diverged, !parameters.allSatisfy(\.isFinite) {
            diverged = true
            options.warn("the global model holds NaN or infinity from step \(step.number) on: training diverged")
        }
        try privacy?.record(updates)

        var lossSum = 0.0
        var samples = 0
        for update in updates {
            if update.trainLoss.isFinite {
                lossSum += Double(update.sampleCount) * update.trainLoss
                samples += update.sampleCount
            }
            totals[update.clientID].updates += 1
            totals[update.clientID].localSteps += update.steps
            totals[update.clientID].lastRound = step.number
            totals[update.clientID].lastTrainLoss = update.trainLoss
            totals[update.clientID].bytesUp += transferSizes.upload
        }
        let staleness = step.staleness
        try flushRecord(final: false)
        lastRecord = RoundRecord(
            round: step.number, time: step.time, clients: updates.map(\.clientID),
            stalenessMean: Double(staleness.reduce(0, +)) / Double(staleness.count), stalenessMax: staleness.max() ?? 0,
            trainLoss: samples > 0 ? lossSum / Double(samples) : .nan,
            bytesUp: transferSizes.upload * updates.count, bytesDown: transferSizes.download * downloadsSinceLastStep,
            robustness: facts, wallSeconds: Date().timeIntervalSince(trainingStarted))
        lastRecord?.epsilonMax = privacy?.epsilonMax
        downloadsSinceLastStep = 0
        try rebalance()
    }

    private func drop(_ job: Job) throws {
        let key = JobKey(client: job.client, number: job.number)
        if received.removeValue(forKey: key) == nil { dropped.insert(key) }
    }

    /// Writes the last step's record, evaluating the model first every `evaluation.every`
    /// steps and after the final one.
    private func flushRecord(final: Bool) throws {
        guard var record = lastRecord else { return }
        if final || record.round % scenario.evaluation.every == 0 {
            lastEvaluation = model.evaluate(parameters: parameters, on: data.test)
            record.testLoss = lastEvaluation.meanLoss
            record.testAccuracy = lastEvaluation.accuracy
            bestAccuracy = max(bestAccuracy, lastEvaluation.accuracy)
        }
        lastRecord = final ? record : nil
        try folder?.append(record.json)
        options.progress(record)
    }

    /// Bytes a simulated client downloads and uploads per job.
    private lazy var transferSizes = TransferSizes(parameterCount: parameters.count)

    private func currentModel() -> EncodedMessage {
        if let encodedModel, encodedModel.version == version { return encodedModel.message }
        let message = EncodedMessage(.model(ModelBroadcast(version: UInt64(version), parameters: parameters)))
        encodedModel = (version, message)
        return message
    }

    // MARK: - Receiving

    /// Receives one message, keeping a valid update for later use.
    private func receiveUpdate(waitingFor key: JobKey) throws {
        var lastHeard = Date()
        while true {
            guard let inbound = try transport.receive(timeoutMilliseconds: 200) else {
                try options.healthCheck()
                if Date().timeIntervalSince(lastHeard) > options.silenceTimeout {
                    let host = workers[hostOfClient[key.client]].name
                    throw RuntimeError("no message for \(Int(options.silenceTimeout)) s; still waiting for job \(key.number) of client \(key.client) on \(host) (\(inFlight.count) jobs in flight)")
                }
                continue
            }
            lastHeard = Date()
            switch inbound {
            case let .message(.update(update), from: peer):
                let updateKey = JobKey(client: update.clientID, number: update.round)
                if let problem = check(update, key: updateKey, from: peer) {
                    refuse(peer, "Update for client \(update.clientID) rejected: \(problem)")
                    continue
                }
                inFlight.removeValue(forKey: updateKey)
                if dropped.remove(updateKey) == nil { received[updateKey] = update }
                return
            case let .message(.hello(hello), from: peer):
                if welcome(hello, from: peer) { try rebalance() }
            case let .message(.refused(reason), from: peer):
                let name = workers.first { $0.peer == peer }?.name ?? "peer \(peer)"
                throw RuntimeError("\(name) refused a message: \(reason)")
            case let .message(message, from: peer):
                refuse(peer, "unexpected \(message.kind) while jobs run")
            case let .rejected(error, from: peer):
                refuse(peer, "\(error)")
            }
        }
    }

    /// Why `update` cannot be used, or nil when it can.
    private func check(_ update: ClientUpdate, key: JobKey, from peer: PeerID) -> String? {
        guard data.clients.indices.contains(update.clientID) else { return "no such client" }
        guard workers[hostOfClient[update.clientID]].peer == peer else { return "the client is hosted by another worker" }
        guard let job = inFlight[key] else { return "no job \(update.round) of this client is in flight" }
        guard update.modelVersion == UInt64(job.version) else {
            return "model version \(update.modelVersion), the job started from \(job.version)"
        }
        guard update.delta.count == parameters.count else {
            return "delta has \(update.delta.count) values, the model \(parameters.count)"
        }
        guard update.sampleCount == data.clients[update.clientID].count else {
            return "sample count \(update.sampleCount), the client holds \(data.clients[update.clientID].count)"
        }
        return nil
    }
}
