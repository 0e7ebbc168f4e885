import Foundation

/// A server run saved between two of its actions, to go on from: `checkpoint/state.json`
/// in its run folder, written whole under a temporary name and then renamed, so a
/// checkpoint on disk is always complete. It holds the run's whole state (`RunState`:
/// the schedule, the model versions running jobs need, the stages' and the privacy
/// accountant's state, the jobs and the recorder's totals) and how many bytes of
/// `metrics.jsonl` the run had written then; a resumed run cuts the file there and
/// writes the same lines again, so it ends with the metrics of an uninterrupted run.
public struct RunCheckpoint: Codable, Equatable, Sendable {
    static let folderName = "checkpoint"
    static let fileName = "state.json"

    public var state: RunState
    /// The length of `metrics.jsonl` when the checkpoint was taken.
    public var metricsBytes: Int
    /// Aggregation steps taken.
    public var steps: Int
    /// Seconds of training so far, which a resumed run's `wall_seconds` go on from.
    public var wallTrainingSeconds: Double
    /// Workers the run was waiting for.
    public var workers: Int

    /// Whether `folder` holds a checkpoint.
    public static func exists(in folder: String) -> Bool {
        FileManager.default.fileExists(atPath: url(in: folder).path)
    }

    /// The checkpoint in `folder`, or nil when it has none; throws naming the file when
    /// it cannot be read.
    public static func read(from folder: String) throws -> RunCheckpoint? {
        let file = url(in: folder)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            return try RunState.decoder.decode(RunCheckpoint.self, from: Data(contentsOf: file))
        } catch {
            throw RunFolderError.cannotResume(folder: folder, reason: "\(file.path) cannot be read: \(error)")
        }
    }

    /// Writes the checkpoint into `folder`'s `checkpoint/`, replacing the last one at once.
    func write(to folder: String) throws {
        let file = Self.url(in: folder)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try RunState.encoder.encode(self).write(to: file, options: .atomic)
        } catch {
            throw RunFolderError.cannotFinish(folder: folder, reason: "cannot write \(file.path): \(error)")
        }
    }

    private static func url(in folder: String) -> URL {
        URL(fileURLWithPath: folder).appendingPathComponent(folderName).appendingPathComponent(fileName)
    }
}

/// How often a run writes its checkpoint: every so many aggregation steps, or every so
/// many seconds of wall time. Written `10` (steps) or `30s` (seconds).
public enum CheckpointInterval: Equatable, Sendable, CustomStringConvertible {
    case steps(Int)
    case seconds(Double)

    /// `N` steps or `Ns` seconds, both positive; nil otherwise.
    public init?(_ text: String) {
        if text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds > 0, seconds.isFinite {
            self = .seconds(seconds)
        } else if let steps = Int(text), steps > 0 {
            self = .steps(steps)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .steps(steps): return "\(steps)"
        case let .seconds(seconds): return "\(seconds)s"
        }
    }

    /// Whether a checkpoint is due at step `step`, the last one having been written at
    /// step `lastStep`, `elapsed` seconds ago.
    func isDue(step: Int, lastStep: Int, elapsed: Double) -> Bool {
        switch self {
        case let .steps(every): return step - lastStep >= every
        case let .seconds(every): return elapsed >= every
        }
    }
}
