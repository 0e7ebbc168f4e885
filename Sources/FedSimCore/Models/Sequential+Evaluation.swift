import Dispatch
import Foundation

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
    /// whatever the dataset's size: O(chunk * sum of widths) floats per thread. From 8
    /// chunks on, they are spread over the machine's cores; each row's loss is kept and
    /// the losses are summed in row order, so the result does not depend on the number of
    /// threads.
    public func evaluate(parameters: [Float], on data: Dataset) -> Evaluation {
        let chunks = (data.count + Self.evaluationChunkSize - 1) / Self.evaluationChunkSize
        // A small test set is not worth waking other threads for.
        return evaluate(parameters: parameters, on: data,
                        threads: chunks < 8 ? 1 : ProcessInfo.processInfo.activeProcessorCount)
    }

    /// `evaluate(parameters:on:)` on `threads` threads (at most one per chunk).
    func evaluate(parameters: [Float], on data: Dataset, threads: Int) -> Evaluation {
        guard !data.isEmpty else {
            checkShapes(parameters: parameters, data: data)
            return Evaluation(meanLoss: 0, accuracy: 0, count: 0)
        }
        let (losses, hits) = rowResults(parameters: parameters, on: data, threads: threads)
        var totalLoss = 0.0
        for loss in losses { totalLoss += loss }
        let correct = hits.reduce(0) { $0 + ($1 ? 1 : 0) }
        return Evaluation(meanLoss: totalLoss / Double(data.count),
                          accuracy: Double(correct) / Double(data.count), count: data.count)
    }

    /// Every row's cross-entropy under the trainable vector `parameters`, on this thread,
    /// in the chunks `evaluate` uses: O(rows) forward passes.
    public func exampleLosses(parameters: [Float], on data: Dataset) -> [Double] {
        rowResults(parameters: parameters, on: data, threads: 1).losses
    }

    /// `evaluate(parameters:on:)` on this thread, with the sum of the rows' losses (in row
    /// order) and the count of correct rows, so that evaluations of several datasets
    /// combine exactly.
    public func evaluationSums(parameters: [Float], on data: Dataset) -> (lossSum: Double, correct: Int) {
        let (losses, hits) = rowResults(parameters: parameters, on: data, threads: 1)
        var lossSum = 0.0
        for loss in losses { lossSum += loss }
        return (lossSum, hits.reduce(0) { $0 + ($1 ? 1 : 0) })
    }

    /// Each row's loss and whether its first highest logit is its label.
    private func rowResults(parameters: [Float], on data: Dataset, threads: Int) -> (losses: [Double], hits: [Bool]) {
        checkShapes(parameters: parameters, data: data)
        guard !data.isEmpty else { return ([], []) }
        let chunkSize = min(Self.evaluationChunkSize, data.count)
        let chunkCount = (data.count + chunkSize - 1) / chunkSize
        let threads = max(1, min(threads, chunkCount))
        var losses = [Double](repeating: 0, count: data.count)
        var hits = [Bool](repeating: false, count: data.count)
        losses.withUnsafeMutableBufferPointer { losses in
            hits.withUnsafeMutableBufferPointer { hits in
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    var workspace = ModelWorkspace()
                    workspace.reserve(activationCount: chunkSize * activationWidth, errorCount: 0)
                    for chunk in stride(from: thread, to: chunkCount, by: threads) {
                        let rows = (chunk * chunkSize)..<min((chunk + 1) * chunkSize, data.count)
                        withPass(parameters: parameters, workspace: &workspace, batch: rows.count) { pass in
                            pass.gather(rows, of: data)
                            pass.forward()
                            let logits = pass.logits
                            for (position, row) in rows.enumerated() {
                                let rowLogits = UnsafeBufferPointer(
                                    rebasing: logits[(position * classes)..<((position + 1) * classes)])
                                let label = Int(data.labels[row])
                                losses[row] = Self.logSumExp(rowLogits) - Double(rowLogits[label])
                                hits[row] = Self.firstMaximum(rowLogits) == label
                            }
                        }
                    }
                }
            }
        }
        return (losses, hits)
    }
}
