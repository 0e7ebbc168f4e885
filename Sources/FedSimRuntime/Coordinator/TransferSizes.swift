import FedSimWire

/// Bytes of the encoded messages a simulated client downloads (the model) and uploads
/// (its update) per job: what the link model charges and the metrics count. Tensors
/// travel as packed float32, so both depend only on the trainable parameter count and,
/// for a model whose adapters' A factors the server re-sets (FedSVD), their count: those
/// go down with the model. Other frozen values travel once per worker, in its Assign.
struct TransferSizes: Equatable, Sendable {
    let download: Int
    let upload: Int

    init(parameterCount: Int, adapterFactorCount: Int = 0) {
        let parameters = [Float](repeating: 0, count: parameterCount)
        download = EncodedMessage(.model(ModelBroadcast(
            version: 0, parameters: parameters, adapterFactors: [Float](repeating: 0, count: adapterFactorCount))))
            .count
        upload = EncodedMessage(.update(ClientUpdate(
            clientID: 0, modelVersion: 0, jobNumber: 0, delta: parameters, sampleCount: 0, trainLoss: 0, steps: 0,
            wallComputeSeconds: 0))).count
    }
}
