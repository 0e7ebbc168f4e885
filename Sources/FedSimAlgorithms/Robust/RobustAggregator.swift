import FedSimCore

/// The result of a composed robust aggregation: the aggregate and one report per step,
/// pre-aggregators first, in the order they ran.
public struct RobustAggregation: Equatable, Sendable {
    public var aggregate: [Float]
    public var reports: [RobustReport]
}

/// A robust aggregation rule behind any number of pre-aggregators, each step feeding the
/// next: `aggregator: {rule: trimmed_mean, f: 2, pre: [nnm]}` runs NNM, then the trimmed
/// mean on its outputs.
///
/// A value type: copying it copies the state of a stateful rule (centered clipping), so
/// an attacker can try the aggregator on candidate inputs without touching the server's.
public struct RobustAggregator: Sendable {
    public var rule: any RobustRule
    public var preAggregators: [any PreAggregator]

    public init(rule: any RobustRule, preAggregators: [any PreAggregator] = []) {
        self.rule = rule
        self.preAggregators = preAggregators
    }

    /// "nnm -> trimmed_mean".
    public var name: String {
        (preAggregators.map(\.name) + [rule.name]).joined(separator: " -> ")
    }

    /// Runs the pre-aggregators in order, then the rule; every step draws from `stream`.
    /// - Throws: `RobustAggregationError` from the step that refused its inputs.
    public mutating func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustAggregation {
        var current = inputs
        var reports: [RobustReport] = []
        for step in preAggregators {
            let result = try step.apply(current, stream: &stream)
            current = result.outputs
            reports.append(result.report)
        }
        let result = try rule.aggregate(current, stream: &stream)
        return RobustAggregation(aggregate: result.aggregate, reports: reports + [result.report])
    }

    /// Checks and packs `vectors` (errors cite `name`), then aggregates them.
    public mutating func aggregate(_ vectors: [[Float]], stream: inout RandomStream) throws -> RobustAggregation {
        try aggregate(RobustInputs(vectors, context: name), stream: &stream)
    }
}

/// A robust aggregator by name and parameters, as scenario files and the command line
/// give it; `RobustAggregator(description)` builds it.
///
/// Rules and their parameters (defaults in parentheses; integers are given as whole
/// numbers). Every rule accepts f, so a scenario can switch rules without editing it;
/// average, median, geometric_median, centered_clipping and flag ignore it.
/// - `average`, `median`
/// - `trimmed_mean`: f (0)
/// - `geometric_median`: nu (0.1), T (3), tolerance (none)
/// - `krum`: f (0), original (0; 1 scores n - f - 2 neighbours instead of n - f - 1)
/// - `multi_krum`: f (0), m (n - f), original (0)
/// - `centered_clipping`: tau (100), iterations (1)
/// - `mda`: f (0)
/// - `meamed`: f (0)
/// - `flag`: rank (1), lambda (0), iterations (4)
///
/// Pre-aggregators: `nnm`: f; `bucketing`: s (1); `static_clipping`: c (2); `arc`: f.
/// NNM and ARC take the rule's f unless their own parameters give one.
public struct RobustAggregatorDescription: Equatable, Sendable {
    public var rule: String
    public var parameters: [String: Double]
    public var pre: [PreAggregatorDescription]

    public init(rule: String, parameters: [String: Double] = [:], pre: [PreAggregatorDescription] = []) {
        self.rule = rule
        self.parameters = parameters
        self.pre = pre
    }
}

/// A pre-aggregator by name and parameters (see `RobustAggregatorDescription`).
public struct PreAggregatorDescription: Equatable, Sendable {
    public var name: String
    public var parameters: [String: Double]

    public init(_ name: String, parameters: [String: Double] = [:]) {
        self.name = name
        self.parameters = parameters
    }
}

extension RobustAggregator {
    /// The rule names `RobustAggregatorDescription.rule` accepts.
    public static let ruleNames = [
        "average", "median", "trimmed_mean", "geometric_median", "krum", "multi_krum", "centered_clipping", "mda",
        "meamed", "flag",
    ]
    /// The pre-aggregator names `PreAggregatorDescription.name` accepts.
    public static let preAggregatorNames = ["nnm", "bucketing", "static_clipping", "arc"]

    /// Builds the aggregator `description` names.
    /// - Throws: `RobustAggregationError.unknownName` for an unknown rule or
    ///   pre-aggregator, `.unknownParameter` for a parameter the step does not take,
    ///   `.invalidParameter` for a value of the wrong kind (a fractional f, a negative tau).
    public init(_ description: RobustAggregatorDescription) throws {
        let rule = try Self.makeRule(description.rule, description.parameters)
        let inheritedF = description.parameters["f"]
        let pre = try description.pre.map { step -> any PreAggregator in
            var parameters = step.parameters
            if let inheritedF, ["nnm", "arc"].contains(step.name), parameters["f"] == nil { parameters["f"] = inheritedF }
            return try Self.makePreAggregator(step.name, parameters)
        }
        self.init(rule: rule, preAggregators: pre)
    }

    private static func makeRule(_ name: String, _ values: [String: Double]) throws -> any RobustRule {
        func reader(_ accepted: [String]) throws -> ParameterReader {
            try ParameterReader(owner: name, values: values, accepted: ["f"] + accepted)
        }
        switch name {
        case "average":
            _ = try reader([])
            return Average()
        case "median":
            _ = try reader([])
            return CoordinateWiseMedian()
        case "trimmed_mean":
            return TrimmedMean(f: try reader([]).integer("f", default: 0))
        case "geometric_median":
            let p = try reader(["nu", "T", "tolerance"])
            return GeometricMedian(nu: try p.real("nu", default: 0.1), iterations: try p.integer("T", default: 3),
                                   tolerance: try p.optionalReal("tolerance"))
        case "krum":
            let p = try reader(["original"])
            return Krum(f: try p.integer("f", default: 0), neighbours: try p.neighbours())
        case "multi_krum":
            let p = try reader(["m", "original"])
            return MultiKrum(f: try p.integer("f", default: 0), m: try p.optionalInteger("m"), neighbours: try p.neighbours())
        case "centered_clipping":
            let p = try reader(["tau", "iterations"])
            return CenteredClipping(tau: try p.real("tau", default: 100), iterations: try p.integer("iterations", default: 1))
        case "mda":
            return MDA(f: try reader([]).integer("f", default: 0))
        case "meamed":
            return Meamed(f: try reader([]).integer("f", default: 0))
        case "flag":
            let p = try reader(["rank", "lambda", "iterations"])
            return FlagAggregator(rank: try p.integer("rank", default: 1), lambda: try p.real("lambda", default: 0),
                                  iterations: try p.integer("iterations", default: 4))
        default:
            throw RobustAggregationError.unknownName(kind: "robust aggregation rule", name: name, known: ruleNames)
        }
    }

    private static func makePreAggregator(_ name: String, _ values: [String: Double]) throws -> any PreAggregator {
        switch name {
        case "nnm":
            let p = try ParameterReader(owner: name, values: values, accepted: ["f"])
            return NearestNeighborMixing(f: try p.integer("f", default: 0))
        case "bucketing":
            let p = try ParameterReader(owner: name, values: values, accepted: ["s"])
            return Bucketing(bucketSize: try p.integer("s", default: 1))
        case "static_clipping":
            let p = try ParameterReader(owner: name, values: values, accepted: ["c"])
            return StaticClipping(threshold: try p.real("c", default: 2))
        case "arc":
            let p = try ParameterReader(owner: name, values: values, accepted: ["f"])
            return AdaptiveRobustClipping(f: try p.integer("f", default: 0))
        default:
            throw RobustAggregationError.unknownName(kind: "pre-aggregator", name: name, known: preAggregatorNames)
        }
    }
}

/// Reads named numeric parameters, rejecting names the owner does not take and values
/// of the wrong kind.
private struct ParameterReader {
    let owner: String
    let values: [String: Double]

    init(owner: String, values: [String: Double], accepted: [String]) throws {
        if let unknown = values.keys.sorted().first(where: { !accepted.contains($0) }) {
            throw RobustAggregationError.unknownParameter(rule: owner, parameter: unknown, accepted: accepted)
        }
        self.owner = owner
        self.values = values
    }

    func optionalReal(_ key: String) throws -> Double? {
        guard let value = values[key] else { return nil }
        guard value.isFinite else {
            throw RobustAggregationError.invalidParameter(rule: owner, parameter: key, message: "must be finite, got \(value)")
        }
        return value
    }

    func real(_ key: String, default fallback: Double) throws -> Double {
        try optionalReal(key) ?? fallback
    }

    func optionalInteger(_ key: String) throws -> Int? {
        guard let value = values[key] else { return nil }
        guard let integer = Int(exactly: value) else {
            throw RobustAggregationError.invalidParameter(rule: owner, parameter: key, message: "must be a whole number, got \(value)")
        }
        return integer
    }

    func integer(_ key: String, default fallback: Int) throws -> Int {
        try optionalInteger(key) ?? fallback
    }

    /// `original`: 0 (default) for n - f - 1 neighbours, 1 for Blanchard et al.'s n - f - 2.
    func neighbours() throws -> KrumNeighbourCount {
        switch try integer("original", default: 0) {
        case 0: return .nMinusFMinus1
        case 1: return .nMinusFMinus2
        case let other:
            throw RobustAggregationError.invalidParameter(rule: owner, parameter: "original", message: "must be 0 or 1, got \(other)")
        }
    }
}
