import FedSimCore
import FedSimRuntime
import Foundation

/// How the benchmarks measure: `body` runs once to warm up, then `repeats`
/// times; the measured runs' values are kept. `body` gets the repetition, 0 for the
/// warm-up.
func measured(repeats: Int, _ body: (_ repetition: Int) throws -> Double) rethrows -> [Double] {
    _ = try body(0)
    return try (1...repeats).map(body)
}

/// Wall-clock seconds `body` takes.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let elapsed = try ContinuousClock().measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// "median M, min m, max x" of measurements, with `decimals` digits.
func spread(_ values: [Double], _ decimals: Int) -> String {
    "median \(format(median(values), decimals)), min \(format(values.min()!, decimals)), max \(format(values.max()!, decimals))"
}

/// The middle of `values` once sorted (the upper of the two middles for an even count).
///
/// - Precondition: `values` is not empty.
func median(_ values: [Double]) -> Double {
    values.sorted()[values.count / 2]
}

/// A benchmark that cannot measure what it should: its input is not what it expects,
/// or the path it measures gave a wrong result.
struct BenchError: FedSimError {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// What a server scenario's run costs the machine, for `fedsim bench`.
struct RunCost {
    /// Arithmetic of the local training: 6 floating-point operations per trainable
    /// parameter per sample trained (2 forward, 4 backward: the usual estimate for dense
    /// layers), over every sample of every update, as clients.csv counts them.
    var trainingFLOPs: Double
    /// Peak resident memory of the coordinator (this process, over every run so far) and
    /// of the largest worker of this run (as the workers' logs state it), in bytes.
    var coordinatorPeakBytes: Int
    var workerPeakBytes: Int
    /// What they must hold: the test set, and the most training rows one worker hosts
    /// (client c on worker c mod W), in bytes.
    var testSetBytes: Int
    var largestWorkerDataBytes: Int

    /// The cost of the run in `folder` of `scenario`, summed up by `summary`.
    init(folder: String, scenario: Scenario, summary: RunSummary) throws {
        let path = folder + "/clients.csv"
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = rows.first ?? []
        func column(_ name: String) throws -> Int {
            guard let index = header.firstIndex(of: Substring(name)) else {
                throw BenchError("\(path) has no column '\(name)' in its header")
            }
            return index
        }
        let columns = (client: try column("client_id"), samples: try column("samples"), updates: try column("updates"),
                       steps: try column("local_steps"))
        var samplesTrained = 0.0
        var workerRows = [Double](repeating: 0, count: max(summary.workers, 1))
        for (line, fields) in zip(2..., rows.dropFirst()) {
            func number(_ index: Int) throws -> Double {
                guard index < fields.count, let value = Double(fields[index]) else {
                    throw BenchError("\(path):\(line): no number in column '\(header[index])'")
                }
                return value
            }
            let (samples, updates, steps) = (try number(columns.samples), try number(columns.updates),
                                             try number(columns.steps))
            workerRows[Int(try number(columns.client)) % workerRows.count] += samples
            switch scenario.training.work {
            case let .epochs(epochs): samplesTrained += updates * samples * Double(epochs)
            case .steps: samplesTrained += steps * Double(scenario.training.batchSize)
            }
        }
        trainingFLOPs = 6 * Double(summary.parameters) * samplesTrained
        testSetBytes = summary.testBytes
        let rowBytes = summary.testRows > 0 ? Double(summary.testBytes) / Double(summary.testRows) : 0
        largestWorkerDataBytes = Int(workerRows.max()! * rowBytes)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        coordinatorPeakBytes = usage.ru_maxrss * 1024
        workerPeakBytes = PeakMemory.largestLogged(inLogsOf: folder) ?? 0
    }
}

/// The single-thread sgemm rate of this machine in GFLOP/s, the best of a few
/// 1024 x 1024 x 1024 products: the peak local training can approach on one core.
func sgemmPeakGFLOPs() throws -> Double {
    let size = 1024
    let a = Matrix(rows: size, columns: size, repeating: 0.5)
    let b = Matrix(rows: size, columns: size, repeating: 0.25)
    var c = Matrix(rows: size, columns: size)
    var best = Double.infinity
    for _ in 0..<5 {
        best = min(best, try seconds { try BLAS.gemm(a, b, into: &c) })
    }
    return 2 * Double(size * size * size) / best / 1e9
}
