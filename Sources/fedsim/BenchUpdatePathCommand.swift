import ArgumentParser
import Foundation

/// `fedsim bench update-path`: the coordinator's update path alone, in GB/s of encoded
/// updates, beside each of its stages timed alone.
struct BenchUpdatePathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-path",
        abstract: "Measure the update path alone (encode, send, receive, decode, check, accumulate) over ipc on this host.",
        discussion: """
            A sender thread encodes Update messages as a worker does and sends them from a DEALER socket \
            over ipc; the receiver, a ROUTER like the coordinator's, decodes each with the coordinator's \
            decoder, checks that its values are finite and adds it, weighted by its sample count, to a \
            running sum in Double. The path is reported in GB/s of encoded updates, and so is each stage \
            timed alone on one update: encoding, sending and receiving (the same envelope, encoded once), \
            decoding, the finiteness check and the addition. The default update is the 4.5 MB of \
            scenarios/bench/mlp-1m.yaml's MLP.
            """)

    /// What the update path should carry: 1 GB/s of 4.5 MB updates over ipc on one host.
    static let targetGigabytesPerSecond = 1.0

    @Option(help: "Floats in each update.")
    var parameters = 1_126_410

    @Option(help: "Updates sent in each repetition.")
    var messages = 300

    @Option(help: "Measured repetitions (after one warm-up).")
    var repeats = 5

    func run() throws {
        try reportingErrors {
            guard (1...(1 << 28)).contains(parameters), (1...1_000_000).contains(messages), repeats >= 1 else {
                throw UsageError("--parameters must be 1 to 2^28 (a 1 GiB update), --messages 1 to 1,000,000, "
                                 + "--repeats at least 1")
            }
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("fedsim-update-path-\(ProcessInfo.processInfo.processIdentifier)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let bench = try UpdatePathBench(endpoint: "ipc://" + folder.appendingPathComponent("updates.ipc").path,
                                            parameters: parameters, messages: messages)
            print("bench update-path: \(messages) updates of \(parameters) floats (\(byteSize(bench.updateBytes)) encoded) "
                  + "a repetition, DEALER to ROUTER over ipc")

            var stageRates: [UpdatePathBench.Stage: [Double]] = [:]
            let rates = try measured(repeats: repeats) { repetition in
                let path = try bench.throughputOfPath()
                let stages = try UpdatePathBench.Stage.allCases.map { stage in
                    (stage, try bench.throughput(of: stage).gigabytesPerSecond)
                }
                let label = repetition == 0 ? "warm-up" : "run \(repetition)"
                print("  \(label): \(byteSize(path.bytes)) in \(format(path.seconds, 3)) s = "
                      + "\(format(path.gigabytesPerSecond, 2)) GB/s; alone: "
                      + stages.map { "\($0.0.label) \(format($0.1, 2))" }.joined(separator: ", ") + " GB/s")
                if repetition > 0 {
                    for (stage, rate) in stages { stageRates[stage, default: []].append(rate) }
                }
                return path.gigabytesPerSecond
            }
            print("  update path GB/s: \(spread(rates, 2))")
            for stage in UpdatePathBench.Stage.allCases {
                print("  \(stage.label) alone GB/s: \(spread(stageRates[stage]!, 2))")
            }
            let target = Self.targetGigabytesPerSecond
            print("  target \(format(target, 0)) GB/s: \(median(rates) >= target ? "met" : "not met") "
                  + "(median \(format(median(rates), 2)) GB/s)")
        }
    }

    /// `bytes` in MB, kB or bytes, whichever reads best.
    private func byteSize(_ bytes: Int) -> String {
        switch bytes {
        case 1_000_000...: return "\(format(Double(bytes) / 1e6, bytes < 100_000_000 ? 2 : 0)) MB"
        case 1000...: return "\(format(Double(bytes) / 1e3, 1)) kB"
        default: return "\(bytes) bytes"
        }
    }
}
