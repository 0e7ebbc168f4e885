import Yams

/// A scenario field set from the command line, `field.path=value` with the value in YAML,
/// and the option that set it, which errors name: `--set`, or `fedsim sweep`'s `--grid`.
public struct ScenarioOverride: Equatable, Sendable {
    public var assignment: String
    public var option: String

    public init(_ assignment: String, option: String) {
        self.assignment = assignment
        self.option = option
    }

    /// The dotted path before the `=`.
    var field: String { String(assignment.prefix { $0 != "=" }) }
}

/// Overrides applied to the YAML tree before it is read.
extension ScenarioLoader {
    /// `root` with the field `override` names set to its value (null removes it),
    /// creating the mappings on its path as needed.
    static func applying(_ override: ScenarioOverride, to root: Node?) throws -> Node? {
        let assignment = override.assignment
        func problem(_ message: String) -> ScenarioError {
            ScenarioError(issues: [ScenarioIssue(file: override.option, line: 1, column: 1, field: override.field,
                                                 message: "\(message) in '\(assignment)'")])
        }
        guard let equals = assignment.firstIndex(of: "=") else { throw problem("expected field.path=value") }
        let path = assignment[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.contains(where: \.isEmpty) else { throw problem("empty field name") }
        let value: Node?
        do {
            value = try Yams.compose(yaml: String(assignment[assignment.index(after: equals)...]))
        } catch {
            throw problem("the value is not YAML")
        }
        func set(_ keys: ArraySlice<String>, in node: Node?) throws -> Node? {
            guard let key = keys.first else { return value?.null == nil ? value : nil }
            var mapping: Node.Mapping
            switch node {
            case .none: mapping = Node.Mapping([])
            case let .some(node) where node.null != nil: mapping = Node.Mapping([])
            case let .some(.mapping(existing)): mapping = existing
            case .some: throw problem("'\(key)' is inside a field that is not a mapping")
            }
            mapping[key] = try set(keys.dropFirst(), in: mapping[key])
            return .mapping(mapping)
        }
        return try set(path[...], in: root)
    }
}
