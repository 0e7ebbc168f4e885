import FedSimCore

/// Minimum-diameter averaging (El Mhamdi et al. 2020, "Genuinely Distributed Byzantine
/// Machine Learning"): among all subsets of n - f inputs, the one whose largest pairwise
/// distance is smallest; its mean. Needs f < n.
///
/// An exact search: subsets are enumerated in lexicographic order (as ByzFL does) and a
/// branch is abandoned as soon as its diameter reaches the best found, so the first
/// subset of minimal diameter wins ties. The worst case visits every one of the
/// C(n, f) subsets, so the rule refuses more than `subsetLimit` of them.
/// O(n^2 d) for the distances (one sgemm) plus up to O(C(n, f) (n - f)) for the search.
public struct MDA: RobustRule, FaultTolerant {
    public var name: String { "mda" }
    public var faultBound: String { "MDA needs f < n" }
    public var f: Int
    /// The most subsets (C(n, f)) the search may face; default 10^7.
    public var subsetLimit: Double

    public init(f: Int = 0, subsetLimit: Double = 1e7) {
        self.f = f
        self.subsetLimit = subsetLimit
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let n = try checkedCount(inputs)
        let subsets = (0..<f).reduce(1.0) { $0 * Double(n - f + $1 + 1) / Double($1 + 1) }
        guard subsets <= subsetLimit else {
            throw RobustAggregationError.tooManySubsets(rule: name, subsets: subsets, limit: subsetLimit)
        }
        let distances = try RobustKernel.squaredDistances(inputs, rule: name)
        let size = n - f
        var best = Float.infinity
        var bestSubset = Array(0..<size)
        var chosen: [Int] = []
        chosen.reserveCapacity(size)

        func extend(from next: Int, diameter: Float) {
            if chosen.count == size {
                if diameter < best {
                    best = diameter
                    bestSubset = chosen
                }
                return
            }
            let stillNeeded = size - chosen.count
            guard next <= n - stillNeeded else { return }
            for candidate in next...(n - stillNeeded) {
                var widened = diameter
                for member in chosen { widened = max(widened, distances[member, candidate]) }
                if widened >= best { continue }
                chosen.append(candidate)
                extend(from: candidate + 1, diameter: widened)
                chosen.removeLast()
            }
        }
        extend(from: 0, diameter: 0)
        return RobustResult(aggregate: RobustKernel.mean(inputs, rows: bestSubset),
                            report: RobustReport(step: name, inputs: n, selected: bestSubset))
    }
}
