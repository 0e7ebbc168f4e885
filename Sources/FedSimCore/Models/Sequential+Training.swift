extension Sequential {
    /// Mean softmax cross-entropy over the minibatch `rows` of `data`,
    /// `L = -(1/B) sum_r log softmax(f(x_r))[y_r]`, and its gradient with respect to the
    /// trainable vector `parameters`, written over `gradient` (length
    /// `trainableParameterCount`).
    ///
    /// The whole minibatch goes forward through every layer, then back from the last
    /// layer down to the first trainable one: each layer writes its slice of the gradient
    /// and, above that lowest trainable layer, passes its errors down. Once the workspace
    /// has grown to the largest batch seen, a call allocates nothing.
    /// Traps with a message if a label is outside `0..<classes`, a row index is out of
    /// range, or `data.featureCount != inputDim`.
    public func lossAndGradient(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double {
        checkShapes(parameters: parameters, data: data, gradient: gradient)
        let batch = rows.count
        guard batch > 0 else {
            for index in gradient.indices { gradient[index] = 0 }
            return 0
        }
        workspace.reserve(activationCount: batch * activationWidth, errorCount: batch * errorWidth)
        let totalLoss = withPass(parameters: parameters, workspace: &workspace, batch: batch) { pass in
            pass.gather(rows, of: data)
            pass.forward()
            let totalLoss = pass.outputErrors(rows: rows, labels: data.labels, scale: 1 / Double(batch))
            gradient.withUnsafeMutableBufferPointer { gradient in
                for layer in stride(from: layers.count - 1, through: firstTrainableLayer, by: -1) {
                    pass.gradient(of: layer, into: gradient)
                    if layer > firstTrainableLayer { pass.propagateErrors(through: layer) }
                }
            }
            return totalLoss
        }
        return totalLoss / Double(batch)
    }

    /// DP-SGD's clipping step: the sum over the minibatch `rows` of every example's own
    /// loss gradient clipped to L2 norm `clipNorm` = C,
    /// `sum_r g_r * min(1, C / ||g_r||)` with `g_r` the gradient of
    /// `l_r = -log softmax(f(x_r))[y_r]` with respect to the trainable vector, written
    /// over `gradient`. Returns the summed (not averaged) loss of the rows and leaves each
    /// example's unclipped gradient norm in `workspace.exampleGradientNorms[0..<rows.count]`.
    ///
    /// No per-example gradient is materialized. The errors of every layer down to the
    /// first trainable one are propagated first (they do not depend on the gradient);
    /// then `||g_r||^2` is the sum over the layers in order of each one's
    /// `addSquaredExampleGradientNorms` (for a Dense layer `(||a_r||^2 + 1) ||e_r||^2`,
    /// a_r its input row and e_r its error row; frozen and parameter-free layers add
    /// nothing), accumulated in Double; every trainable layer's error rows of example r
    /// are scaled by `min(1, C / ||g_r||)`, and each layer's gradient of the scaled
    /// errors (one gemm for a Dense layer) is the clipped sum, exactly as the batch
    /// gradient is formed. Traps like `lossAndGradient` on bad input, and when `clipNorm`
    /// is not finite and positive.
    ///
    /// Complexity: the cost of `lossAndGradient` plus O(B * sum of widths).
    public func clippedGradientSum(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>, clipNorm: Float,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double {
        checkShapes(parameters: parameters, data: data, gradient: gradient)
        precondition(clipNorm.isFinite && clipNorm > 0, "the clip norm must be finite and > 0, got \(clipNorm)")
        let batch = rows.count
        guard batch > 0 else {
            for index in gradient.indices { gradient[index] = 0 }
            return 0
        }
        workspace.reserve(activationCount: batch * activationWidth, errorCount: batch * errorWidth, exampleCount: batch)
        return withPass(parameters: parameters, workspace: &workspace, batch: batch) { pass in
            pass.gather(rows, of: data)
            pass.forward()
            let totalLoss = pass.outputErrors(rows: rows, labels: data.labels, scale: 1)
            for layer in stride(from: layers.count - 1, to: firstTrainableLayer, by: -1) {
                pass.propagateErrors(through: layer)
            }
            clipExampleErrors(pass, clipNorm: clipNorm)
            gradient.withUnsafeMutableBufferPointer { gradient in
                for layer in firstTrainableLayer..<layers.count {
                    pass.gradient(of: layer, into: gradient)
                }
            }
            return totalLoss
        }
    }

    /// Writes each example's gradient norm `sqrt(sum_l ||g_{l,r}||^2)` (the sum in Double,
    /// over the layers in order) into `norms` and scales its error rows in every
    /// trainable layer by `min(1, C / norm)`.
    private func clipExampleErrors(_ pass: Pass, clipNorm: Float) {
        let batch = pass.batch
        let norms = pass.workspace.exampleGradientNorms
        let squaredNorms = UnsafeMutableBufferPointer(rebasing: pass.workspace.squaredNorms[0..<batch])
        squaredNorms.update(repeating: 0)
        for layer in firstTrainableLayer..<layers.count {
            layers[layer].addSquaredExampleGradientNorms(
                input: UnsafeBufferPointer(pass.values(layer)),
                outputErrors: UnsafeBufferPointer(pass.valueErrors(layer + 1)),
                batch: batch, parameters: pass.parameters(layer), to: squaredNorms)
        }
        for row in 0..<batch {
            norms[row] = Float(squaredNorms[row].squareRoot())
        }
        for layer in firstTrainableLayer..<layers.count where layers[layer].trainableParameterCount > 0 {
            let errors = pass.valueErrors(layer + 1)
            let width = layers[layer].outputWidth
            for row in 0..<batch where norms[row] > clipNorm {
                let factor = clipNorm / norms[row]
                for index in (row * width)..<((row + 1) * width) { errors[index] *= factor }
            }
        }
    }

    private func checkShapes(parameters: [Float], data: Dataset, gradient: [Float]) {
        checkShapes(parameters: parameters, data: data)
        precondition(gradient.count == trainableParameterCount,
                     "the gradient buffer holds \(gradient.count) values, the model has \(trainableParameterCount)")
    }
}
