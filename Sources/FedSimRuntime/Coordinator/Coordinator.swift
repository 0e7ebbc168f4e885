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
    /// Called after every round with its record.
    public var progress: (RoundRecord) -> Void = { _ in }

    public init(workers: Int) {
        self.workers = workers
    }
}

/// Runs a scenario's rounds: owns the global model, hands tasks to workers through a
/// `CoordinatorTransport`, aggregates their updates in client-id order and records metrics.
public final class Coordinator {
    private struct WorkerSlot {
        let peer: PeerID
        let name: String
        var clients: [Int] = []
        /// The model version this worker holds, so each version is sent to it once.
        var modelVersion: UInt64?
    }

    private let scenario: Scenario
    private let data: FederatedDataset
    private let transport: CoordinatorTransport
    private let folder: RunFolder?
    private let options: CoordinatorOptions
    private let strategy: FedAvg
    private let model: any ClassificationModel
    private let spec: ModelSpec

    private var workers: [WorkerSlot] = []
    private var hostOfClient: [Int] = []
    private var totals: [ClientTotals]
    private var parameters: [Float] = []
    private var version: UInt64 = 0
    /// The current model version, encoded once for all the workers that need it.
    private var encodedModel: (version: UInt64, message: EncodedMessage)?

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
        strategy = FedAvg(clientsPerRound: scenario.server.clientsPerRound,
                          serverLearningRate: scenario.server.learningRate,
                          weighting: scenario.server.weighting)
        spec = ModelSpec(kind: scenario.model.kind, inputDim: data.featureCount, classes: data.classCount,
                         hidden: scenario.model.hidden)
        model = try makeModel(spec)
        totals = data.clients.enumerated().map { ClientTotals(clientID: $0.offset, samples: $0.element.count) }
    }

    /// Waits for the workers, runs every round, stops the workers and writes the run folder.
    /// If the run fails, the workers that joined are told to stop, with the reason.
    public func run() throws -> RunSummary {
        let started = Date()
        var initialization = RandomStream(seed: scenario.seed, purpose: .initialization)
        parameters = model.initialParameters(using: &initialization)
        let trainingStarted: Date
        let trainingSeconds: Double
        var bestAccuracy = 0.0
        var lastEvaluation = Evaluation(meanLoss: .nan, accuracy: 0, count: 0)
        do {
            try acceptWorkers()
            try assignClients()
            trainingStarted = Date()
            for round in 1...scenario.server.rounds {
                let roundStarted = Date()
                var record = try runRound(round)
                if round % scenario.evaluation.every == 0 || round == scenario.server.rounds {
                    lastEvaluation = model.evaluate(parameters: parameters, on: data.test)
                    record.testLoss = lastEvaluation.meanLoss
                    record.testAccuracy = lastEvaluation.accuracy
                    bestAccuracy = max(bestAccuracy, lastEvaluation.accuracy)
                }
                record.wallSeconds = Date().timeIntervalSince(trainingStarted)
                record.wallRoundSeconds = Date().timeIntervalSince(roundStarted)
                try folder?.append(record.json)
                options.progress(record)
            }
            trainingSeconds = Date().timeIntervalSince(trainingStarted)
        } catch {
            stopWorkers(reason: "the coordinator stopped: \(error)")
            throw error
        }
        stopWorkers(reason: "run complete")

        let traffic = transport.traffic
        let summary = RunSummary(
            scenario: scenario.name, rounds: scenario.server.rounds,
            clientUpdates: totals.reduce(0) { $0 + $1.updates }, parameters: parameters.count,
            finalTestAccuracy: lastEvaluation.accuracy, finalTestLoss: lastEvaluation.meanLoss,
            bestTestAccuracy: bestAccuracy, workers: workers.count,
            wallSeconds: Date().timeIntervalSince(started), wallTrainingSeconds: trainingSeconds,
            wireBytesSent: traffic.bytesSent, wireBytesReceived: traffic.bytesReceived)
        try folder?.finish(clients: totals, summary: summary)
        return summary
    }

    /// Tells every joined worker to stop; a worker that cannot be reached is only logged.
    private func stopWorkers(reason: String) {
        for worker in workers {
            do {
                try transport.send(.stop(reason: reason), to: worker.peer)
            } catch {
                options.log("could not stop \(worker.name): \(error)")
            }
        }
    }

    /// The global model after the rounds run so far.
    public var globalParameters: [Float] { parameters }

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
            case let .message(.hello(hello), from: peer) where !workers.contains { $0.peer == peer }:
                workers.append(WorkerSlot(peer: peer, name: hello.workerName.isEmpty ? "\(peer)" : hello.workerName))
                options.log("worker \(workers.count)/\(options.workers) joined: \(hello.workerName) (pid \(hello.processID))")
            case let .message(message, from: peer):
                try refuse(peer, "expected Hello while workers join, got \(message.kind)")
            case let .rejected(error, from: peer):
                try refuse(peer, "\(error)")
            }
        }
    }

    /// Client c goes to worker c mod W, each worker receiving its clients' data once.
    private func assignClients() throws {
        hostOfClient = data.clients.indices.map { $0 % workers.count }
        for (clientID, host) in hostOfClient.enumerated() {
            workers[host].clients.append(clientID)
        }
        for (index, worker) in workers.enumerated() {
            let shards = worker.clients.map { ClientShard(clientID: $0, data: data.clients[$0]) }
            try transport.send(.assign(Assign(workerIndex: index, seed: scenario.seed, model: spec, clients: shards)),
                               to: worker.peer)
        }
    }

    private func refuse(_ peer: PeerID, _ reason: String) throws {
        let name = workers.first { $0.peer == peer }?.name ?? "peer \(peer)"
        options.log("refused a message from \(name): \(reason)")
        try transport.send(.refused(reason: reason), to: peer)
    }

    // MARK: - Rounds

    private func runRound(_ round: Int) throws -> RoundRecord {
        let selected = strategy.selectClients(round: round, clientCount: data.clients.count, seed: scenario.seed)
        for clientID in selected {
            let host = hostOfClient[clientID]
            if workers[host].modelVersion != version {
                try transport.send(currentModel(), to: workers[host].peer)
                workers[host].modelVersion = version
            }
            let task = TrainingTask(clientID: clientID, modelVersion: version, round: round, training: scenario.training)
            try transport.send(.task(task), to: workers[host].peer)
        }

        let results = try collectUpdates(for: Set(selected), round: round)
        strategy.apply(results.map { ClientResult(clientID: $0.clientID, delta: $0.delta, sampleCount: $0.sampleCount) },
                       to: &parameters)
        version += 1

        let modelBytes = parameters.count * MemoryLayout<Float>.size
        var lossSum = 0.0
        for update in results {
            lossSum += Double(update.sampleCount) * update.trainLoss
            totals[update.clientID].updates += 1
            totals[update.clientID].localSteps += update.steps
            totals[update.clientID].lastRound = round
            totals[update.clientID].lastTrainLoss = update.trainLoss
            totals[update.clientID].bytesUp += modelBytes
            totals[update.clientID].bytesDown += modelBytes
        }
        let samples = results.reduce(0) { $0 + $1.sampleCount }
        return RoundRecord(round: round, clients: selected, trainLoss: samples > 0 ? lossSum / Double(samples) : .nan,
                           bytesUp: modelBytes * results.count, bytesDown: modelBytes * results.count,
                           wallSeconds: 0, wallRoundSeconds: 0)
    }

    private func currentModel() -> EncodedMessage {
        if let encodedModel, encodedModel.version == version { return encodedModel.message }
        let message = EncodedMessage(.model(ModelBroadcast(version: version, parameters: parameters)))
        encodedModel = (version, message)
        return message
    }

    /// Waits for one valid update from each client in `pending`; returns them by client id.
    private func collectUpdates(for pending: Set<Int>, round: Int) throws -> [ClientUpdate] {
        var pending = pending
        var results: [ClientUpdate] = []
        var lastHeard = Date()
        while !pending.isEmpty {
            guard let inbound = try transport.receive(timeoutMilliseconds: 200) else {
                try options.healthCheck()
                if Date().timeIntervalSince(lastHeard) > options.silenceTimeout {
                    let owing = Set(pending.map { workers[hostOfClient[$0]].name }).sorted()
                    throw RuntimeError("round \(round): no message for \(Int(options.silenceTimeout)) s; still waiting for clients \(pending.sorted()) on \(owing.joined(separator: ", "))")
                }
                continue
            }
            lastHeard = Date()
            switch inbound {
            case let .message(.update(update), from: peer):
                if let problem = check(update, from: peer, round: round, pending: pending) {
                    try refuse(peer, "Update for client \(update.clientID) rejected: \(problem)")
                } else {
                    pending.remove(update.clientID)
                    results.append(update)
                }
            case let .message(.refused(reason), from: peer):
                let name = workers.first { $0.peer == peer }?.name ?? "peer \(peer)"
                throw RuntimeError("\(name) refused a message: \(reason)")
            case let .message(message, from: peer):
                try refuse(peer, "unexpected \(message.kind) during round \(round)")
            case let .rejected(error, from: peer):
                try refuse(peer, "\(error)")
            }
        }
        return results.sorted { $0.clientID < $1.clientID }
    }

    /// Why `update` cannot be used, or nil when it can.
    private func check(_ update: ClientUpdate, from peer: PeerID, round: Int, pending: Set<Int>) -> String? {
        guard data.clients.indices.contains(update.clientID) else { return "no such client" }
        guard workers[hostOfClient[update.clientID]].peer == peer else { return "the client is hosted by another worker" }
        guard pending.contains(update.clientID), update.round == round else {
            return "no task of round \(update.round) is open for this client (round \(round) runs)"
        }
        guard update.modelVersion == version else { return "model version \(update.modelVersion), expected \(version)" }
        guard update.delta.count == parameters.count else {
            return "delta has \(update.delta.count) values, the model \(parameters.count)"
        }
        guard update.sampleCount == data.clients[update.clientID].count else {
            return "sample count \(update.sampleCount), the client holds \(data.clients[update.clientID].count)"
        }
        return nil
    }
}
