import FedSimCore

/// The shared kernel every server strategy aggregates with.
public enum Aggregation {
    /// `sum_i weights[i] * vectors[i]`, summed in the order given, so the result
    /// depends only on the inputs and their order. O(n d).
    ///
    /// - Precondition: every vector has the same length; `weights.count == vectors.count`.
    @inlinable
    public static func weightedSum(_ vectors: [[Float]], weights: [Double]) -> [Float] {
        precondition(vectors.count == weights.count, "\(vectors.count) vectors but \(weights.count) weights")
        guard let dimension = vectors.first?.count else { return [] }
        var sum = [Double](repeating: 0, count: dimension)
        for (vector, weight) in zip(vectors, weights) {
            precondition(vector.count == dimension, "vector of length \(vector.count), expected \(dimension)")
            vector.withUnsafeBufferPointer { values in
                sum.withUnsafeMutableBufferPointer { total in
                    for index in 0..<dimension {
                        total[index] += weight * Double(values[index])
                    }
                }
            }
        }
        return sum.map { Float($0) }
    }

    /// Weights proportional to `counts`, summing to one (uniform when all are zero).
    public static func normalizedWeights(_ counts: [Int]) -> [Double] {
        let total = counts.reduce(0, +)
        guard total > 0 else { return counts.map { _ in 1 / Double(counts.count) } }
        return counts.map { Double($0) / Double(total) }
    }
}
