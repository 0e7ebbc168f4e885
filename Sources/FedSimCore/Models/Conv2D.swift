/// A 2-D convolution with `filters` square kernels of `kernel` x `kernel`, over images of
/// `channels` x `rows` x `columns` stored channels first (row r of a batch holds channel
/// 0's rows, then channel 1's, ...), zero-padded by `padding` on every side and moved by
/// `stride`. Its output is `filters` x `outputRows` x `outputColumns`, channels first,
/// with `outputRows = (rows + 2 padding - kernel) / stride + 1` (likewise columns).
///
/// Its values sit in the trainable vector: `W`, `filters` x (`channels` * kernel^2)
/// row-major, which is PyTorch's `weight` [filters, channels, kernel, kernel], then the
/// bias, one per filter. Each example is unfolded (im2col) into a matrix of
/// (`channels` * kernel^2) x (`outputRows` * `outputColumns`) values, so the forward
/// pass is one gemm per example, `W cols`, and the backward passes are gemms over the
/// same unfolding: O(filters * channels * kernel^2 * outputRows * outputColumns) per
/// example each, with one unfolding's memory.
public struct Conv2D: Equatable, Sendable {
    public var channels: Int
    public var rows: Int
    public var columns: Int
    public var filters: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    /// How `W` starts (He-normal draws use the fan-in `channels * kernel^2`); the bias
    /// starts at zero.
    public var initialization: WeightInitialization

    public init(channels: Int, rows: Int, columns: Int, filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                initialization: WeightInitialization = .heNormal) {
        self.channels = channels
        self.rows = rows
        self.columns = columns
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.initialization = initialization
    }

    public var outputRows: Int { (rows + 2 * padding - kernel) / stride + 1 }
    public var outputColumns: Int { (columns + 2 * padding - kernel) / stride + 1 }

    /// Why these sizes make no convolution, as (size name, reason); nil when they do:
    /// the padding is below the kernel and the padded image holds at least one kernel.
    var sizeProblem: (name: String, reason: String)? {
        if padding >= kernel { return ("padding", "is \(padding), not below the kernel \(kernel)") }
        if rows + 2 * padding < kernel || columns + 2 * padding < kernel {
            return ("kernel", "is \(kernel), larger than the padded \(rows + 2 * padding) x \(columns + 2 * padding) image")
        }
        return nil
    }

    /// Values of one unfolded column: channels * kernel^2.
    var patchSize: Int { channels * kernel * kernel }
    /// Output positions per filter.
    var positions: Int { outputRows * outputColumns }
    private var weightCount: Int { filters * patchSize }

    /// The output columns x whose input column x stride - padding + j lies in the image,
    /// for kernel column j: a range, since the input column grows with x.
    private func insideColumns(kernelColumn j: Int) -> Range<Int> {
        // x stride - padding + j >= 0  and  x stride - padding + j <= columns - 1.
        let first = max(0, (padding - j + stride - 1) / stride)
        let last = min(outputColumns, (columns - 1 + padding - j) / stride + 1)
        return first..<max(first, last)
    }

    /// Writes example `example`'s unfolding over `unfolded`, (channels * kernel^2) x
    /// positions row-major: row (c, i, j), column (y, x) holds input channel c at
    /// (y stride - padding + i, x stride - padding + j), or 0 in the padding. Each output
    /// row's run of inside columns is copied as a block (a contiguous one at stride 1).
    func unfold(_ input: UnsafeBufferPointer<Float>, example: Int, into unfolded: UnsafeMutableBufferPointer<Float>) {
        let base = example * channels * rows * columns
        var start = 0
        for channel in 0..<channels {
            for i in 0..<kernel {
                for j in 0..<kernel {
                    let inside = insideColumns(kernelColumn: j)
                    for y in 0..<outputRows {
                        let target = start + y * outputColumns
                        let sourceRow = y * stride - padding + i
                        guard sourceRow >= 0 && sourceRow < rows, !inside.isEmpty else {
                            UnsafeMutableBufferPointer(rebasing: unfolded[target..<(target + outputColumns)]).update(repeating: 0)
                            continue
                        }
                        for x in 0..<inside.lowerBound { unfolded[target + x] = 0 }
                        for x in inside.upperBound..<outputColumns { unfolded[target + x] = 0 }
                        let source = base + (channel * rows + sourceRow) * columns - padding + j
                        if stride == 1 {
                            _ = UnsafeMutableBufferPointer(rebasing: unfolded[(target + inside.lowerBound)..<(target + inside.upperBound)])
                                .update(fromContentsOf: input[(source + inside.lowerBound)..<(source + inside.upperBound)])
                        } else {
                            for x in inside { unfolded[target + x] = input[source + x * stride] }
                        }
                    }
                    start += positions
                }
            }
        }
    }

    /// Adds an unfolding's values back onto example `example`'s pixels (the adjoint of
    /// `unfold`): each pixel gets the sum of the entries it was copied to.
    private func fold(_ unfolded: UnsafeBufferPointer<Float>, example: Int, onto image: UnsafeMutableBufferPointer<Float>) {
        let base = example * channels * rows * columns
        var start = 0
        for channel in 0..<channels {
            for i in 0..<kernel {
                for j in 0..<kernel {
                    let inside = insideColumns(kernelColumn: j)
                    for y in 0..<outputRows {
                        let sourceRow = y * stride - padding + i
                        guard sourceRow >= 0 && sourceRow < rows else { continue }
                        let target = start + y * outputColumns
                        let source = base + (channel * rows + sourceRow) * columns - padding + j
                        for x in inside { image[source + x * stride] += unfolded[target + x] }
                    }
                    start += positions
                }
            }
        }
    }

    /// Runs `body` with a scratch buffer of one unfolding.
    private func withUnfolding<Result>(_ body: (UnsafeMutableBufferPointer<Float>) -> Result) -> Result {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: patchSize * positions)
        defer { buffer.deallocate() }
        return body(buffer)
    }
}

extension Conv2D: Layer {
    var inputWidth: Int { channels * rows * columns }
    var outputWidth: Int { filters * positions }
    var trainableParameterCount: Int { weightCount + filters }
    var frozenParameterCount: Int { 0 }

    /// PyTorch's `Conv2d`: `weight` [filters, channels, kernel, kernel] and `bias` [filters].
    var tensors: [LayerTensor] {
        [LayerTensor(name: "weight", shape: [filters, channels, kernel, kernel], isTrainable: true, offset: 0,
                     isTransposed: false),
         LayerTensor(name: "bias", shape: [filters], isTrainable: true, offset: weightCount, isTransposed: false)]
    }

    /// He-normal draws `W` in row-major order with fan-in channels * kernel^2.
    func initialize(
        trainable: UnsafeMutableBufferPointer<Float>, frozen: UnsafeMutableBufferPointer<Float>,
        using rng: inout RandomStream
    ) {
        initialization.draw(weights: UnsafeMutableBufferPointer(rebasing: trainable[0..<weightCount]), inputs: patchSize,
                            using: &rng)
    }

    /// Per example: the bias into every position of each filter's output, then
    /// `W cols` added by one gemm (beta 1).
    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        let weights = UnsafeBufferPointer(rebasing: parameters.trainable[0..<weightCount])
        let bias = parameters.trainable[weightCount..<(weightCount + filters)]
        withUnfolding { unfolded in
            for example in 0..<batch {
                unfold(input, example: example, into: unfolded)
                let start = example * outputWidth
                for (filter, value) in bias.enumerated() {
                    let row = start + filter * positions
                    UnsafeMutableBufferPointer(rebasing: output[row..<(row + positions)]).update(repeating: value)
                }
                BLAS.gemm(transposeA: false, transposeB: false, m: filters, n: positions, k: patchSize, alpha: 1,
                          a: weights, b: UnsafeBufferPointer(unfolded),
                          beta: 1, c: UnsafeMutableBufferPointer(rebasing: output[start..<(start + outputWidth)]))
            }
        }
    }

    /// Per example: `W^T E` (one gemm), folded back onto the example's pixels.
    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        inputErrors.update(repeating: 0)
        let weights = UnsafeBufferPointer(rebasing: parameters.trainable[0..<weightCount])
        withUnfolding { unfolded in
            for example in 0..<batch {
                let start = example * outputWidth
                BLAS.gemm(transposeA: true, transposeB: false, m: patchSize, n: positions, k: filters, alpha: 1,
                          a: weights, b: UnsafeBufferPointer(rebasing: outputErrors[start..<(start + outputWidth)]),
                          beta: 0, c: unfolded)
                fold(UnsafeBufferPointer(unfolded), example: example, onto: inputErrors)
            }
        }
    }

    /// `dW = sum over examples of E cols^T` (one gemm each, accumulating) and `db` the
    /// sums of each filter's errors over positions and examples.
    func gradient(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, into gradient: UnsafeMutableBufferPointer<Float>
    ) {
        let weightGradient = UnsafeMutableBufferPointer(rebasing: gradient[0..<weightCount])
        let biasGradient = UnsafeMutableBufferPointer(rebasing: gradient[weightCount..<(weightCount + filters)])
        weightGradient.update(repeating: 0)
        biasGradient.update(repeating: 0)
        forEachWeightGradient(input: input, outputErrors: outputErrors, batch: batch, accumulating: true,
                              into: weightGradient) { _, errors in
            for filter in 0..<filters {
                for position in 0..<positions { biasGradient[filter] += errors[filter * positions + position] }
            }
        }
    }

    /// Example r's gradient is `E_r cols_r^T` for `W` and its errors' sums for the bias;
    /// a convolution's weights are shared across positions, so there is no shortcut as
    /// for Dense: each example's weight gradient is formed (one gemm into a scratch
    /// matrix) and its squares summed in Double. O(the gradient's cost) per batch.
    func addSquaredExampleGradientNorms(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, to squaredNorms: UnsafeMutableBufferPointer<Double>
    ) {
        let exampleGradient = UnsafeMutableBufferPointer<Float>.allocate(capacity: weightCount)
        defer { exampleGradient.deallocate() }
        forEachWeightGradient(input: input, outputErrors: outputErrors, batch: batch, accumulating: false,
                              into: exampleGradient) { example, errors in
            var squares = 0.0
            for value in exampleGradient { squares += Double(value) * Double(value) }
            for filter in 0..<filters {
                var sum = 0.0
                for position in 0..<positions { sum += Double(errors[filter * positions + position]) }
                squares += sum * sum
            }
            squaredNorms[example] += squares
        }
    }

    /// For each example in order: its unfolding, then `E cols^T` added to (`accumulating`)
    /// or written over `weightGradient` by one gemm, then `body` with the example's index
    /// and its output errors.
    private func forEachWeightGradient(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int, accumulating: Bool,
        into weightGradient: UnsafeMutableBufferPointer<Float>, _ body: (Int, UnsafeBufferPointer<Float>) -> Void
    ) {
        withUnfolding { unfolded in
            for example in 0..<batch {
                unfold(input, example: example, into: unfolded)
                let errors = UnsafeBufferPointer(rebasing: outputErrors[(example * outputWidth)..<((example + 1) * outputWidth)])
                BLAS.gemm(transposeA: false, transposeB: true, m: filters, n: patchSize, k: positions, alpha: 1,
                          a: errors, b: UnsafeBufferPointer(unfolded), beta: accumulating ? 1 : 0, c: weightGradient)
                body(example, errors)
            }
        }
    }
}
