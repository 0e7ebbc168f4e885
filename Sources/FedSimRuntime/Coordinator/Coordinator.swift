import FedSimAlgorithms
import FedSimCore
import FedSimWire
import Foundation

/// Runs a scenario on the discrete-event server. It wires four parts together: the
/// `WorkerPool` (the worker processes), the `JobTable` (every job not finished with),
/// the `AggregationPipeline` (how a step's updates move the model) and the `RunRecorder`
/// (what the run writes). The event loop hands it one action at a time; a task goes to
/// its worker as soon as the model it starts from exists, so many are in flight at
/// once, and updates are applied strictly in event order: results never depend on which
/// worker was faster in real time. Between two actions the run's whole state is `state`.
public final class Coordinator {
    private let scenario: Scenario
    private let data: FederatedDataset
    private let transport: CoordinatorTransport
    private let options: CoordinatorOptions
    private let pool: WorkerPool
    private let recorder: RunRecorder
    private var server: EventDrivenServer
    private var models: ModelVersions
    private var jobs = JobTable()
    private var pipeline: AggregationPipeline
    private var privacy: PrivacyLedger?
    /// The current model version, encoded once for all the workers that need it.
    private var encodedModel: (version: Int, message: EncodedMessage)?
    /// The model's adapters, when the server re-factorizes them (FedSVD); empty otherwise.
    private let refactorizedAdapters: [AdapterLocation]

    /// - Parameters:
    ///   - privacy: the plan of the scenario's privacy, when the caller has made it
    ///     already; planned here otherwise.
    ///   - start: the model the run starts from (its frozen values) and its trainable
    ///     vector, a model of the data's features and classes; by default the
    ///     scenario's, `Scenario.startingModel(for:)`. Workers receive its spec and
    ///     frozen values in their Assign.
    public init(scenario: Scenario, data: FederatedDataset, transport: CoordinatorTransport,
                folder: RunFolder?, options: CoordinatorOptions, privacy: PrivacyPlan? = nil,
                start: (model: Sequential, trainableParameters: [Float])? = nil) throws {
        guard data.clients.count == scenario.partition.clients else {
            throw RunError.dataMismatch(dataClients: data.clients.count, scenarioClients: scenario.partition.clients)
        }
        self.scenario = scenario
        self.data = data
        self.transport = transport
        self.options = options
        let (model, parameters) = try start ?? scenario.startingModel(for: data)
        let spec = model.spec
        refactorizedAdapters = scenario.model.lora != nil && scenario.server.adapter == .fedsvd ? model.adapters : []
        let adapterFactors = refactorizedAdapters.isEmpty ? [] : model.adapterFactors
        let sizes = TransferSizes(parameterCount: model.trainableParameterCount, adapterFactorCount: adapterFactors.count)
        models = ModelVersions(initial: parameters, adapterFactors: adapterFactors)
        server = try scenario.makeServer(data: data, sizes: sizes)
        let plan = try privacy ?? PrivacyPlan.make(scenario, data: data)
        pipeline = try AggregationPipeline(scenario: scenario, privacy: plan)
        self.privacy = try plan.map(PrivacyLedger.init)
        if let warning = plan?.warning { options.warn(warning) }
        recorder = RunRecorder(data: data, model: model, evaluationEvery: scenario.evaluation.every, sizes: sizes,
                               folder: folder, options: options)
        let (seed, flips, byzantine) = (scenario.seed, pipeline.flipsLabels, pipeline.byzantineClients)
        pool = WorkerPool(transport: transport, options: options, scenarioName: scenario.name,
                          clientCount: data.clients.count) { index, clients, _ in
            Assign(workerIndex: index, seed: seed, model: spec, clients: clients.map { client in
                ClientShard(clientID: client, data: flips && byzantine.contains(client)
                                ? LabelFlip.flipped(data.clients[client]) : data.clients[client])
            }, frozenParameters: model.frozenParameters)
        }
    }

    /// The global model after the steps run so far.
    public var globalParameters: [Float] { models.latest }

    /// The run's whole state: what it would need to go on from here.
    public var state: RunState {
        RunState(schedule: server.state, models: models, pipeline: pipeline.state, privacy: privacy?.state,
                 jobs: jobs, recorder: recorder.state)
    }

    /// Waits for the workers, carries out the schedule's actions until it ends, stops the
    /// workers and writes the run folder. If the run fails, the workers that joined are
    /// told to stop, with the reason.
    public func run() throws -> RunSummary {
        let started = Date()
        do {
            try pool.awaitWorkers()
            try pool.placeClients()
            recorder.startTraining()
            while let action = server.next() {
                try carryOut(action)
            }
            if server.endedEarly {
                options.warn("the run ended after \(server.scheduler.aggregations) of \(server.stop.aggregations ?? 0) steps, "
                             + "at virtual time \(server.scheduler.now): no client is online again (system.availability)")
            }
        } catch {
            pool.stopAll(reason: "the coordinator stopped: \(error)")
            throw error
        }
        let trainingSeconds = recorder.trainingSeconds
        pool.stopAll(reason: "run complete")
        try recorder.writeModel(models.latest, adapterFactors: models.latestAdapterFactors)
        return try recorder.finish(
            scenario: scenario.name, steps: server.scheduler.aggregations, parameters: models.latest.count,
            workers: pool.count, started: started, trainingSeconds: trainingSeconds, traffic: transport.traffic,
            privacy: privacy)
    }

    private func carryOut(_ action: ScheduledAction) throws {
        switch action {
        case let .dispatch(job): try dispatch(job)
        case let .aggregate(step): try aggregate(step)
        case let .drop(job): jobs.drop(job).map { models.release($0) }
        }
    }

    /// Sends `job`'s task (with the current model, if its worker lacks it).
    private func dispatch(_ job: Job) throws {
        precondition(job.version == models.current, "\(job) dispatched while the model is at version \(models.current)")
        let task = TrainingTask(clientID: job.client, modelVersion: UInt64(job.version), jobNumber: job.number,
                                training: privacy?.training(scenario.training, client: job.client) ?? scenario.training)
        try pool.send(task, version: job.version, model: currentModel)
        jobs.dispatched(job)
        models.hold(job.version)
        recorder.dispatched(job)
    }

    /// Applies `step` once each of its jobs' updates has arrived, and records it.
    private func aggregate(_ step: AggregationStep) throws {
        let results = try step.contributions.map { contribution in
            while true {
                if let result = jobs.take(contribution.job) { return result }
                try receiveUpdate(waitingFor: contribution.job)
            }
        }
        var facts = AggregationFacts()
        try models.advance(to: step.version) { model, adapterFactors in
            facts = try pipeline.apply(step, results: results, to: &model)
            if !refactorizedAdapters.isEmpty, step.number % scenario.server.svdPeriod == 0 {
                try FedSVD.refactorize(parameters: &model, adapterFactors: &adapterFactors, adapters: refactorizedAdapters)
            }
        }
        try privacy?.record(clients: step.contributions.map(\.job.client), results: results)
        try recorder.record(step, results: results, facts: facts, model: models.latest,
                            adapterFactors: models.latestAdapterFactors, epsilonMax: privacy?.epsilonMax,
                            isLast: step.number == server.stop.aggregations || !server.hasFurtherStep())
        try pool.rebalance(busy: jobs.runningClients)
    }

    private func currentModel() -> EncodedMessage {
        if let encodedModel, encodedModel.version == models.current { return encodedModel.message }
        let message = EncodedMessage(.model(ModelBroadcast(version: UInt64(models.current), parameters: models.latest,
                                                           adapterFactors: models.latestAdapterFactors)))
        encodedModel = (models.current, message)
        return message
    }

    /// Receives updates until a valid one arrives, and files it.
    private func receiveUpdate(waitingFor job: Job) throws {
        while true {
            let (update, peer) = try pool.nextUpdate(busy: self.jobs.runningClients) {
                "job \(job.number) of client \(job.client) on \(pool.hostName(of: job.client)) (\(jobs.runningCount) jobs in flight)"
            }
            if let problem = problem(with: update, from: peer) {
                pool.refuse(peer, "Update for client \(update.clientID) rejected: \(problem)")
                continue
            }
            let result = ClientResult(delta: update.delta, sampleCount: update.sampleCount, trainLoss: update.trainLoss,
                                      steps: update.steps)
            jobs.receive(result, of: JobTable.Key(client: update.clientID, number: update.jobNumber)).map { models.release($0) }
            return
        }
    }

    /// Why `update` cannot be used, or nil when it can.
    private func problem(with update: ClientUpdate, from peer: PeerID) -> String? {
        guard data.clients.indices.contains(update.clientID) else { return "no such client" }
        guard pool.isHost(peer, of: update.clientID) else { return "the client is hosted by another worker" }
        if let problem = jobs.problem(withUpdateOf: JobTable.Key(client: update.clientID, number: update.jobNumber),
                                      modelVersion: update.modelVersion) {
            return problem
        }
        guard update.delta.count == models.latest.count else {
            return "delta has \(update.delta.count) values, the model \(models.latest.count)"
        }
        guard update.sampleCount == data.clients[update.clientID].count else {
            return "sample count \(update.sampleCount), the client holds \(data.clients[update.clientID].count)"
        }
        return nil
    }
}
