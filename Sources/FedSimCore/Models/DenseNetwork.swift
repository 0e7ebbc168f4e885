import Foundation

/// The engine shared by `SoftmaxRegression` (no hidden layer) and `MLP`: fully
/// connected layers over one flat parameter vector, ReLU between layers, softmax
/// cross-entropy on the last layer's logits. Every product goes through `BLAS.gemm` on
/// the whole batch.
///
/// Parameter layout: for each layer l (fanIn = widths[l], fanOut = widths[l + 1]),
/// `W_l` (fanIn x fanOut, row-major) then `b_l` (fanOut).
///
/// Workspace layout for a batch of B rows: `activations` holds the gathered inputs
/// (B x widths[0]) followed by each layer's output (B x widths[l + 1]); `errors` holds,
/// for each layer, dLoss/d(pre-activation) (B x widths[l + 1]); `exampleGradientNorms`
/// holds B per-example gradient norms on the DP-SGD path (`clippedGradientSum`).
struct DenseNetwork: Sendable {
    /// Input width, hidden widths, class count.
    let widths: [Int]
    /// `widthPrefix[l]` is `widths[0] + ... + widths[l - 1]`.
    private let widthPrefix: [Int]
    /// Start of `W_l` in the flat parameter vector.
    private let weightOffsets: [Int]
    let parameterCount: Int

    /// Rows `evaluate` pushes through the network at a time.
    static let evaluationChunkSize = 256

    init(inputDim: Int, hidden: [Int], classes: Int) throws {
        guard inputDim >= 1 else {
            throw ModelError.invalidSpec("inputDim must be at least 1, got \(inputDim)")
        }
        guard classes >= 1 else {
            throw ModelError.invalidSpec("classes must be at least 1, got \(classes)")
        }
        if let zeroWidth = hidden.firstIndex(where: { $0 < 1 }) {
            throw ModelError.invalidSpec(
                "hidden layer \(zeroWidth) has width \(hidden[zeroWidth]); widths must be at least 1")
        }
        widths = [inputDim] + hidden + [classes]
        var prefix = [0]
        for width in widths { prefix.append(prefix[prefix.count - 1] + width) }
        widthPrefix = prefix
        var offsets = [Int]()
        var total = 0
        for layer in 0..<(widths.count - 1) {
            offsets.append(total)
            total += (widths[layer] + 1) * widths[layer + 1]
        }
        weightOffsets = offsets
        parameterCount = total
    }

    var layerCount: Int { widths.count - 1 }
    var inputDim: Int { widths[0] }
    var classes: Int { widths[widths.count - 1] }

    /// Where `W_layer` sits in the flat parameter vector.
    func weightRange(_ layer: Int) -> Range<Int> {
        weightOffsets[layer]..<(weightOffsets[layer] + widths[layer] * widths[layer + 1])
    }

    /// Where `b_layer` sits in the flat parameter vector.
    func biasRange(_ layer: Int) -> Range<Int> {
        let start = weightRange(layer).upperBound
        return start..<(start + widths[layer + 1])
    }

    /// Activations of level `level` (0 = input, l + 1 = output of layer l) for `batch` rows.
    private func activationRange(_ level: Int, batch: Int) -> Range<Int> {
        (batch * widthPrefix[level])..<(batch * widthPrefix[level + 1])
    }

    /// dLoss/d(pre-activation) of layer `layer` for `batch` rows.
    private func errorRange(_ layer: Int, batch: Int) -> Range<Int> {
        (batch * (widthPrefix[layer + 1] - inputDim))..<(batch * (widthPrefix[layer + 2] - inputDim))
    }

    private func checkShapes(parameters: [Float], data: Dataset) {
        precondition(parameters.count == parameterCount,
                     "the model has \(parameterCount) parameters, got a vector of \(parameters.count)")
        precondition(data.featureCount == inputDim,
                     "the model takes \(inputDim) features, the dataset has \(data.featureCount)")
    }

    // MARK: Training

    func lossAndGradient(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double {
        checkShapes(parameters: parameters, data: data)
        precondition(gradient.count == parameterCount,
                     "the gradient buffer holds \(gradient.count) values, the model has \(parameterCount)")
        let batch = rows.count
        guard batch > 0 else {
            for index in gradient.indices { gradient[index] = 0 }
            return 0
        }
        workspace.reserve(activationCount: batch * widthPrefix[widths.count],
                          errorCount: batch * (widthPrefix[widths.count] - inputDim))
        var totalLoss = 0.0
        parameters.withUnsafeBufferPointer { parameters in
            gradient.withUnsafeMutableBufferPointer { gradient in
                workspace.activations.withUnsafeMutableBufferPointer { activations in
                    workspace.errors.withUnsafeMutableBufferPointer { errors in
                        gather(rows, of: data, into: activations)
                        forward(parameters: parameters, activations: activations, batch: batch)
                        totalLoss = outputErrors(rows: rows, labels: data.labels, scale: 1 / Double(batch),
                                                 activations: activations, errors: errors)
                        backward(parameters: parameters, activations: activations, errors: errors,
                                 gradient: gradient, batch: batch)
                    }
                }
            }
        }
        return totalLoss / Double(batch)
    }

    /// Copies the feature rows `rows` into the input block of `activations`, checking
    /// every row index and label.
    private func gather<Rows: Collection>(
        _ rows: Rows, of data: Dataset, into activations: UnsafeMutableBufferPointer<Float>
    ) where Rows.Element == Int {
        let width = inputDim
        data.features.withUnsafeBufferPointer { features in
            for (position, row) in rows.enumerated() {
                precondition(row >= 0 && row < data.count, "row \(row) is outside the dataset's 0..<\(data.count)")
                let label = data.labels[row]
                precondition(label >= 0 && Int(label) < classes,
                             "label \(label) of row \(row) is outside the model's classes 0..<\(classes)")
                let target = UnsafeMutableBufferPointer(
                    rebasing: activations[(position * width)..<((position + 1) * width)])
                _ = target.update(fromContentsOf: features[(row * width)..<((row + 1) * width)])
            }
        }
    }

    /// Runs the batch through every layer: `a_{l+1} = relu(a_l W_l + b_l)`, without the
    /// ReLU on the last layer, whose output is the logits.
    private func forward(
        parameters: UnsafeBufferPointer<Float>, activations: UnsafeMutableBufferPointer<Float>, batch: Int
    ) {
        for layer in 0..<layerCount {
            let fanIn = widths[layer]
            let fanOut = widths[layer + 1]
            let output = UnsafeMutableBufferPointer(rebasing: activations[activationRange(layer + 1, batch: batch)])
            let bias = UnsafeBufferPointer(rebasing: parameters[biasRange(layer)])
            for row in 0..<batch {
                _ = UnsafeMutableBufferPointer(rebasing: output[(row * fanOut)..<((row + 1) * fanOut)])
                    .update(fromContentsOf: bias)
            }
            BLAS.gemm(transposeA: false, transposeB: false, m: batch, n: fanOut, k: fanIn, alpha: 1,
                      a: UnsafeBufferPointer(rebasing: activations[activationRange(layer, batch: batch)]),
                      b: UnsafeBufferPointer(rebasing: parameters[weightRange(layer)]),
                      beta: 1, c: output)
            if layer < layerCount - 1 {
                for index in output.indices where output[index] < 0 { output[index] = 0 }
            }
        }
    }

    /// Writes `scale * (softmax(z) - onehot(y))` into the last layer's errors (dL/dlogits of
    /// the batch mean for `scale` = 1 / B, of each example's own loss for 1) and returns
    /// the summed cross-entropy of the batch.
    private func outputErrors(
        rows: ArraySlice<Int>, labels: [Int32], scale: Double,
        activations: UnsafeMutableBufferPointer<Float>, errors: UnsafeMutableBufferPointer<Float>
    ) -> Double {
        let batch = rows.count
        let logits = UnsafeBufferPointer(rebasing: activations[activationRange(layerCount, batch: batch)])
        let outputErrors = UnsafeMutableBufferPointer(rebasing: errors[errorRange(layerCount - 1, batch: batch)])
        var totalLoss = 0.0
        for (position, row) in rows.enumerated() {
            let label = Int(labels[row])
            let rowStart = position * classes
            let rowLogits = UnsafeBufferPointer(rebasing: logits[rowStart..<(rowStart + classes)])
            let logNormalizer = Self.logSumExp(rowLogits)
            totalLoss += logNormalizer - Double(rowLogits[label])
            for column in 0..<classes {
                let probability = exp(Double(rowLogits[column]) - logNormalizer)
                let target = column == label ? 1.0 : 0.0
                outputErrors[rowStart + column] = Float((probability - target) * scale)
            }
        }
        return totalLoss
    }

    /// Back-propagates the errors: `dW_l = a_l^T E_l`, `db_l = column sums of E_l`,
    /// `E_{l-1} = (E_l W_l^T) * [a_l > 0]`.
    private func backward(
        parameters: UnsafeBufferPointer<Float>, activations: UnsafeMutableBufferPointer<Float>,
        errors: UnsafeMutableBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>, batch: Int
    ) {
        for layer in stride(from: layerCount - 1, through: 0, by: -1) {
            accumulateGradient(layer, activations: activations, errors: errors, gradient: gradient, batch: batch)
            if layer > 0 {
                propagateErrors(from: layer, parameters: parameters, activations: activations, errors: errors,
                                batch: batch)
            }
        }
    }

    /// Writes layer `layer`'s gradient from its inputs and errors: `dW_l = a_l^T E_l` (one
    /// gemm) and `db_l = column sums of E_l`.
    private func accumulateGradient(
        _ layer: Int, activations: UnsafeMutableBufferPointer<Float>, errors: UnsafeMutableBufferPointer<Float>,
        gradient: UnsafeMutableBufferPointer<Float>, batch: Int
    ) {
        let fanIn = widths[layer]
        let fanOut = widths[layer + 1]
        let layerErrors = UnsafeBufferPointer(rebasing: errors[errorRange(layer, batch: batch)])
        let input = UnsafeBufferPointer(rebasing: activations[activationRange(layer, batch: batch)])
        BLAS.gemm(transposeA: true, transposeB: false, m: fanIn, n: fanOut, k: batch, alpha: 1,
                  a: input, b: layerErrors, beta: 0,
                  c: UnsafeMutableBufferPointer(rebasing: gradient[weightRange(layer)]))
        let biasGradient = UnsafeMutableBufferPointer(rebasing: gradient[biasRange(layer)])
        biasGradient.update(repeating: 0)
        for row in 0..<batch {
            for column in 0..<fanOut {
                biasGradient[column] += layerErrors[row * fanOut + column]
            }
        }
    }

    /// Carries the errors of layer `layer` (>= 1) down to layer `layer - 1`:
    /// `E_{l-1} = (E_l W_l^T) * [a_l > 0]`.
    private func propagateErrors(
        from layer: Int, parameters: UnsafeBufferPointer<Float>, activations: UnsafeMutableBufferPointer<Float>,
        errors: UnsafeMutableBufferPointer<Float>, batch: Int
    ) {
        let fanIn = widths[layer]
        let fanOut = widths[layer + 1]
        let layerErrors = UnsafeBufferPointer(rebasing: errors[errorRange(layer, batch: batch)])
        let input = UnsafeBufferPointer(rebasing: activations[activationRange(layer, batch: batch)])
        let inputErrors = UnsafeMutableBufferPointer(rebasing: errors[errorRange(layer - 1, batch: batch)])
        BLAS.gemm(transposeA: false, transposeB: true, m: batch, n: fanIn, k: fanOut, alpha: 1,
                  a: layerErrors, b: UnsafeBufferPointer(rebasing: parameters[weightRange(layer)]),
                  beta: 0, c: inputErrors)
        for index in inputErrors.indices where input[index] <= 0 { inputErrors[index] = 0 }
    }

    // MARK: Per-example clipping (DP-SGD)

    /// The sum over `rows` of each example's loss gradient clipped to L2 norm `clipNorm`,
    /// `sum_r g_r * min(1, C / ||g_r||)`, written over `gradient`; returns the summed
    /// (not averaged) cross-entropy of the rows.
    ///
    /// Per-example norms come without materializing any per-example gradient. Example r's
    /// gradient for layer l is the outer product `a_r delta_r^T` for `W_l` and `delta_r`
    /// for `b_l` (a_r the layer's input row, delta_r its error row), so
    /// `||dW||_F^2 + ||db||^2 = (||a_r||^2 + 1) * ||delta_r||^2` (the bias is a weight on
    /// an input fixed at 1), and `||g_r||^2` sums that over the layers. The errors of
    /// every layer are propagated first (they do not depend on the gradient), each error
    /// row is scaled by its example's factor `min(1, C / ||g_r||)`, and one gemm per layer
    /// then forms the clipped sum `a_l^T E_l'` exactly as the batch gradient does.
    ///
    /// The unclipped norms are left in `workspace.exampleGradientNorms[0..<rows.count]`.
    /// Complexity: the cost of `lossAndGradient` plus O(B * sum of widths).
    func clippedGradientSum(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>, clipNorm: Float,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double {
        checkShapes(parameters: parameters, data: data)
        precondition(gradient.count == parameterCount,
                     "the gradient buffer holds \(gradient.count) values, the model has \(parameterCount)")
        precondition(clipNorm.isFinite && clipNorm > 0, "the clip norm must be finite and > 0, got \(clipNorm)")
        let batch = rows.count
        guard batch > 0 else {
            for index in gradient.indices { gradient[index] = 0 }
            return 0
        }
        workspace.reserve(activationCount: batch * widthPrefix[widths.count],
                          errorCount: batch * (widthPrefix[widths.count] - inputDim), exampleCount: batch)
        var totalLoss = 0.0
        parameters.withUnsafeBufferPointer { parameters in
            gradient.withUnsafeMutableBufferPointer { gradient in
                workspace.activations.withUnsafeMutableBufferPointer { activations in
                    workspace.errors.withUnsafeMutableBufferPointer { errors in
                        workspace.exampleGradientNorms.withUnsafeMutableBufferPointer { norms in
                            gather(rows, of: data, into: activations)
                            forward(parameters: parameters, activations: activations, batch: batch)
                            totalLoss = outputErrors(rows: rows, labels: data.labels, scale: 1,
                                                     activations: activations, errors: errors)
                            for layer in stride(from: layerCount - 1, to: 0, by: -1) {
                                propagateErrors(from: layer, parameters: parameters, activations: activations,
                                                errors: errors, batch: batch)
                            }
                            clipExampleErrors(clipNorm: clipNorm, activations: activations, errors: errors,
                                              norms: norms, batch: batch)
                            for layer in 0..<layerCount {
                                accumulateGradient(layer, activations: activations, errors: errors,
                                                   gradient: gradient, batch: batch)
                            }
                        }
                    }
                }
            }
        }
        return totalLoss
    }

    /// Writes each example's gradient norm `sqrt(sum_l (||a_l,r||^2 + 1) ||E_l,r||^2)`
    /// (accumulated in Double) into `norms` and scales its error rows in every layer by
    /// `min(1, C / norm)`.
    private func clipExampleErrors(
        clipNorm: Float, activations: UnsafeMutableBufferPointer<Float>, errors: UnsafeMutableBufferPointer<Float>,
        norms: UnsafeMutableBufferPointer<Float>, batch: Int
    ) {
        for row in 0..<batch {
            var squaredNorm = 0.0
            for layer in 0..<layerCount {
                let inputStart = activationRange(layer, batch: batch).lowerBound + row * widths[layer]
                let errorStart = errorRange(layer, batch: batch).lowerBound + row * widths[layer + 1]
                var inputSquares = 1.0
                for index in inputStart..<(inputStart + widths[layer]) {
                    inputSquares += Double(activations[index]) * Double(activations[index])
                }
                var errorSquares = 0.0
                for index in errorStart..<(errorStart + widths[layer + 1]) {
                    errorSquares += Double(errors[index]) * Double(errors[index])
                }
                squaredNorm += inputSquares * errorSquares
            }
            let norm = Float(squaredNorm.squareRoot())
            norms[row] = norm
            guard norm > clipNorm else { continue }
            let factor = clipNorm / norm
            for layer in 0..<layerCount {
                let errorStart = errorRange(layer, batch: batch).lowerBound + row * widths[layer + 1]
                for index in errorStart..<(errorStart + widths[layer + 1]) { errors[index] *= factor }
            }
        }
    }

    // MARK: Evaluation

    func evaluate(parameters: [Float], on data: Dataset) -> Evaluation {
        checkShapes(parameters: parameters, data: data)
        guard !data.isEmpty else { return Evaluation(meanLoss: 0, accuracy: 0, count: 0) }
        let chunkSize = min(Self.evaluationChunkSize, data.count)
        var activations = [Float](repeating: 0, count: chunkSize * widthPrefix[widths.count])
        var totalLoss = 0.0
        var correct = 0
        parameters.withUnsafeBufferPointer { parameters in
            activations.withUnsafeMutableBufferPointer { activations in
                for chunkStart in stride(from: 0, to: data.count, by: chunkSize) {
                    let rows = chunkStart..<min(chunkStart + chunkSize, data.count)
                    gather(rows, of: data, into: activations)
                    forward(parameters: parameters, activations: activations, batch: rows.count)
                    let logits = activations[activationRange(layerCount, batch: rows.count)]
                    for (position, row) in rows.enumerated() {
                        let rowStart = logits.startIndex + position * classes
                        let rowLogits = UnsafeBufferPointer(rebasing: logits[rowStart..<(rowStart + classes)])
                        let label = Int(data.labels[row])
                        totalLoss += Self.logSumExp(rowLogits) - Double(rowLogits[label])
                        if Self.firstMaximum(rowLogits) == label { correct += 1 }
                    }
                }
            }
        }
        return Evaluation(meanLoss: totalLoss / Double(data.count),
                          accuracy: Double(correct) / Double(data.count), count: data.count)
    }

    // MARK: Row helpers

    /// `log sum_j exp(z_j)`, computed as `m + log sum_j exp(z_j - m)` with `m = max_j z_j`
    /// so no exponential overflows; in Double.
    static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        var maximum = -Double.infinity
        for value in logits { maximum = max(maximum, Double(value)) }
        var sum = 0.0
        for value in logits { sum += exp(Double(value) - maximum) }
        return maximum + log(sum)
    }

    /// Index of the largest value, the first one on ties.
    static func firstMaximum(_ values: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for index in 1..<values.count where values[index] > values[best] { best = index }
        return best
    }
}
