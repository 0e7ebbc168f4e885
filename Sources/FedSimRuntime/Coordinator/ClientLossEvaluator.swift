import Dispatch
import FedSimAlgorithms
import FedSimCore

/// The answers clients would give when the server asks for their mean loss under the
/// global model (`ClientLosses`), computed on the coordinator's copy of their rows with
/// the model it holds, once per model version. Clients are evaluated in parallel, each on
/// one thread, so the answers do not depend on the number of threads.
final class ClientLossEvaluator: ClientLosses, @unchecked Sendable {
    private let rows: [Dataset]
    private var model: Sequential
    private var version: Int
    private var parameters: [Float]
    private var answered: (version: Int, losses: [Double])?

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
        precondition(version == self.version, "losses asked at version \(version), the model is at \(self.version)")
        if let answered, answered.version == version { return answered.losses }
        var losses = [Double](repeating: 0, count: rows.count)
        let (model, parameters, rows) = (model, parameters, rows)
        losses.withUnsafeMutableBufferPointer { losses in
            DispatchQueue.concurrentPerform(iterations: rows.count) { client in
                losses[client] = rows[client].isEmpty ? .nan
                    : model.exampleLosses(parameters: parameters, on: rows[client]).reduce(0, +) / Double(rows[client].count)
            }
        }
        answered = (version, losses)
        return losses
    }
}
