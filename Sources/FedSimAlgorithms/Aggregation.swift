import FedSimCore

/// The shared kernel every server strategy aggregates with.
public enum Aggregation {
    /// Coordinates summed at a time by `weightedSum`: their Double totals (32 KiB)
    /// stay in the L1 cache while every vector adds to them.
    @usableFromInline static let sumBlock = 4096

    /// `sum_i weights[i] * vectors[i]`, summed in Double in the order given, so the
    /// result depends only on the inputs and their order. The coordinates are taken a
    /// block at a time (each coordinate's additions keep their order, so the result is
    /// the same as summing vector after vector), which reads every vector once and keeps
    /// the totals in cache. O(n d).
    ///
    /// - Precondition: every vector has the same length; `weights.count == vectors.count`.
    @inlinable
    public static func weightedSum(_ vectors: [[Float]], weights: [Double]) -> [Float] {
        precondition(vectors.count == weights.count, "\(vectors.count) vectors but \(weights.count) weights")
        guard let dimension = vectors.first?.count else { return [] }
        for vector in vectors {
            precondition(vector.count == dimension, "vector of length \(vector.count), expected \(dimension)")
        }
        var block = [Double](repeating: 0, count: Swift.min(sumBlock, dimension))
        return [Float](unsafeUninitializedCapacity: dimension) { result, initialized in
            block.withUnsafeMutableBufferPointer { total in
                for start in stride(from: 0, to: dimension, by: sumBlock) {
                    let count = Swift.min(sumBlock, dimension - start)
                    for index in 0..<count { total[index] = 0 }
                    for (vector, weight) in zip(vectors, weights) {
                        vector.withUnsafeBufferPointer { values in
                            for index in 0..<count {
                                total[index] += weight * Double(values[start + index])
                            }
                        }
                    }
                    for index in 0..<count { result[start + index] = Float(total[index]) }
                }
            }
            initialized = dimension
        }
    }

    /// `sum_i weights[i] * vectors[i]` taken one vector at a time, in the order added:
    /// the Floats `weightedSum` gives for the same vectors and weights in that order,
    /// without holding more than one vector. Each `add` reads the vector once and reads
    /// and writes the d Double totals: O(d) time, 8 d bytes.
    public struct RunningSum: Codable, Equatable, Sendable {
        public private(set) var totals: [Double]
        /// Vectors added so far.
        public private(set) var count = 0

        public init(dimension: Int) {
            totals = [Double](repeating: 0, count: dimension)
        }

        /// Adds `weight * vector`.
        ///
        /// - Precondition: `vector.count` is the sum's dimension.
        public mutating func add(_ vector: [Float], weight: Double) {
            precondition(vector.count == totals.count, "vector of length \(vector.count), expected \(totals.count)")
            totals.withUnsafeMutableBufferPointer { totals in
                vector.withUnsafeBufferPointer { values in
                    for index in 0..<values.count { totals[index] += weight * Double(values[index]) }
                }
            }
            count += 1
        }

        /// The sum, rounded to Float: zeros before any vector is added.
        public var result: [Float] { totals.map { Float($0) } }
    }

    /// Weights proportional to `counts`, summing to one (uniform when all are zero).
    public static func normalizedWeights(_ counts: [Int]) -> [Double] {
        let total = counts.reduce(0, +)
        guard total > 0 else { return counts.map { _ in 1 / Double(counts.count) } }
        return counts.map { Double($0) / Double(total) }
    }
}
