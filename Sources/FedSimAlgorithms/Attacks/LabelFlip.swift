import FedSimCore

/// Label flipping, a data attack: a Byzantine client trains honestly on its data with
/// every label y replaced by C - 1 - y (C classes), as ByzFL does. The worker applies
/// it to the client's dataset before local training.
public enum LabelFlip {
    /// `C - 1 - label`.
    /// - Precondition: `0 <= label < classCount`.
    @inlinable
    public static func flipped(_ label: Int32, classCount: Int) -> Int32 {
        precondition(label >= 0 && Int(label) < classCount, "label \(label) is outside 0..<\(classCount)")
        return Int32(classCount - 1) - label
    }

    /// `dataset` with every label flipped; features unchanged. O(samples).
    public static func flipped(_ dataset: Dataset) -> Dataset {
        var result = dataset
        result.labels = dataset.labels.map { flipped($0, classCount: dataset.classCount) }
        return result
    }
}
