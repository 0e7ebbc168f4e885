import FedSimCore

/// Mimic (Karimireddy et al. 2022): every Byzantine client copies the update of honest
/// client `client` (an index into the honest updates, default 0), over-weighting one
/// honest view of the data. O(d).
public struct Mimic: ByzantineAttack {
    public var name: String { "mimic" }
    public var client: Int

    public init(client: Int = 0) {
        self.client = client
    }

    public func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        guard (0..<honest.count).contains(client) else {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "client", message: "must index one of the \(honest.count) honest updates, got \(client)")
        }
        return honest.row(client)
    }
}
