import FedSimCore

/// What one step of a robust aggregation did, for the metrics log and `fedsim aggregate`.
///
/// Only the fields that apply to the step are set. Indices count from 0 and refer to
/// the step's own inputs (after any pre-aggregation before it).
public struct RobustReport: Equatable, Sendable, CustomStringConvertible {
    /// The rule or pre-aggregator name, as in scenario files ("krum", "nnm").
    public var step: String
    /// How many vectors the step received.
    public var inputs: Int
    /// The inputs the rule kept: Krum's choice, Multi-Krum's m lowest scores (best
    /// first), MDA's subset (ascending).
    public var selected: [Int]?
    /// How many inputs were scaled down: static clipping, ARC, and centered clipping
    /// (in its last iteration).
    public var clipped: Int?
    /// How many values per coordinate were left out of the mean: 2f for the trimmed
    /// mean, f for Meamed.
    public var trimmedPerCoordinate: Int?
    /// Iterations run: geometric median, centered clipping, Flag Aggregator.
    public var iterations: Int?
    /// How many vectors a pre-aggregator passes on.
    public var outputs: Int?

    public init(step: String, inputs: Int, selected: [Int]? = nil, clipped: Int? = nil,
                trimmedPerCoordinate: Int? = nil, iterations: Int? = nil, outputs: Int? = nil) {
        self.step = step
        self.inputs = inputs
        self.selected = selected
        self.clipped = clipped
        self.trimmedPerCoordinate = trimmedPerCoordinate
        self.iterations = iterations
        self.outputs = outputs
    }

    /// "krum: 7 inputs, selected [3]".
    public var description: String {
        var parts = ["\(inputs) inputs"]
        if let selected { parts.append("selected \(selected)") }
        if let clipped { parts.append("clipped \(clipped)") }
        if let trimmedPerCoordinate { parts.append("trimmed \(trimmedPerCoordinate) per coordinate") }
        if let iterations { parts.append("\(iterations) iterations") }
        if let outputs { parts.append("\(outputs) outputs") }
        return "\(step): " + parts.joined(separator: ", ")
    }
}

/// An aggregate vector and the report of the rule that produced it.
public struct RobustResult: Equatable, Sendable {
    public var aggregate: [Float]
    public var report: RobustReport

    public init(aggregate: [Float], report: RobustReport) {
        self.aggregate = aggregate
        self.report = report
    }
}

/// A robust aggregation rule (ALGORITHMS.md section 2): n vectors in, one vector out.
///
/// `aggregate` is `mutating` because centered clipping carries its output from one
/// round to the next; every other rule is a pure function of its inputs and the stream.
/// `stream` is the only source of randomness (the Flag Aggregator's starting subspace);
/// deterministic rules leave it untouched.
public protocol RobustRule: Sendable {
    /// The name in scenario files and on the command line.
    var name: String { get }
    mutating func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult
    /// What the rule carries from one round to the next (centered clipping's center), so
    /// a run can be saved and resumed; nil for the rules that carry nothing.
    var carriedState: [Float]? { get set }
}

extension RobustRule {
    public var carriedState: [Float]? {
        get { nil }
        set {}
    }
}

extension RobustRule {
    /// Checks and packs `vectors`, then aggregates them. O(n d) plus the rule's cost.
    public mutating func aggregate(_ vectors: [[Float]], stream: inout RandomStream) throws -> RobustResult {
        try aggregate(RobustInputs(vectors, context: name), stream: &stream)
    }

    /// Aggregates with the aggregation stream of seed 0 (only the Flag Aggregator draws from it).
    public mutating func aggregate(_ vectors: [[Float]]) throws -> RobustResult {
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        return try aggregate(vectors, stream: &stream)
    }
}

/// Vectors handed on by a pre-aggregator, with its report.
public struct PreAggregation: Sendable {
    public var outputs: RobustInputs
    public var report: RobustReport

    public init(outputs: RobustInputs, report: RobustReport) {
        self.outputs = outputs
        self.report = report
    }
}

/// A pre-aggregation step that maps n vectors to n' vectors in front of a rule
/// (NNM, bucketing, static clipping, ARC).
public protocol PreAggregator: Sendable {
    /// The name in scenario files and on the command line.
    var name: String { get }
    func apply(_ inputs: RobustInputs, stream: inout RandomStream) throws -> PreAggregation
}

extension PreAggregator {
    /// Checks and packs `vectors`, then pre-aggregates them, returning plain vectors.
    public func apply(_ vectors: [[Float]], stream: inout RandomStream) throws -> [[Float]] {
        try apply(RobustInputs(vectors, context: name), stream: &stream).outputs.rows
    }
}
