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
///
/// Because an update is a pure function of (model version, client, job number, seed),
/// neither a lost worker nor a restart changes what is computed: a lost worker's
/// unfinished jobs are sent again to the workers that take over its clients, and a run
/// resumed from its `RunCheckpoint` sends again every job that was running.
public final class Coordinator {
    private let scenario: Scenario
    private let data: CoordinatorData
    private let transport: CoordinatorTransport
    private let options: CoordinatorOptions
    private let pool: WorkerPool
    private let recorder: RunRecorder
    private var server: EventDrivenServer
    /// What clients would answer when a selection rule asks for their losses; nil when
    /// none does.
    private let clientLosses: ClientLossEvaluator?
    /// The trainable vector the run started from, against which the end tells whether
    /// the model ever moved.
    private let startingParameters: [Float]
    private var models: ModelVersions
    private var jobs = JobTable()
    private var pipeline: AggregationPipeline
    private var privacy: PrivacyLedger?
    /// The step being summed as its updates arrive, when the pipeline allows it.
    private var streamedStep: StreamedStep?
    /// The current model version, encoded once for all the workers that need it.
    private var encodedModel: (version: Int, message: EncodedMessage)?
    /// The model's adapters, when the server re-factorizes them (FedSVD); empty otherwise.
    private let refactorizedAdapters: [AdapterLocation]
    private let folder: RunFolder?
    /// Where the loop is: between actions, waiting for a step's updates, or in the midst
    /// of an action (when no checkpoint can be taken).
    private var position = Position.betweenActions
    /// The step and the wall time of the last checkpoint.
    private var lastCheckpoint: (step: Int, time: Date)
    /// Seconds of training before this process took over the run (a resumed run's).
    private let earlierTrainingSeconds: Double

    private enum Position {
        case betweenActions
        case awaiting(AggregationStep)
        case busy
    }

    /// - Parameters:
    ///   - privacy: the plan of the scenario's privacy, when the caller has made it
    ///     already; planned here otherwise.
    ///   - checkpoint: a saved run of this scenario to go on from; nil starts the run.
    ///   - start: the model the run starts from (its frozen values) and its trainable
    ///     vector, a model of the data's features and classes; by default the
    ///     scenario's, `Scenario.startingModel(for:)`. Workers receive its spec and
    ///     frozen values in their Assign.
    public convenience init(scenario: Scenario, data: FederatedDataset, transport: CoordinatorTransport,
                            folder: RunFolder?, options: CoordinatorOptions, privacy: PrivacyPlan? = nil,
                            start: (model: Sequential, trainableParameters: [Float])? = nil,
                            resuming checkpoint: RunCheckpoint? = nil) throws {
        try self.init(scenario: scenario, data: CoordinatorData(shipping: data), transport: transport, folder: folder,
                      options: options, privacy: privacy, start: start, resuming: checkpoint)
    }

    /// - Parameters:
    ///   - data: the test set, the clients' row counts, and how the workers come by
    ///     the rows (shipped in their Assign, or built from the scenario's data recipe).
    public init(scenario: Scenario, data: CoordinatorData, transport: CoordinatorTransport,
                folder: RunFolder?, options: CoordinatorOptions, privacy: PrivacyPlan? = nil,
                start: (model: Sequential, trainableParameters: [Float])? = nil,
                resuming checkpoint: RunCheckpoint? = nil) throws {
        guard data.clientCount == scenario.partition.clients else {
            throw RunError.dataMismatch(dataClients: data.clientCount, scenarioClients: scenario.partition.clients)
        }
        self.scenario = scenario
        self.data = data
        self.transport = transport
        self.options = options
        self.folder = folder
        let (model, parameters) = try start ?? scenario.startingModel(for: data)
        let spec = model.spec
        refactorizedAdapters = scenario.model.lora != nil && scenario.server.adapter == .fedsvd ? model.adapters : []
        let adapterFactors = refactorizedAdapters.isEmpty ? [] : model.adapterFactors
        let sizes = TransferSizes(parameterCount: model.trainableParameterCount, adapterFactorCount: adapterFactors.count)
        models = ModelVersions(initial: parameters, adapterFactors: adapterFactors)
        startingParameters = parameters
        var evaluator: ClientLossEvaluator?
        if scenario.asksClientLosses {
            guard let rows = data.rows else { throw RunError.clientRowsMissing }
            evaluator = ClientLossEvaluator(rows: rows, model: model, version: 0, parameters: parameters)
        }
        clientLosses = evaluator
        server = try scenario.makeServer(data: data, sizes: sizes, resuming: checkpoint?.state.schedule,
                                         clientLosses: evaluator)
        let globalTraining = scenario.evaluation.globalTrainEvery.flatMap { every in evaluator.map { (every, $0) } }
        let plan = try privacy ?? PrivacyPlan.make(scenario, data: data)
        pipeline = try AggregationPipeline(scenario: scenario, privacy: plan)
        self.privacy = try plan.map(PrivacyLedger.init)
        if let warning = plan?.warning { options.warn(warning) }
        recorder = RunRecorder(data: data, model: model, evaluationEvery: scenario.evaluation.every, sizes: sizes,
                               folder: folder, options: options,
                               recordsSelection: server.strategy.clientSelection.isRecorded,
                               globalTraining: globalTraining, recordsLocalSteps: scenario.server.hasPartialWork)
        let (seed, flips, byzantine) = (scenario.seed, pipeline.flipsLabels, pipeline.byzantineClients)
        let expert = try scenario.expertParameters(for: data)
        var resend: WorkerPool.Recovery = { _ in }
        pool = WorkerPool(transport: transport, options: options, scenarioName: scenario.name,
                          clientCount: data.clientCount, recovery: { try resend($0) }) { index, clients, _ in
            Assign(workerIndex: index, seed: seed, model: spec, clients: clients.map { client in
                data.shard(of: client, flipsLabels: flips && byzantine.contains(client))
            }, frozenParameters: model.frozenParameters, dataRecipe: data.recipe, expertParameters: expert)
        }
        lastCheckpoint = (checkpoint?.steps ?? 0, Date())
        earlierTrainingSeconds = checkpoint?.wallTrainingSeconds ?? 0
        if let checkpoint { try restore(checkpoint.state) }
        resend = { [unowned self] clients in try self.resendJobs(of: Set(clients)) }
    }

    /// Goes on from `state`, which a run of this scenario saved.
    private func restore(_ state: RunState) throws {
        models = state.models
        try pipeline.restore(state.pipeline)
        if let saved = state.privacy { privacy?.restore(saved) }
        jobs = state.jobs
        streamedStep = state.streamedStep
        recorder.restore(state.recorder)
        try clientLosses?.advance(to: models.current, parameters: models.latest, adapterFactors: models.latestAdapterFactors)
    }

    /// The global model after the steps run so far.
    public var globalParameters: [Float] { models.latest }

    /// The run's whole state: what it would need to go on from here.
    public var state: RunState {
        RunState(schedule: server.state, models: models, pipeline: pipeline.state, privacy: privacy?.state,
                 jobs: jobs, recorder: recorder.state)
    }

    /// Waits for the workers, carries out the schedule's actions until it ends, stops the
    /// workers and writes the run folder. A resumed run first sends again every job that
    /// was running. If the run fails or is interrupted, the workers that joined are told
    /// to stop, with the reason, and the run folder gets a checkpoint (when the run
    /// stopped where one can be taken) and a summary saying how the run ended.
    public func run() throws -> RunSummary {
        let started = Date()
        do {
            try pool.awaitWorkers()
            try pool.placeClients()
            recorder.startTraining(after: earlierTrainingSeconds)
            try resendJobs(of: Set(0..<data.clientCount))
            while let action = server.next() {
                try carryOut(action)
                try checkInterruption()
            }
            if server.endedEarly {
                options.warn("the run ended after \(server.scheduler.aggregations) of \(server.stop.aggregations ?? 0) steps, "
                             + "at virtual time \(server.scheduler.now): no client is online again (system.availability)")
            }
        } catch {
            pool.stopAll(reason: "the coordinator stopped: \(error)")
            saveUnfinishedRun(started: started, error: error)
            throw error
        }
        let trainingSeconds = recorder.trainingSeconds
        pool.stopAll(reason: "run complete")
        try recorder.writeModel(models.latest, adapterFactors: models.latestAdapterFactors)
        let unchanged = server.scheduler.aggregations > 0 && models.latest.map(\.bitPattern) == startingParameters.map(\.bitPattern)
        if unchanged {
            options.warn("the run completed but its global model never moved from where it started: every step's "
                         + "updates were rejected or cancelled out (summary.json: model_unchanged)")
        }
        let summary = try recorder.finish(
            scenario: scenario.name, steps: server.scheduler.aggregations, parameters: models.latest.count,
            workers: pool.liveCount, started: started, trainingSeconds: trainingSeconds, traffic: transport.traffic,
            privacy: privacy, modelUnchanged: unchanged)
        folder?.removeCheckpoint()
        return summary
    }

    /// Throws `interrupted` once a signal has asked the run to stop.
    private func checkInterruption() throws {
        if let signal = options.interruption() { throw RunError.interrupted(signal: signal) }
    }

    /// Writes the checkpoint of a run that stopped early, when it stopped where one can
    /// be taken, and its summary (status `interrupted` or `failed`). Problems writing them
    /// are logged: the error that stopped the run is the one reported.
    private func saveUnfinishedRun(started: Date, error: Error) {
        guard folder != nil else { return }
        var status = RunStatus.failed
        if case RunError.interrupted = error { status = .interrupted }
        do {
            if let checkpoint = checkpointState() {
                try writeCheckpoint(checkpoint)
                options.log("saved a checkpoint after step \(stepsTaken)")
            }
            _ = try recorder.finish(
                scenario: scenario.name, steps: stepsTaken, parameters: models.latest.count,
                workers: pool.liveCount, started: started, trainingSeconds: recorder.trainingSeconds,
                traffic: transport.traffic, privacy: privacy, status: status,
                reason: "\(error)")
        } catch let failure {
            options.log("could not save the unfinished run: \(failure)")
        }
    }

    /// The run's state as a checkpoint saves it: between actions, or while waiting for a
    /// step's updates (with the step put back before the schedule's next action, and
    /// every update received so far kept); nil in the midst of any other action.
    private func checkpointState() -> RunState? {
        switch position {
        case .betweenActions: return state
        case let .awaiting(step):
            return RunState(schedule: server.state(awaiting: step), models: models, pipeline: pipeline.state,
                            privacy: privacy?.state, jobs: jobs, recorder: recorder.state,
                            streamedStep: streamedStep?.step == step.number ? streamedStep : nil)
        case .busy: return nil
        }
    }

    private func writeCheckpoint(_ state: RunState) throws {
        guard let folder else { return }
        let checkpoint = RunCheckpoint(state: state, metricsBytes: try folder.syncedMetricsBytes(), steps: stepsTaken,
                                       wallTrainingSeconds: recorder.trainingSeconds, workers: options.workers)
        try checkpoint.write(to: folder.path)
        lastCheckpoint = (stepsTaken, Date())
    }

    /// The aggregation steps carried out and recorded (the schedule counts a step as
    /// soon as it hands it out).
    private var stepsTaken: Int {
        if case let .awaiting(step) = position { return step.number - 1 }
        return server.scheduler.aggregations
    }

    private func carryOut(_ action: ScheduledAction) throws {
        position = .busy
        switch action {
        case let .dispatch(job): try dispatch(job)
        case let .aggregate(step):
            try aggregate(step)
            if let every = options.checkpointEvery,
               every.isDue(step: step.number, lastStep: lastCheckpoint.step,
                           elapsed: Date().timeIntervalSince(lastCheckpoint.time)) {
                position = .betweenActions
                try writeCheckpoint(state)
            }
        case let .drop(job): jobs.drop(job).map { models.release($0) }
        }
        position = .betweenActions
    }

    /// Files `job` as running and sends its task (with the current model, if its worker
    /// lacks it). Clients of lost workers are placed first, so a task is never sent twice.
    private func dispatch(_ job: Job) throws {
        precondition(job.version == models.current, "\(job) dispatched while the model is at version \(models.current)")
        try pool.recover()
        jobs.dispatched(job)
        models.hold(job.version)
        recorder.dispatched(job)
        try pool.send(task(of: job), version: job.version, model: { modelMessage(job.version) })
    }

    /// The task of `job`: its client, the model version it trains from, its number and
    /// the training settings (with the client's privacy noise, the round of pacing over
    /// rounds, and a straggler's partial work).
    private func task(of job: Job) -> TrainingTask {
        let training = scenario.training.pacedAt(round: job.version)
            .partial(job.partialWork, samples: data.sampleCounts[job.client])
        return TrainingTask(clientID: job.client, modelVersion: UInt64(job.version), jobNumber: job.number,
                            training: privacy?.training(training, client: job.client) ?? training)
    }

    /// Sends again the running jobs of `clients`, which were lost with their worker (or
    /// with the coordinator the run resumes from), and forgets their dropped jobs.
    private func resendJobs(of clients: Set<Int>) throws {
        for version in jobs.forgetDropped(of: clients) { models.release(version) }
        let lost = jobs.running(of: clients)
        if !lost.isEmpty { options.log("sending \(lost.count) unfinished jobs again") }
        for job in lost {
            try pool.send(task(of: job), version: job.version, model: { modelMessage(job.version) })
        }
    }

    /// Applies `step` once each of its jobs' updates has arrived, and records it. When
    /// the pipeline allows it, each update is added to the step's weighted sum as soon as
    /// the ones before it in the step are, so only updates that arrive early are held.
    /// While it waits, the run can be saved as it was before the step (with the sum so far).
    private func aggregate(_ step: AggregationStep) throws {
        guard !step.contributions.isEmpty else {
            // A round no update came back in: recorded as empty, the model unchanged, no privacy spent.
            options.log("round \(step.number): no update came back before the deadline; recorded as an empty round")
            try recorder.record(step, results: [], facts: AggregationFacts(), model: models.latest,
                                adapterFactors: models.latestAdapterFactors, epsilonMax: privacy?.epsilonMax,
                                isLast: isLast(step))
            return
        }
        position = .awaiting(step)
        if pipeline.sumsUpdatesAsTheyArrive {
            if streamedStep?.step != step.number {
                streamedStep = StreamedStep(step: step.number, dimension: models.latest.count)
            }
            while let added = streamedStep?.added, added < step.contributions.count {
                let contribution = step.contributions[added]
                try awaitUpdate(of: contribution.job)
                streamedStep!.add(jobs.take(contribution.job)!, weight: contribution.weight)
            }
        } else {
            for contribution in step.contributions { try awaitUpdate(of: contribution.job) }
        }
        position = .busy
        let streamed = streamedStep
        streamedStep = nil
        let results = streamed?.results ?? step.contributions.map { jobs.take($0.job)! }
        var facts = AggregationFacts()
        try models.advance(to: step.version) { model, adapterFactors in
            if let streamed {
                facts = try pipeline.apply(step, streamed: streamed, to: &model)
            } else {
                facts = try pipeline.apply(step, results: results, to: &model)
            }
            if !refactorizedAdapters.isEmpty, step.number % scenario.server.svdPeriod == 0 {
                try FedSVD.refactorize(parameters: &model, adapterFactors: &adapterFactors, adapters: refactorizedAdapters)
            }
        }
        try privacy?.record(clients: step.contributions.map(\.job.client), results: results)
        try clientLosses?.advance(to: step.version, parameters: models.latest, adapterFactors: models.latestAdapterFactors)
        if server.strategy.clientSelection.usesReportedLosses {
            server.report(losses: zip(step.contributions, results).map { ($0.job.client, $1.trainLoss) })
        }
        try recorder.record(step, results: results, facts: facts, model: models.latest,
                            adapterFactors: models.latestAdapterFactors, epsilonMax: privacy?.epsilonMax,
                            isLast: isLast(step))
        try pool.rebalance(busy: jobs.runningClients)
    }

    /// Whether `step` is the run's last: its aggregation count, or no step follows.
    private func isLast(_ step: AggregationStep) -> Bool {
        step.number == server.stop.aggregations || !server.hasFurtherStep()
    }

    /// Receives updates until `job`'s has arrived.
    private func awaitUpdate(of job: Job) throws {
        while !jobs.hasReceived(job) {
            try receiveUpdate(waitingFor: job)
            try checkInterruption()
        }
    }

    /// Model `version` as a Model message; the current version is encoded once for all
    /// the workers that need it.
    private func modelMessage(_ version: Int) -> EncodedMessage {
        if let encodedModel, encodedModel.version == version { return encodedModel.message }
        let message = EncodedMessage(.model(ModelBroadcast(
            version: UInt64(version), parameters: models.parameters(of: version)!,
            adapterFactors: models.adapterFactors(of: version)!)))
        if version == models.current { encodedModel = (version, message) }
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
        guard data.sampleCounts.indices.contains(update.clientID) else { return "no such client" }
        guard pool.isHost(peer, of: update.clientID) else { return "the client is hosted by another worker" }
        if let problem = jobs.problem(withUpdateOf: JobTable.Key(client: update.clientID, number: update.jobNumber),
                                      modelVersion: update.modelVersion) {
            return problem
        }
        guard update.delta.count == models.latest.count else {
            return "delta has \(update.delta.count) values, the model \(models.latest.count)"
        }
        guard update.sampleCount == data.sampleCounts[update.clientID] else {
            return "sample count \(update.sampleCount), the client holds \(data.sampleCounts[update.clientID])"
        }
        return nil
    }
}
