/// The model families fedsim trains.
public enum ModelKind: String, Sendable, CaseIterable {
    /// Multinomial logistic regression: logits = x W + b.
    case softmax
    /// Fully connected layers with ReLU between them, softmax output.
    case mlp
}

/// Everything needed to build a model's architecture.
public struct ModelSpec: Equatable, Sendable {
    public var kind: ModelKind
    public var inputDim: Int
    public var classes: Int
    /// Hidden layer widths (MLP only).
    public var hidden: [Int]

    public init(kind: ModelKind, inputDim: Int, classes: Int, hidden: [Int] = []) {
        self.kind = kind
        self.inputDim = inputDim
        self.classes = classes
        self.hidden = hidden
    }
}
