import FedSimAlgorithms
import FedSimRuntime
import Foundation

/// A one-line live view of a run on a terminal: step, virtual time, accuracy, updates
/// per second. Prints nothing when standard error is not a terminal.
final class ProgressLine {
    private let stop: StopCondition
    private let enabled = isatty(STDERR_FILENO) != 0
    private var updates = 0
    private var lastAccuracy: Double?
    private var lastDraw = Date.distantPast

    init(_ stop: StopCondition) {
        self.stop = stop
    }

    func update(_ record: StepRecord) {
        updates += record.clients.count
        if let accuracy = record.testAccuracy { lastAccuracy = accuracy }
        guard enabled, record.step == stop.aggregations || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        let rate = record.wallSeconds > 0 ? Double(updates) / record.wallSeconds : 0
        let accuracy = lastAccuracy.map { format($0, 4) } ?? "-"
        let line = "step \(record.step)\(stop.aggregations.map { "/\($0)" } ?? "")  "
            + "time \(format(record.time, 2))\(stop.timeBudget.map { "/\(format($0, 2))" } ?? "")  "
            + "train loss \(format(record.trainLoss, 4))  "
            + "test accuracy \(accuracy)  \(format(rate, 0)) updates/s"
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The live line of a decentralized run: virtual time, communications and how close
/// the nodes are to the optimum (or the average model's accuracy).
final class GossipProgressLine {
    private let timeBudget: Double
    private let enabled = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    init(timeBudget: Double) {
        self.timeBudget = timeBudget
    }

    func update(_ record: GossipRecord) {
        guard enabled, record.time == timeBudget || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        let closeness = record.relativeDistanceToOptimum.map { "relative distance to x* \(String(format: "%.3g", $0))" }
            ?? "test accuracy \(record.testAccuracy.map { format($0, 4) } ?? "-")"
        let line = "time \(format(record.time, 2))/\(format(timeBudget, 2))  communications \(record.communications)  "
            + closeness
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The table printed at the end of a run.
enum SummaryTable {
    static func render(_ summary: GossipSummary, folder: String) -> String {
        let final = summary.final
        var rows: [(String, String)] = [
            ("scenario", summary.scenario),
            ("algorithm", summary.algorithm),
            ("nodes / edges", "\(summary.nodes) / \(summary.edges)"),
            ("virtual time", format(summary.virtualTime, 2)),
            ("events", "\(summary.events)"),
            ("gradients", "\(final.gradients)"),
            ("communications", "\(final.communications)"),
            ("model parameters", "\(summary.parameters)"),
        ]
        if let distance = final.relativeDistanceToOptimum {
            rows.append(("relative distance to x*", String(format: "%.4g", distance)))
        }
        rows.append(("consensus distance", String(format: "%.4g", final.consensusDistance)))
        if let accuracy = final.testAccuracy {
            rows.append(("test accuracy (average model)", format(accuracy, 4)))
            rows.append(("worst node test accuracy", final.worstNodeTestAccuracy.map { format($0, 4) } ?? "-"))
        }
        rows += [
            ("test loss (average model)", format(final.testLoss, 4)),
            ("workers", "\(summary.workers)"),
            ("wall seconds", format(summary.wallSeconds, 2)),
            ("events / s", format(summary.eventsPerSecond, 0)),
            ("wire bytes sent / received", "\(summary.wireBytesSent) / \(summary.wireBytesReceived)"),
            ("run folder", folder),
        ]
        return alignedRows(rows).joined(separator: "\n")
    }

    static func render(_ summary: RunSummary, folder: String) -> String {
        let rows: [(String, String)] = [
            ("scenario", summary.scenario),
            ("aggregation steps", "\(summary.steps)"),
            ("virtual seconds", format(summary.virtualSeconds, 2)),
            ("client updates", "\(summary.clientUpdates)"),
            ("model parameters", "\(summary.parameters)"),
            ("final test accuracy", format(summary.finalTestAccuracy, 4)),
            ("final test loss", format(summary.finalTestLoss, 4)),
            ("best test accuracy", format(summary.bestTestAccuracy, 4)),
            ("workers", "\(summary.workers)"),
            ("wall seconds", format(summary.wallSeconds, 2)),
            ("client updates / s", format(summary.clientUpdatesPerSecond, 0)),
            ("wire bytes sent / received", "\(summary.wireBytesSent) / \(summary.wireBytesReceived)"),
        ] + privacyRows(summary.privacy) + [("run folder", folder)]
        return alignedRows(rows).joined(separator: "\n")
    }

    /// The noise and the worst client's (epsilon, delta) of a private run.
    private static func privacyRows(_ privacy: PrivacyOutcome?) -> [(String, String)] {
        guard let privacy else { return [] }
        let who = privacy.worstClient.map { " (client \($0))" } ?? " (every client)"
        return [("noise multiplier", "\(privacy.noiseMultiplier) (\(privacy.mode.rawValue)-level)"),
                ("worst client epsilon", format(privacy.worstClientEpsilon, 4) + who + " at delta \(privacy.delta)")]
    }
}
