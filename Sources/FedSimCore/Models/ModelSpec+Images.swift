/// The shape of an image row: `channels` x `rows` x `columns` values, channels first.
public struct ImageShape: Equatable, Sendable {
    public var channels: Int
    public var rows: Int
    public var columns: Int

    public init(channels: Int, rows: Int, columns: Int) {
        self.channels = channels
        self.rows = rows
        self.columns = columns
    }

    /// The shape `width` features are read as without more information: one channel of
    /// s x s when `width` is a square s^2, else one row of `width`.
    public init(features width: Int) {
        let side = Int(Double(width).squareRoot().rounded())
        self = side * side == width ? ImageShape(channels: 1, rows: side, columns: side)
            : ImageShape(channels: 1, rows: 1, columns: width)
    }

    public var values: Int { channels * rows * columns }
}

/// One stage of a layered model as a scenario lists it (`model.layers`): sizes only, the
/// input shapes following from the image and the stages before. `ModelSpec.layered`
/// turns a list into layers.
public enum LayerRecipe: Equatable, Sendable {
    /// `Conv2D` with `filters` kernels of `kernel` x `kernel`.
    case conv(filters: Int, kernel: Int, stride: Int, padding: Int)
    /// `MaxPool2D` over `size` x `size` windows.
    case maxPool(size: Int)
    case relu
    /// `Flatten`: the end of the image stages.
    case flatten
    /// A He-normal `Dense` layer of `units` outputs.
    case dense(units: Int)

    /// Whether the stage works on an image (before any flatten or dense stage).
    public var needsImage: Bool {
        switch self {
        case .conv, .maxPool: return true
        case .relu, .flatten, .dense: return false
        }
    }
}

extension ModelSpec {
    /// The CNN of the FedAvg paper (McMahan et al. 2017): two 5x5 convolutions of 32 and
    /// 64 channels ("same" padding), each with a ReLU and 2x2 max pooling, then a
    /// 512-unit dense layer with a ReLU. On 28x28 images with 10 classes it has the
    /// paper's 1,663,370 parameters.
    public static let fedAvgCNN: [LayerRecipe] = [
        .conv(filters: 32, kernel: 5, stride: 1, padding: 2), .relu, .maxPool(size: 2),
        .conv(filters: 64, kernel: 5, stride: 1, padding: 2), .relu, .maxPool(size: 2),
        .flatten, .dense(units: 512), .relu,
    ]

    /// The layers `recipe` lists for rows of `image`, then a He-normal dense layer to
    /// `classes`: each stage's input shape is the previous stage's output (an image until
    /// the first flatten or dense stage, then a width). Convolutions start He-normal.
    /// `validate` checks the sizes.
    /// - Precondition: no image stage (`needsImage`) comes after a flatten or dense stage.
    public static func layered(image: ImageShape, recipe: [LayerRecipe], classes: Int) -> ModelSpec {
        var layers: [LayerSpec] = []
        var shape: ImageShape? = image
        var width = image.values
        for stage in recipe {
            precondition(!stage.needsImage || shape != nil, "an image stage after the image was flattened")
            switch stage {
            case let .conv(filters, kernel, stride, padding):
                let conv = Conv2D(channels: shape!.channels, rows: shape!.rows, columns: shape!.columns, filters: filters,
                                  kernel: kernel, stride: stride, padding: padding)
                layers.append(.conv2D(conv))
                shape = ImageShape(channels: filters, rows: conv.outputRows, columns: conv.outputColumns)
            case let .maxPool(size):
                let pool = MaxPool2D(channels: shape!.channels, rows: shape!.rows, columns: shape!.columns, size: size)
                layers.append(.maxPool2D(pool))
                shape = ImageShape(channels: pool.channels, rows: pool.outputRows, columns: pool.outputColumns)
            case .relu:
                layers.append(.relu(ReLU(width: width)))
            case .flatten:
                layers.append(.flatten(Flatten(width: width)))
                shape = nil
            case let .dense(units):
                layers.append(.dense(Dense(inputs: width, outputs: units, initialization: .heNormal)))
                shape = nil
            }
            width = shape?.values ?? (layers.last?.layer.outputWidth ?? width)
        }
        layers.append(.dense(Dense(inputs: width, outputs: classes, initialization: .heNormal)))
        return ModelSpec(inputDim: image.values, layers: layers)
    }
}
