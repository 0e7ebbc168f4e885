import FedSimAlgorithms
import FedSimCore
import Foundation

/// What a run writes as it goes: each step's record the moment the step is taken (with
/// a test evaluation every `evaluation.every` steps and at the last step), the client
/// totals, and at the end `model.safetensors`, `clients.csv` and `summary.json`.
final class RunRecorder {
    /// What changes as the run goes.
    struct State: Codable, Equatable, Sendable {
        var totals: [ClientTotals]
        /// Tasks sent since the last step: the next step's downloads.
        var downloadsSinceLastStep = 0
        /// The latest test evaluation; nil before the first.
        var testLoss: Double?
        var testAccuracy = 0.0
        var bestAccuracy = 0.0
        /// Virtual seconds at the last step.
        var time = 0.0
        /// Whether the global model has left the finite numbers (said once).
        var diverged = false
        /// Whether a step had every update rejected (said once; later ones go to the log).
        var allRejected = false
    }

    private(set) var state: State
    private let folder: RunFolder?
    /// The model the steps are evaluated with; its frozen adapter factors follow the
    /// server's (FedSVD).
    private var model: Sequential
    private let test: Dataset
    private let evaluationEvery: Int
    private let sizes: TransferSizes
    private let options: CoordinatorOptions
    /// Whether clients are chosen by a rule other than uniform sampling, whose choices
    /// (and the losses it chose by) the records then show.
    private let recordsSelection: Bool
    /// Every how many steps (and at the last) the global model is evaluated on all the
    /// clients' training rows, and what evaluates it; nil: never.
    private let globalTraining: (every: Int, evaluator: ClientLossEvaluator)?
    /// Whether updates may carry partial work, so the records show each one's steps.
    private let recordsLocalSteps: Bool
    private var trainingStarted = Date()

    init(data: some FederatedDataSummary, model: Sequential, evaluationEvery: Int, sizes: TransferSizes,
         folder: RunFolder?, options: CoordinatorOptions, recordsSelection: Bool = false,
         globalTraining: (every: Int, evaluator: ClientLossEvaluator)? = nil, recordsLocalSteps: Bool = false) {
        state = State(totals: data.sampleCounts.enumerated().map {
            var totals = ClientTotals(clientID: $0.offset, samples: $0.element)
            if recordsSelection { totals.selected = 0 }
            return totals
        })
        self.recordsSelection = recordsSelection
        self.globalTraining = globalTraining
        self.recordsLocalSteps = recordsLocalSteps
        test = data.test
        self.model = model
        self.evaluationEvery = evaluationEvery
        self.sizes = sizes
        self.folder = folder
        self.options = options
    }

    /// Marks the start of the first step's work: `wall_seconds` count from here, plus the
    /// `earlierSeconds` of training a resumed run had done before.
    func startTraining(after earlierSeconds: Double = 0) {
        trainingStarted = Date(timeIntervalSinceNow: -earlierSeconds)
    }

    /// Seconds since `startTraining`.
    var trainingSeconds: Double { Date().timeIntervalSince(trainingStarted) }

    /// Counts the model `job`'s client downloads, and its choice when the records show
    /// the selection.
    func dispatched(_ job: Job) {
        state.downloadsSinceLastStep += 1
        state.totals[job.client].bytesDown += sizes.download
        state.totals[job.client].selected? += 1
    }

    /// Records `step`, which combined `results` (in the step's order) into `model` as
    /// `facts` say, and writes its line, evaluating `model` on the test set first when
    /// the step is on the evaluation grid or `isLast` (asked only off the grid).
    /// `adapterFactors` are the model's frozen A factors when the server re-sets them,
    /// empty otherwise.
    func record(_ step: AggregationStep, results: [ClientResult], facts: AggregationFacts, model parameters: [Float],
                adapterFactors: [Float] = [], epsilonMax: Double?, isLast: @autoclosure () -> Bool) throws {
        if facts.rejected > 0, facts.rejected == step.contributions.count, !state.allRejected {
            state.allRejected = true
            options.warn("step \(step.number): every update (\(facts.rejected)) held NaN or infinity and was rejected, so "
                         + "the model did not move (said once; the log has later steps)")
        } else if facts.rejected > 0 {
            options.log("step \(step.number): rejected \(facts.rejected) updates holding NaN or infinity")
        }
        if !state.diverged, !parameters.allFinite {
            state.diverged = true
            options.warn("the global model holds NaN or infinity from step \(step.number) on: training diverged")
        }
        var lossSum = 0.0
        var samples = 0
        for (contribution, result) in zip(step.contributions, results) {
            if result.trainLoss.isFinite {
                lossSum += Double(result.sampleCount) * result.trainLoss
                samples += result.sampleCount
            }
            let client = contribution.job.client
            state.totals[client].updates += 1
            state.totals[client].localSteps += result.steps
            state.totals[client].lastStep = step.number
            state.totals[client].lastTrainLoss = result.trainLoss
            state.totals[client].bytesUp += sizes.upload
        }
        let staleness = step.staleness
        var record = StepRecord(
            step: step.number, time: step.time, clients: step.contributions.map(\.job.client),
            stalenessMean: Double(staleness.reduce(0, +)) / Double(staleness.count), stalenessMax: staleness.max() ?? 0,
            trainLoss: samples > 0 ? lossSum / Double(samples) : .nan,
            bytesUp: sizes.upload * results.count, bytesDown: sizes.download * state.downloadsSinceLastStep,
            robustness: facts, wallSeconds: trainingSeconds)
        record.epsilonMax = epsilonMax
        if recordsSelection {
            record.selectionLosses = step.contributions.map { $0.job.selectionLoss ?? .infinity }
        }
        if recordsLocalSteps { record.localSteps = results.map(\.steps) }
        if step.contributions.contains(where: { $0.job.draws != nil }) {
            record.draws = step.contributions.map { $0.job.draws ?? 1 }
        }
        state.downloadsSinceLastStep = 0
        state.time = step.time
        let onGrid = step.number % evaluationEvery == 0
        let onTrainingGrid = globalTraining.map { step.number % $0.every == 0 }
        let last = onGrid && onTrainingGrid != false ? false : isLast()
        if let evaluator = globalTraining?.evaluator, onTrainingGrid == true || last {
            let training = evaluator.globalTraining()
            record.globalTrainLoss = training.meanLoss
            record.globalTrainAccuracy = training.accuracy
        }
        if onGrid || last {
            if !adapterFactors.isEmpty { try model.setAdapterFactors(adapterFactors) }
            let evaluation = model.evaluate(parameters: parameters, on: test)
            record.testLoss = evaluation.meanLoss
            record.testAccuracy = evaluation.accuracy
            state.testLoss = evaluation.meanLoss
            state.testAccuracy = evaluation.accuracy
            state.bestAccuracy = max(state.bestAccuracy, evaluation.accuracy)
        }
        try folder?.append(record.json, step: record.step)
        options.progress(record)
    }

    /// Writes the global model, whose trainable vector is `parameters` and frozen adapter
    /// factors `adapterFactors` (when the server re-sets them), to the run folder's
    /// `model.safetensors`.
    func writeModel(_ parameters: [Float], adapterFactors: [Float]) throws {
        if !adapterFactors.isEmpty { try model.setAdapterFactors(adapterFactors) }
        try folder?.writeModel(model, trainableParameters: parameters)
    }

    /// Writes `clients.csv` (with each client's epsilon from `privacy`) and
    /// `summary.json` (saying `status`, and `reason` when the run did not complete), and
    /// returns the summary of a run of `steps` steps.
    func finish(scenario: String, steps: Int, parameters: Int, workers: Int, started: Date, trainingSeconds: Double,
                traffic: WireTraffic, privacy: PrivacyLedger?, status: RunStatus = .completed,
                reason: String? = nil, modelUnchanged: Bool = false) throws -> RunSummary {
        var summary = RunSummary(
            scenario: scenario, steps: steps, virtualSeconds: state.time,
            clientUpdates: state.totals.reduce(0) { $0 + $1.updates }, parameters: parameters,
            finalTestAccuracy: state.testAccuracy, finalTestLoss: state.testLoss ?? .nan,
            bestTestAccuracy: state.bestAccuracy, workers: workers,
            wallSeconds: Date().timeIntervalSince(started), wallTrainingSeconds: trainingSeconds,
            wireBytesSent: traffic.bytesSent, wireBytesReceived: traffic.bytesReceived)
        (summary.testRows, summary.testBytes) = (test.count, test.byteCount)
        (summary.diverged, summary.modelUnchanged) = (state.diverged, modelUnchanged)
        var totals = state.totals
        summary.privacy = try privacy?.outcome()
        try privacy?.annotate(&totals)
        try folder?.finish(clients: totals, summary: summary, status: status, reason: reason)
        return summary
    }

    /// Continues from a saved `state`.
    func restore(_ state: State) {
        self.state = state
    }
}
