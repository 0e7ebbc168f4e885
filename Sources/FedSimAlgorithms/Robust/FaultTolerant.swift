/// A rule or pre-aggregator built to tolerate f Byzantine inputs among n, within a bound
/// on f that depends on n.
public protocol FaultTolerant {
    /// The name in scenario files and errors.
    var name: String { get }
    /// f, the Byzantine inputs tolerated.
    var f: Int { get }
    /// The bound, as an error states it ("the trimmed mean needs 2f < n").
    var faultBound: String { get }
    /// Whether the bound holds for f = `faulty` among `n` inputs; f < n unless a type says otherwise.
    func tolerates(_ faulty: Int, among n: Int) -> Bool
}

extension FaultTolerant {
    public func tolerates(_ faulty: Int, among n: Int) -> Bool {
        faulty < n
    }

    /// n, the number of `inputs`, once f is known to be non-negative and within the bound.
    /// - Throws: `RobustAggregationError.invalidParameter` for a negative f,
    ///   `.tooManyFaulty` when the bound fails.
    func checkedCount(_ inputs: RobustInputs) throws -> Int {
        let n = inputs.count
        guard f >= 0 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "f", message: "must be >= 0, got \(f)")
        }
        guard tolerates(f, among: n) else {
            throw RobustAggregationError.tooManyFaulty(rule: name, f: f, inputs: n, requirement: faultBound)
        }
        return n
    }
}
