/// What one round produced. Fields named `wall...` depend on the machine; every other
/// field is a pure function of (scenario, seed).
public struct RoundRecord: Equatable, Sendable {
    public var round: Int
    public var clients: [Int]
    /// Sample-weighted mean of the clients' local training losses.
    public var trainLoss: Double
    public var testLoss: Double?
    public var testAccuracy: Double?
    /// Simulated traffic: what the round's clients upload and download (float32 tensors).
    public var bytesUp: Int
    public var bytesDown: Int
    public var wallSeconds: Double
    public var wallRoundSeconds: Double

    public var json: JSONObject {
        var object = JSONObject()
        object.set("round", round)
        object.set("clients", clients.count)
        object.set("train_loss", trainLoss)
        if let testLoss, let testAccuracy {
            object.set("test_loss", testLoss)
            object.set("test_accuracy", testAccuracy)
        }
        object.set("bytes_up", bytesUp)
        object.set("bytes_down", bytesDown)
        object.set("wall_seconds", wallSeconds)
        object.set("wall_round_seconds", wallRoundSeconds)
        return object
    }
}

/// Per-client totals over a run (`clients.csv`).
public struct ClientTotals: Equatable, Sendable {
    public var clientID: Int
    public var samples: Int
    public var updates = 0
    public var localSteps = 0
    public var lastRound = 0
    public var lastTrainLoss = Double.nan
    public var bytesUp = 0
    public var bytesDown = 0

    public init(clientID: Int, samples: Int) {
        self.clientID = clientID
        self.samples = samples
    }

    static let csvHeader = "client_id,samples,updates,local_steps,last_round,last_train_loss,bytes_up,bytes_down"

    var csvRow: String {
        let loss = lastTrainLoss.isFinite ? "\(lastTrainLoss)" : ""
        return "\(clientID),\(samples),\(updates),\(localSteps),\(lastRound),\(loss),\(bytesUp),\(bytesDown)"
    }
}

/// The outcome of a run (`summary.json`).
public struct RunSummary: Equatable, Sendable {
    public var scenario: String
    public var rounds: Int
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

    /// Client updates per second of `wallTrainingSeconds`.
    public var clientUpdatesPerSecond: Double {
        wallTrainingSeconds > 0 ? Double(clientUpdates) / wallTrainingSeconds : 0
    }

    public var json: JSONObject {
        var object = JSONObject()
        object.set("scenario", scenario)
        object.set("rounds", rounds)
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
        return object
    }
}
