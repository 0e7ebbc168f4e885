import FedSimCore

/// What one aggregation step produced, one line of `metrics.jsonl`. Fields named
/// `wall...` depend on the machine; every other field is a pure function of
/// (scenario, seed).
public struct StepRecord: Equatable, Sendable {
    /// The step's number, from 1 (the round, for FedAvg); `round` in metrics.jsonl.
    public var step: Int
    /// Virtual seconds since the run began.
    public var time: Double
    /// The clients aggregated, in aggregation order.
    public var clients: [Int]
    /// Versions between each aggregated update's starting model and the model it updates.
    public var stalenessMean: Double
    public var stalenessMax: Int
    /// Sample-weighted mean of the clients' local training losses.
    public var trainLoss: Double
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// The model's mean loss and accuracy over every client's training rows (the global
    /// objective), every `evaluation.global_train_every` steps; nil otherwise.
    public var globalTrainLoss: Double?
    public var globalTrainAccuracy: Double?
    /// Simulated traffic: what the round's clients upload and download (float32 tensors).
    public var bytesUp: Int
    public var bytesDown: Int
    /// Rejected updates, Byzantine updates and what the robust rule did.
    var robustness: AggregationFacts
    /// Private runs: the largest epsilon any client has spent since the run began (at the
    /// scenario's delta), this step included; nil without privacy.
    public var epsilonMax: Double?
    /// Wall seconds since the first step began.
    public var wallSeconds: Double
    /// With a selection rule other than uniform sampling: the loss each aggregated client
    /// (in `clients`' order) was chosen by, +infinity (null in JSON) when it had none
    /// (a random order, or no report yet); nil otherwise.
    public var selectionLosses: [Double]?
    /// With stragglers that may do partial work: the optimizer steps of each aggregated
    /// client's update (in `clients`' order); nil otherwise.
    public var localSteps: [Int]?
    /// Under sampling with replacement: how many of the round's draws picked each
    /// aggregated client (in `clients`' order); nil otherwise.
    public var draws: [Int]?

    init(step: Int, time: Double, clients: [Int], stalenessMean: Double, stalenessMax: Int,
         trainLoss: Double, testLoss: Double? = nil, testAccuracy: Double? = nil,
         bytesUp: Int, bytesDown: Int, robustness: AggregationFacts = AggregationFacts(), wallSeconds: Double) {
        self.step = step
        self.time = time
        self.clients = clients
        self.stalenessMean = stalenessMean
        self.stalenessMax = stalenessMax
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.robustness = robustness
        self.wallSeconds = wallSeconds
    }

    public var json: JSONObject {
        var object = JSONObject()
        object.set("round", step)
        object.set("time", time)
        object.set("clients", clients.count)
        if clients.isEmpty { object.set("empty", true) }
        object.set("staleness_mean", stalenessMean)
        object.set("staleness_max", stalenessMax)
        object.set("train_loss", trainLoss)
        if let testLoss, let testAccuracy {
            object.set("test_loss", testLoss)
            object.set("test_accuracy", testAccuracy)
        }
        if let globalTrainLoss, let globalTrainAccuracy {
            object.set("global_train_loss", globalTrainLoss)
            object.set("global_train_accuracy", globalTrainAccuracy)
        }
        object.set("bytes_up", bytesUp)
        object.set("bytes_down", bytesDown)
        let facts = robustness
        if facts.rejected > 0 || facts.byzantine != nil || facts.robust != nil {
            object.set("rejected", facts.rejected)
        }
        if let byzantine = facts.byzantine { object.set("byzantine", byzantine) }
        if let robust = facts.robust { object.set("robust", robust) }
        if let selected = facts.selectedClients { object.set("selected_clients", selected) }
        if let clipped = facts.clipped { object.set("clipped", clipped) }
        if let trimmed = facts.trimmedPerCoordinate { object.set("trimmed_per_coordinate", trimmed) }
        if let distance = facts.honestDistance { object.set("honest_distance", distance) }
        if let epsilonMax { object.set("epsilon_max", epsilonMax) }
        if selectionLosses != nil || localSteps != nil || draws != nil { object.set("client_ids", clients) }
        if let selectionLosses { object.set("selection_losses", selectionLosses) }
        if let localSteps { object.set("local_steps", localSteps) }
        if let draws { object.set("client_draws", draws) }
        object.set("wall_seconds", wallSeconds)
        return object
    }
}

/// Per-client totals over a run (`clients.csv`).
public struct ClientTotals: Equatable, Codable, Sendable {
    public var clientID: Int
    public var samples: Int
    public var updates = 0
    public var localSteps = 0
    /// The step that last aggregated an update of this client (0: none).
    public var lastStep = 0
    /// The local training loss of that update; nil before the first.
    public var lastTrainLoss: Double?
    public var bytesUp = 0
    public var bytesDown = 0
    /// Private runs: the epsilon this client spent over the run (0 if it never took part
    /// under sample-level DP); nil without privacy.
    public var epsilon: Double?
    /// With a selection rule other than uniform sampling: the jobs started for this
    /// client, its times chosen; nil otherwise.
    public var selected: Int?

    public init(clientID: Int, samples: Int) {
        self.clientID = clientID
        self.samples = samples
    }

    /// `clients.csv`: a header and one row per client; the `epsilon` column appears when
    /// the run is private.
    static func csv(_ totals: [ClientTotals]) -> String {
        let privacy = totals.contains { $0.epsilon != nil }
        let selection = totals.contains { $0.selected != nil }
        let header = "client_id,samples,updates,local_steps,last_round,last_train_loss,bytes_up,bytes_down"
            + (privacy ? ",epsilon" : "") + (selection ? ",selected" : "")
        return ([header] + totals.map { $0.csvRow(privacy: privacy, selection: selection) }).joined(separator: "\n") + "\n"
    }

    private func csvRow(privacy: Bool, selection: Bool) -> String {
        let loss = lastTrainLoss.flatMap { $0.isFinite ? "\($0)" : nil } ?? ""
        return "\(clientID),\(samples),\(updates),\(localSteps),\(lastStep),\(loss),\(bytesUp),\(bytesDown)"
            + (privacy ? ",\(epsilon ?? 0)" : "") + (selection ? ",\(selected ?? 0)" : "")
    }
}

/// A private run's guarantee at its end (`summary.json`).
public struct PrivacyOutcome: Equatable, Sendable {
    public var mode: PrivacyMode
    /// sigma, as given or calibrated.
    public var noiseMultiplier: Double
    public var delta: Double
    /// The largest epsilon any client spent.
    public var worstClientEpsilon: Double
    /// The client that spent it (the smallest id on ties); nil under client-level DP,
    /// where every client's epsilon is the federation's.
    public var worstClient: Int?
}

/// The outcome of a run (`summary.json`).
public struct RunSummary: Equatable, Sendable {
    public var scenario: String
    /// Aggregation steps taken; `rounds` in summary.json.
    public var steps: Int
    /// Virtual seconds at the last step.
    public var virtualSeconds: Double
    public var clientUpdates: Int
    public var parameters: Int
    public var finalTestAccuracy: Double
    public var finalTestLoss: Double
    public var bestTestAccuracy: Double
    public var workers: Int
    /// From the coordinator's start to its end, worker start-up and data loading included.
    public var wallSeconds: Double
    /// The rounds alone: first dispatch to last aggregation.
    public var wallTrainingSeconds: Double
    public var wireBytesSent: Int
    public var wireBytesReceived: Int
    /// Private runs: the guarantee reached; nil without privacy.
    public var privacy: PrivacyOutcome?
    /// The test set the coordinator held: its rows, and its bytes in memory. Not part
    /// of summary.json.
    public var testRows = 0
    public var testBytes = 0
    /// Whether the global model left the finite numbers during the run.
    public var diverged = false
    /// Whether the final global model is, bit for bit, the one the run started from:
    /// every update was rejected or cancelled out.
    public var modelUnchanged = false

    /// Client updates per second of `wallTrainingSeconds`.
    public var clientUpdatesPerSecond: Double {
        wallTrainingSeconds > 0 ? Double(clientUpdates) / wallTrainingSeconds : 0
    }

    public var json: JSONObject {
        var object = JSONObject()
        object.set("scenario", scenario)
        object.set("rounds", steps)
        object.set("virtual_seconds", virtualSeconds)
        object.set("client_updates", clientUpdates)
        object.set("parameters", parameters)
        object.set("final_test_accuracy", finalTestAccuracy)
        object.set("final_test_loss", finalTestLoss)
        object.set("best_test_accuracy", bestTestAccuracy)
        object.set("workers", workers)
        object.set("wall_seconds", wallSeconds)
        object.set("wall_training_seconds", wallTrainingSeconds)
        object.set("client_updates_per_second", clientUpdatesPerSecond)
        object.set("wire_bytes_sent", wireBytesSent)
        object.set("wire_bytes_received", wireBytesReceived)
        if diverged { object.set("diverged", true) }
        if modelUnchanged { object.set("model_unchanged", true) }
        if let privacy {
            object.set("privacy_mode", privacy.mode.rawValue)
            object.set("noise_multiplier", privacy.noiseMultiplier)
            object.set("delta", privacy.delta)
            object.set("worst_client_epsilon", privacy.worstClientEpsilon)
            object.set("worst_client", privacy.worstClient.map(Double.init))
        }
        return object
    }
}
