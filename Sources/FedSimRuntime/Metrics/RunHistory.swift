import Foundation

/// A server run folder's `metrics.jsonl` read back: its steps and the test evaluations
/// along virtual time, for comparing runs of different strategies on one clock.
public struct RunHistory: Sendable {
    /// One evaluation of the global model.
    public struct Evaluation: Equatable, Sendable {
        public var step: Int
        public var time: Double
        public var testLoss: Double
        public var testAccuracy: Double
        /// Bytes sent up and down (`bytes_up` + `bytes_down`) since the run began, this
        /// step's included; 0 when the records do not say.
        public var communicatedBytes: Double
    }

    /// The run's name: its folder's last path component.
    public let name: String
    /// Aggregation steps recorded.
    public let steps: Int
    /// Virtual seconds at the last step.
    public let duration: Double
    /// The evaluations, in step order.
    public let evaluations: [Evaluation]
    /// Bytes a client update carried up, on average over the run's updates; nil when
    /// the records do not say.
    public let bytesUpPerUpdate: Double?
    /// The largest epsilon any client had spent at the last record of a private run; nil
    /// for a run without DP.
    public let epsilonMax: Double?
    /// Whether the run diverged: an evaluation found the model holding NaN or infinity
    /// (a null test loss), or the run ended with a higher test loss than its first
    /// evaluation's.
    public let diverged: Bool

    /// Reads `folder/metrics.jsonl`. Throws naming the file and line of a record that is
    /// not a JSON object with numeric `round` and `time`, or that is a decentralized run's,
    /// when no record has a test evaluation, and when the folder holds a decentralized run.
    public init(folder: String) throws {
        let metrics = try MetricsLines(folder: folder)
        guard !metrics.holdsDecentralizedRun else { throw RunFolderError.notAServerRun(folder: folder) }
        try self.init(metrics)
    }

    init(_ metrics: MetricsLines) throws {
        var steps = 0
        var duration = 0.0
        var evaluations: [Evaluation] = []
        var (bytesUp, updates, communicatedBytes) = (0.0, 0.0, 0.0)
        var epsilonMax: Double?
        var nonFinite = false
        let notARecord = { RunFolderError.notARecord(metrics: metrics.path, line: $0) }
        try metrics.forEachRecord(decentralized: false, malformed: notARecord) { number, record in
            guard let step = (record["round"] as? NSNumber)?.intValue,
                  let time = (record["time"] as? NSNumber)?.doubleValue else {
                throw notARecord(number)
            }
            steps = step
            duration = time
            if let bytes = (record["bytes_up"] as? NSNumber)?.doubleValue,
               let clients = (record["clients"] as? NSNumber)?.doubleValue {
                bytesUp += bytes
                updates += clients
            }
            communicatedBytes += ((record["bytes_up"] as? NSNumber)?.doubleValue ?? 0)
                + ((record["bytes_down"] as? NSNumber)?.doubleValue ?? 0)
            epsilonMax = (record["epsilon_max"] as? NSNumber)?.doubleValue ?? epsilonMax
            if let loss = (record["test_loss"] as? NSNumber)?.doubleValue,
               let accuracy = (record["test_accuracy"] as? NSNumber)?.doubleValue {
                evaluations.append(Evaluation(step: step, time: time, testLoss: loss, testAccuracy: accuracy,
                                              communicatedBytes: communicatedBytes))
            } else if record["test_loss"] is NSNull {
                nonFinite = true
            }
        }
        guard !evaluations.isEmpty else { throw RunFolderError.noEvaluation(metrics: metrics.path) }
        self.name = metrics.runName
        self.steps = steps
        self.duration = duration
        self.evaluations = evaluations
        bytesUpPerUpdate = updates > 0 ? bytesUp / updates : nil
        self.epsilonMax = epsilonMax
        diverged = nonFinite || evaluations[evaluations.count - 1].testLoss > evaluations[0].testLoss
    }

    /// The last evaluation.
    public var final: Evaluation { evaluations[evaluations.count - 1] }

    /// The virtual time of the first evaluation with test loss <= `loss`; nil if none.
    public func firstTime(testLossAtMost loss: Double) -> Double? {
        evaluations.first { $0.testLoss <= loss }?.time
    }

    /// The test loss seen at times `interval`, 2 `interval`, ... up to `duration`: each
    /// the last evaluation at or before that time (nil before the first). Sampling every
    /// run on the same virtual-time grid makes runs with very different step rates
    /// comparable. O(evaluations + duration / interval).
    public func testLoss(every interval: Double) -> [Double?] {
        precondition(interval > 0, "the sampling interval must be positive, got \(interval)")
        var samples: [Double?] = []
        var next = 0
        var current: Double?
        var k = 1.0
        // The grid is compared with a nanosecond of slack: times are snapped to 1e-9.
        while k * interval <= duration + 1e-9 {
            let time = k * interval
            while next < evaluations.count, evaluations[next].time <= time + 1e-9 {
                current = evaluations[next].testLoss
                next += 1
            }
            samples.append(current)
            k += 1
        }
        return samples
    }

    /// How unstable the test loss is: the population standard deviation of its successive
    /// changes on the `testLoss(every:)` grid. A steady descent has changes of one sign that
    /// shrink smoothly; a loss that jumps up and down spreads them. Nil with fewer than two
    /// changes.
    public func lossSpread(every interval: Double) -> Double? {
        let losses = testLoss(every: interval).compactMap { $0 }
        let changes = zip(losses, losses.dropFirst()).map { $1 - $0 }
        guard changes.count >= 2 else { return nil }
        let mean = changes.reduce(0, +) / Double(changes.count)
        let variance = changes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(changes.count)
        return variance.squareRoot()
    }
}
