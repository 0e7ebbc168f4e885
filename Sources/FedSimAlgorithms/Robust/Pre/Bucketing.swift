import FedSimCore

/// Bucketing (Karimireddy et al. 2022, "Byzantine-Robust Learning on Heterogeneous
/// Datasets via Bucketing"): shuffle the inputs with a random permutation drawn from the
/// stream, then pass on the mean of each run of s consecutive ones; the last bucket
/// holds the n mod s left over when s does not divide n. ceil(n / s) outputs.
/// Default s = 1 (a shuffle only), as in ByzFL. O(n d).
public struct Bucketing: PreAggregator {
    public var name: String { "bucketing" }
    /// s, the inputs per bucket (at least 1).
    public var bucketSize: Int

    public init(bucketSize: Int = 1) {
        self.bucketSize = bucketSize
    }

    public func apply(_ inputs: RobustInputs, stream: inout RandomStream) throws -> PreAggregation {
        guard bucketSize >= 1 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "s", message: "must be >= 1, got \(bucketSize)")
        }
        let n = inputs.count
        let order = stream.permutation(n)
        var values = [Float]()
        values.reserveCapacity(((n + bucketSize - 1) / bucketSize) * inputs.dimension)
        var buckets = 0
        for start in stride(from: 0, to: n, by: bucketSize) {
            values += RobustKernel.mean(inputs, rows: Array(order[start..<min(n, start + bucketSize)]))
            buckets += 1
        }
        return PreAggregation(outputs: RobustInputs(trustedRows: buckets, columns: inputs.dimension, values: values),
                              report: RobustReport(step: name, inputs: n, outputs: buckets))
    }
}
