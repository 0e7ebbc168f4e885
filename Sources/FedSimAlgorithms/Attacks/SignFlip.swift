import FedSimCore

/// Sign flip: every Byzantine client sends the negated honest mean, `-mean_i x_i`. O(n d).
public struct SignFlip: ByzantineAttack {
    public var name: String { "sign_flip" }

    public init() {}

    public func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        HonestStatistics.mean(honest).map { Float(-$0) }
    }
}
