import Dispatch
import FedSimAlgorithms
import FedSimCore

/// The global model evaluated on every client's training rows, from the coordinator's
/// copy of them, once per model version: the answers clients would give when the
/// server asks for their mean loss under the global model (`ClientLosses`), and the
/// global objective's training loss and accuracy over all rows. Clients are evaluated in
/// parallel, each on one thread, and their sums combined in client order, so the answers
/// do not depend on the number of threads.
final class ClientLossEvaluator: ClientLosses, @unchecked Sendable {
    /// One client's rows under one model: the sum of their losses, the correct ones, the rows.
    private struct ClientSums {
        var lossSum: Double
        var correct: Int
        var rows: Int
    }

    private let rows: [Dataset]
    private var model: Sequential
    private var version: Int
    private var parameters: [Float]
    private var evaluated: (version: Int, sums: [ClientSums])?

    /// Evaluates `rows` (client by client) with `model`, whose trainable vector is
    /// `parameters` at model version `version`.
    init(rows: [Dataset], model: Sequential, version: Int, parameters: [Float]) {
        self.rows = rows
        self.model = model
        self.version = version
        self.parameters = parameters
    }

    /// The global model moved to `version`: trainable vector `parameters` and, when the
    /// server re-sets them, frozen adapter factors `adapterFactors` (empty otherwise).
    func advance(to version: Int, parameters: [Float], adapterFactors: [Float]) throws {
        if !adapterFactors.isEmpty { try model.setAdapterFactors(adapterFactors) }
        self.version = version
        self.parameters = parameters
    }

    func losses(atVersion version: Int) -> [Double] {
        sums(atVersion: version).map { $0.rows > 0 ? $0.lossSum / Double($0.rows) : .nan }
    }

    /// The current model's mean loss and accuracy over every client's training rows
    /// (each row counting once, so clients weigh by their row counts).
    func globalTraining() -> Evaluation {
        let sums = sums(atVersion: version)
        let rows = sums.reduce(0) { $0 + $1.rows }
        guard rows > 0 else { return Evaluation(meanLoss: 0, accuracy: 0, count: 0) }
        var lossSum = 0.0
        for client in sums { lossSum += client.lossSum }
        return Evaluation(meanLoss: lossSum / Double(rows),
                          accuracy: Double(sums.reduce(0) { $0 + $1.correct }) / Double(rows), count: rows)
    }

    private func sums(atVersion version: Int) -> [ClientSums] {
        precondition(version == self.version, "asked at version \(version), the model is at \(self.version)")
        if let evaluated, evaluated.version == version { return evaluated.sums }
        var sums = [ClientSums](repeating: ClientSums(lossSum: 0, correct: 0, rows: 0), count: rows.count)
        let (model, parameters, rows) = (model, parameters, rows)
        sums.withUnsafeMutableBufferPointer { sums in
            DispatchQueue.concurrentPerform(iterations: rows.count) { client in
                let (lossSum, correct) = model.evaluationSums(parameters: parameters, on: rows[client])
                sums[client] = ClientSums(lossSum: lossSum, correct: correct, rows: rows[client].count)
            }
        }
        evaluated = (version, sums)
        return sums
    }
}
