import FedSimCore

/// How many nearest neighbours a Krum score sums over.
public enum KrumNeighbourCount: String, Sendable, CaseIterable {
    /// n - f - 1 other inputs: ByzFL's choice and fedsim's default.
    case nMinusFMinus1
    /// n - f - 2 other inputs: Blanchard et al.'s original definition.
    case nMinusFMinus2

    /// The neighbour count for n inputs and f faulty ones.
    public func count(inputs n: Int, f: Int) -> Int {
        switch self {
        case .nMinusFMinus1: return n - f - 1
        case .nMinusFMinus2: return n - f - 2
        }
    }

    /// The requirement, as error messages state it.
    var requirement: String {
        switch self {
        case .nMinusFMinus1: return "Krum scores n - f - 1 neighbours and needs at least one (f <= n - 2)"
        case .nMinusFMinus2: return "Krum with the original n - f - 2 neighbours needs at least one (f <= n - 3)"
        }
    }
}

/// Krum and Multi-Krum: both score every input by its nearest neighbours.
protocol KrumScoring: FaultTolerant {
    var neighbours: KrumNeighbourCount { get }
}

extension KrumScoring {
    public var faultBound: String { neighbours.requirement }

    public func tolerates(_ faulty: Int, among n: Int) -> Bool {
        neighbours.count(inputs: n, f: faulty) >= 1
    }

    /// Krum scores: `score(i) = sum of ||x_i - x_j||^2 over the k nearest other inputs j`,
    /// with k from `neighbours`. ByzFL averages over the k neighbours instead of summing,
    /// which has the same argmin. Distances come from one Gram sgemm; O(n^2 d + n^2 log n).
    func scores(_ inputs: RobustInputs) throws -> [Double] {
        let n = try checkedCount(inputs)
        let k = neighbours.count(inputs: n, f: f)
        let distances = try RobustKernel.squaredDistances(inputs, rule: name)
        return (0..<n).map { i in
            let others = (0..<n).filter { $0 != i }.map { Double(distances[i, $0]) }.sorted()
            return others.prefix(k).reduce(0, +)
        }
    }
}

/// The indices of the `count` lowest scores, lowest first, ties broken by the lower index.
func lowestScores(_ scores: [Double], count: Int) -> [Int] {
    Array(scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(count))
}

/// Krum (Blanchard et al. 2017): the input with the lowest Krum score (see
/// `KrumNeighbourCount`), the lowest index on ties. Needs n - f - 1 >= 1 (n - f - 2 >= 1
/// with the original neighbour count). O(n^2 d) in one sgemm, plus O(n^2 log n).
public struct Krum: RobustRule, KrumScoring {
    public var name: String { "krum" }
    public var f: Int
    public var neighbours: KrumNeighbourCount

    public init(f: Int = 0, neighbours: KrumNeighbourCount = .nMinusFMinus1) {
        self.f = f
        self.neighbours = neighbours
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let scores = try scores(inputs)
        let chosen = lowestScores(scores, count: 1)[0]
        return RobustResult(aggregate: inputs.row(chosen),
                            report: RobustReport(step: name, inputs: inputs.count, selected: [chosen]))
    }
}

/// Multi-Krum (Blanchard et al. 2017): the mean of the m inputs with the lowest Krum
/// scores (ties broken by the lower index); m defaults to n - f. O(n^2 d + m d).
public struct MultiKrum: RobustRule, KrumScoring {
    public var name: String { "multi_krum" }
    public var f: Int
    /// How many inputs to average; nil means n - f.
    public var m: Int?
    public var neighbours: KrumNeighbourCount

    public init(f: Int = 0, m: Int? = nil, neighbours: KrumNeighbourCount = .nMinusFMinus1) {
        self.f = f
        self.m = m
        self.neighbours = neighbours
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let n = inputs.count
        let scores = try scores(inputs)
        let count = m ?? n - f
        guard (1...n).contains(count) else {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "m", message: "must lie in 1...\(n) (the number of inputs), got \(count)")
        }
        let chosen = lowestScores(scores, count: count)
        return RobustResult(aggregate: RobustKernel.mean(inputs, rows: chosen.sorted()),
                            report: RobustReport(step: name, inputs: n, selected: chosen))
    }
}
