import Foundation

/// What a run folder's `metrics.jsonl` holds, read back as the history of its kind of
/// run: a server run's aggregation steps or a decentralized run's evaluation intervals.
/// `fedsim report` reads folders through this, so that it can tell the kinds apart
/// before it compares runs.
public enum RunFolderHistory: Sendable {
    case server(RunHistory)
    case decentralized(DecentralizedRunHistory)

    /// Reads `folder/metrics.jsonl`, whose first record says the kind: a decentralized
    /// run's records count edge exchanges (`communications`), a server run's never do.
    /// Throws naming the file and line of a record that is malformed or of the other kind.
    public init(folder: String) throws {
        let metrics = try MetricsLines(folder: folder)
        self = metrics.holdsDecentralizedRun
            ? .decentralized(try DecentralizedRunHistory(metrics))
            : .server(try RunHistory(metrics))
    }

    /// The run's name: its folder's last path component.
    public var name: String {
        switch self {
        case let .server(history): return history.name
        case let .decentralized(history): return history.name
        }
    }

    /// The test loss of the last evaluation (a decentralized run's average model's); nil
    /// when the run records none.
    public var finalTestLoss: Double? {
        switch self {
        case let .server(history): return history.final.testLoss
        case let .decentralized(history): return history.final.testLoss
        }
    }

    /// Whether the run diverged: a server run by `RunHistory.diverged`, a decentralized
    /// one when its last test loss is missing or not finite.
    public var diverged: Bool {
        switch self {
        case let .server(history): return history.diverged
        case let .decentralized(history): return !(history.final.testLoss?.isFinite ?? false)
        }
    }

    /// The test accuracy of the last evaluation; nil when the run records none (least squares).
    public var finalTestAccuracy: Double? {
        switch self {
        case let .server(history): return history.final.testAccuracy
        case let .decentralized(history): return history.final.testAccuracy
        }
    }

    /// The virtual time of the first evaluation whose test loss is at most `loss`; nil if none.
    public func firstTime(testLossAtMost loss: Double) -> Double? {
        switch self {
        case let .server(history): return history.firstTime(testLossAtMost: loss)
        case let .decentralized(history): return history.records.first { ($0.testLoss ?? .nan) <= loss }?.time
        }
    }
}

/// A run folder's `metrics.jsonl` split into numbered lines, before any record is read:
/// what the server and the decentralized histories read alike.
struct MetricsLines {
    /// The file, as error messages name it.
    let path: String
    /// The run's name: its folder's last path component, marked when the run did not
    /// complete: "(interrupted)", "(failed)", or "(unfinished)" without a summary (still
    /// running, or killed).
    let runName: String
    /// The non-empty lines, each with its number from 1.
    let lines: [(number: Int, text: Substring)]

    init(folder: String) throws {
        path = URL(fileURLWithPath: folder).appendingPathComponent("metrics.jsonl").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw RunFolderError.notARunFolder(metrics: path, folder: folder)
        }
        let name = URL(fileURLWithPath: folder).lastPathComponent
        switch RunFolder.status(in: folder) {
        case .completed: runName = name
        case let status?: runName = "\(name) (\(status.rawValue))"
        case nil: runName = "\(name) (unfinished)"
        }
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { !$0.element.isEmpty }
            .map { (number: $0.offset + 1, text: $0.element) }
    }

    /// Whether the first record is a decentralized run's (an empty file is taken for a
    /// server run's, whose reader says it has no evaluation).
    var holdsDecentralizedRun: Bool {
        lines.first.flatMap { Self.record($0.text) }.map(Self.isDecentralized) ?? false
    }

    /// Calls `body` with each line's number and record, in order. Throws `malformed(line)`
    /// for a line that is not a JSON object and `mixedKinds` for a record of the kind
    /// `decentralized` does not say, so the first bad line is the one named.
    func forEachRecord(
        decentralized: Bool, malformed: (Int) -> RunFolderError, _ body: (Int, [String: Any]) throws -> Void
    ) throws {
        for (number, text) in lines {
            guard let record = Self.record(text) else { throw malformed(number) }
            guard Self.isDecentralized(record) == decentralized else {
                throw RunFolderError.mixedKinds(metrics: path, line: number, decentralized: !decentralized)
            }
            try body(number, record)
        }
    }

    private static func record(_ text: Substring) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    private static func isDecentralized(_ record: [String: Any]) -> Bool {
        record["communications"] != nil
    }
}
