/// How well a model does on a dataset.
public struct Evaluation: Equatable, Sendable {
    /// Mean softmax cross-entropy (natural log) over the rows; 0 for an empty dataset.
    public var meanLoss: Double
    /// Fraction of rows whose highest logit (first one on ties) is the label; 0 when empty.
    public var accuracy: Double
    /// Number of rows evaluated.
    public var count: Int

    public init(meanLoss: Double, accuracy: Double, count: Int) {
        self.meanLoss = meanLoss
        self.accuracy = accuracy
        self.count = count
    }
}

extension Sequential {
    /// Mean loss and accuracy of the trainable vector `parameters` on all of `data`,
    /// pushed forward in chunks of `evaluationChunkSize` rows so memory stays bounded
    /// whatever the dataset's size: O(chunk * sum of widths) floats, allocated once per call.
    public func evaluate(parameters: [Float], on data: Dataset) -> Evaluation {
        checkShapes(parameters: parameters, data: data)
        guard !data.isEmpty else { return Evaluation(meanLoss: 0, accuracy: 0, count: 0) }
        let chunkSize = min(Self.evaluationChunkSize, data.count)
        var workspace = ModelWorkspace()
        workspace.reserve(activationCount: chunkSize * activationWidth, errorCount: 0)
        var totalLoss = 0.0
        var correct = 0
        for chunkStart in stride(from: 0, to: data.count, by: chunkSize) {
            let rows = chunkStart..<min(chunkStart + chunkSize, data.count)
            withPass(parameters: parameters, workspace: &workspace, batch: rows.count) { pass in
                pass.gather(rows, of: data)
                pass.forward()
                let logits = pass.logits
                for (position, row) in rows.enumerated() {
                    let rowLogits = UnsafeBufferPointer(rebasing: logits[(position * classes)..<((position + 1) * classes)])
                    let label = Int(data.labels[row])
                    totalLoss += Self.logSumExp(rowLogits) - Double(rowLogits[label])
                    if Self.firstMaximum(rowLogits) == label { correct += 1 }
                }
            }
        }
        return Evaluation(meanLoss: totalLoss / Double(data.count),
                          accuracy: Double(correct) / Double(data.count), count: data.count)
    }
}
