import FedSimCore

/// Why a robust aggregator, pre-aggregator or attack refused its inputs or parameters.
///
/// Every case names the rule (or attack) it comes from; rows and columns count from 0,
/// as the indices in `RobustReport.selected` do.
public enum RobustAggregationError: FedSimError, Equatable, Sendable {
    /// No input vectors, or vectors with no coordinates.
    case noInputs(rule: String)
    /// Row `row` has `length` coordinates while row 0 has `expected`.
    case raggedInputs(rule: String, row: Int, length: Int, expected: Int)
    /// Coordinate `column` of row `row` is NaN or infinite.
    case nonFinite(rule: String, row: Int, column: Int, value: Float)
    /// `f` is too large for `inputs` vectors; `requirement` states the rule's condition.
    case tooManyFaulty(rule: String, f: Int, inputs: Int, requirement: String)
    /// A parameter outside its valid range, or a state that does not fit the inputs.
    case invalidParameter(rule: String, parameter: String, message: String)
    /// A rule or pre-aggregator name that does not exist.
    case unknownName(kind: String, name: String, known: [String])
    /// A parameter the rule does not take.
    case unknownParameter(rule: String, parameter: String, accepted: [String])
    /// Minimum-diameter averaging would have to examine more subsets than `limit`.
    case tooManySubsets(rule: String, subsets: Double, limit: Double)
    /// Inputs so large that their squared norms overflow `Float`.
    case overflow(rule: String, message: String)
    /// A LAPACK routine failed inside the rule.
    case linearAlgebra(rule: String, message: String)

    public var description: String {
        switch self {
        case .noInputs(let rule):
            return "\(rule): no input vectors (or vectors with no coordinates) to aggregate"
        case .raggedInputs(let rule, let row, let length, let expected):
            return "\(rule): row \(row) has \(length) coordinates but row 0 has \(expected); "
                + "all inputs must have the same length"
        case .nonFinite(let rule, let row, let column, let value):
            return "\(rule): row \(row), column \(column) is \(value); every coordinate must be finite"
        case .tooManyFaulty(let rule, let f, let inputs, let requirement):
            return "\(rule): f = \(f) is too large for \(inputs) inputs; \(requirement)"
        case .invalidParameter(let rule, let parameter, let message):
            return "\(rule): \(parameter) \(message)"
        case .unknownName(let kind, let name, let known):
            return "unknown \(kind) \"\(name)\"; known: \(known.joined(separator: ", "))"
        case .unknownParameter(let rule, let parameter, let accepted):
            let list = accepted.isEmpty ? "none" : accepted.joined(separator: ", ")
            return "\(rule) does not take the parameter \"\(parameter)\"; it takes: \(list)"
        case .tooManySubsets(let rule, let subsets, let limit):
            return "\(rule): \(subsets) subsets of inputs exceed the limit of \(limit); lower n or f"
        case .overflow(let rule, let message):
            return "\(rule): \(message)"
        case .linearAlgebra(let rule, let message):
            return "\(rule): \(message)"
        }
    }
}
