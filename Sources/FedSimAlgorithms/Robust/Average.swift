import FedSimCore

/// The plain mean `(1/n) sum_i x_i`: no robustness, the baseline every rule is compared
/// with. O(n d), summed in Double.
public struct Average: RobustRule {
    public var name: String { "average" }

    public init() {}

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        RobustResult(aggregate: RobustKernel.mean(inputs, rows: Array(0..<inputs.count)),
                     report: RobustReport(step: name, inputs: inputs.count))
    }
}
