import Foundation

/// A decentralized run folder's `metrics.jsonl` read back: one record per evaluation
/// interval of virtual time, from time 0, with the work done so far (gradients, edge
/// exchanges) beside the measures of the nodes' models. It is what compares gossip
/// runs on their cost in communications and gradients rather than on virtual time.
public struct DecentralizedRunHistory: Sendable {
    /// One evaluation interval's record. A measure is nil when the record lacks it (no
    /// unique optimum for a network model, no accuracy for least squares) and NaN when
    /// it was not finite, which the run wrote as null.
    public struct Record: Equatable, Sendable {
        public var time: Double
        /// Gradient computations over all nodes since the run began.
        public var gradients: Int
        /// Edge exchanges since the run began.
        public var communications: Int
        /// (1/n) sum_i ||x_i - x*||^2 / ||x*||^2.
        public var relativeDistanceToOptimum: Double?
        /// (1/n) sum_i ||x_i - x_bar||^2.
        public var consensusDistance: Double?
        /// The average model's.
        public var testLoss: Double?
        public var testAccuracy: Double?
        /// A token walk's total-variation distance of its visits to the target.
        public var visitDistance: Double? = nil
    }

    /// The run's name: its folder's last path component.
    public let name: String
    /// The records, in time order; never empty.
    public let records: [Record]
    /// A token walk's visits of each node at the end (`nodes.csv`'s `visits` column);
    /// nil for other runs.
    public let visits: [Int]?

    init(_ metrics: MetricsLines) throws {
        var records: [Record] = []
        try metrics.forEachRecord(
            decentralized: true, malformed: { .notADecentralizedRecord(metrics: metrics.path, line: $0) }
        ) { number, fields in
            records.append(try Record(fields, metrics: metrics.path, line: number))
        }
        name = metrics.runName
        self.records = records
        visits = try Self.visits(nodes: URL(fileURLWithPath: metrics.path).deletingLastPathComponent()
            .appendingPathComponent("nodes.csv").path)
    }

    /// The `visits` column of `nodes.csv`, nil when the file or the column is absent.
    /// - Throws: `RunFolderError.notAVisitCount` naming the line of a count that is not one.
    private static func visits(nodes path: String) throws -> [Int]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false),
              let column = header.firstIndex(of: "visits") else { return nil }
        return try lines.dropFirst().enumerated().map { offset, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard column < fields.count, let count = Int(fields[column]), count >= 0 else {
                throw RunFolderError.notAVisitCount(nodes: path, line: offset + 2)
            }
            return count
        }
    }

    /// The last record.
    public var final: Record { records[records.count - 1] }

    /// The first record whose relative distance to the optimum is at most `target`; nil
    /// when none is, or when the run measures no distance.
    public func firstRecord(relativeDistanceAtMost target: Double) -> Record? {
        records.first { ($0.relativeDistanceToOptimum ?? .infinity) <= target }
    }
}

extension DecentralizedRunHistory.Record {
    /// Reads line `line` of `metrics`: `time`, `gradients` and `communications` must be
    /// numbers; a measure may be absent (nil), null (NaN) or a number.
    init(_ fields: [String: Any], metrics: String, line: Int) throws {
        guard let time = (fields["time"] as? NSNumber)?.doubleValue,
              let gradients = (fields["gradients"] as? NSNumber)?.intValue,
              let communications = (fields["communications"] as? NSNumber)?.intValue else {
            throw RunFolderError.notADecentralizedRecord(metrics: metrics, line: line)
        }
        func measure(_ key: String) throws -> Double? {
            guard let value = fields[key] else { return nil }
            if value is NSNull { return .nan }
            guard let number = value as? NSNumber else {
                throw RunFolderError.notANumber(metrics: metrics, line: line, key: key)
            }
            return number.doubleValue
        }
        self.init(time: time, gradients: gradients, communications: communications,
                  relativeDistanceToOptimum: try measure("relative_distance_to_optimum"),
                  consensusDistance: try measure("consensus_distance"),
                  testLoss: try measure("test_loss"), testAccuracy: try measure("test_accuracy"),
                  visitDistance: try measure("visit_tv_distance"))
    }
}
