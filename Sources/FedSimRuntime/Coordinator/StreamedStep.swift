import FedSimAlgorithms
import FedSimCore

/// An aggregation step whose updates are summed as they arrive: the contributions added
/// so far (in the step's order), their weighted sum, the updates rejected for holding
/// NaN or infinity, and every contribution's result without its delta (what the
/// recorder and the privacy ledger read). A checkpoint taken while the step waits saves
/// it, so a resumed run waits only for the updates not yet added.
struct StreamedStep: Codable, Equatable, Sendable {
    /// The step's number.
    let step: Int
    private(set) var sum: Aggregation.RunningSum
    private(set) var rejected = 0
    private(set) var results: [ClientResult] = []

    init(step: Int, dimension: Int) {
        self.step = step
        sum = Aggregation.RunningSum(dimension: dimension)
    }

    /// Contributions added, finite or not: the next one to add is at this position.
    var added: Int { results.count }

    /// Adds the next contribution's `result` with `weight`, unless its delta holds NaN
    /// or infinity (then it is counted as rejected).
    mutating func add(_ result: ClientResult, weight: Double) {
        if result.delta.allFinite {
            sum.add(result.delta, weight: weight)
        } else {
            rejected += 1
        }
        var kept = result
        kept.delta = []
        results.append(kept)
    }
}
