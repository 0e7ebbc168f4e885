/// Max pooling over non-overlapping `size` x `size` windows of images of `channels` x
/// `rows` x `columns`, stored channels first: output pixel (c, y, x) is the largest of
/// the window whose top-left input pixel is (c, y size, x size), the first largest in
/// row-major order on ties; rows and columns beyond the last whole window are dropped
/// (`outputRows = rows / size`). The backward pass gives each output's error to the
/// input pixel it took, found again the same way. O(values) both ways.
public struct MaxPool2D: Equatable, Sendable {
    public var channels: Int
    public var rows: Int
    public var columns: Int
    public var size: Int

    public init(channels: Int, rows: Int, columns: Int, size: Int) {
        self.channels = channels
        self.rows = rows
        self.columns = columns
        self.size = size
    }

    public var outputRows: Int { rows / size }
    public var outputColumns: Int { columns / size }

    /// Why the window does not fit the image, as (size name, reason); nil when it does.
    var sizeProblem: (name: String, reason: String)? {
        size > min(rows, columns) ? ("size", "is \(size), larger than the \(rows) x \(columns) image") : nil
    }

    /// The input index of the largest value of output pixel (channel, y, x)'s window in
    /// example `example`: the first one in row-major order on ties. A NaN in the
    /// window's first place is kept, like the comparison in the forward pass.
    private func winner(_ input: UnsafeBufferPointer<Float>, example: Int, channel: Int, y: Int, x: Int) -> Int {
        let plane = (example * channels + channel) * rows * columns
        var best = plane + (y * size) * columns + x * size
        for i in 0..<size {
            for j in 0..<size {
                let index = plane + (y * size + i) * columns + x * size + j
                if input[index] > input[best] { best = index }
            }
        }
        return best
    }
}

extension MaxPool2D: ParameterFreeLayer {
    var inputWidth: Int { channels * rows * columns }
    var outputWidth: Int { channels * outputRows * outputColumns }

    /// The running maximum over each output row's windows, one input row at a time:
    /// the same comparisons, in the same order, as `winner`.
    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        var index = 0
        for plane in 0..<(batch * channels) {
            let planeStart = plane * rows * columns
            for y in 0..<outputRows {
                let top = planeStart + y * size * columns
                for x in 0..<outputColumns {
                    output[index + x] = input[top + x * size]
                }
                for i in 0..<size {
                    let row = top + i * columns
                    for x in 0..<outputColumns {
                        for j in 0..<size where input[row + x * size + j] > output[index + x] {
                            output[index + x] = input[row + x * size + j]
                        }
                    }
                }
                index += outputColumns
            }
        }
    }

    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        inputErrors.update(repeating: 0)
        var index = 0
        for example in 0..<batch {
            for channel in 0..<channels {
                for y in 0..<outputRows {
                    for x in 0..<outputColumns {
                        inputErrors[winner(input, example: example, channel: channel, y: y, x: x)] += outputErrors[index]
                        index += 1
                    }
                }
            }
        }
    }
}

/// The end of the image layers: images stored channels first are already rows of
/// `width` values, so flattening keeps every value in place (PyTorch's `Flatten` on
/// [channels, rows, columns]). It marks where the dense layers begin.
public struct Flatten: Equatable, Sendable {
    public var width: Int

    public init(width: Int) {
        self.width = width
    }
}

extension Flatten: ParameterFreeLayer {
    var inputWidth: Int { width }
    var outputWidth: Int { width }

    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        _ = output.update(fromContentsOf: input)
    }

    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        _ = inputErrors.update(fromContentsOf: outputErrors)
    }
}
