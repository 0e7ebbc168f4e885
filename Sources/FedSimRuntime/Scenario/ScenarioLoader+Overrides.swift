import Yams

/// `--set field.path=value` overrides, applied to the YAML tree before it is read.
extension ScenarioLoader {
    /// `root` with the field an override names set to its value (null removes it),
    /// creating the mappings on its path as needed.
    static func applying(_ override: String, to root: Node?) throws -> Node? {
        func problem(_ message: String) -> ScenarioError {
            ScenarioError(issues: [ScenarioIssue(file: "--set", line: 1, column: 1, field: String(override.prefix { $0 != "=" }),
                                                 message: "\(message) in '\(override)'")])
        }
        guard let equals = override.firstIndex(of: "=") else { throw problem("expected field.path=value") }
        let path = override[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.contains(where: \.isEmpty) else { throw problem("empty field name") }
        let value: Node?
        do {
            value = try Yams.compose(yaml: String(override[override.index(after: equals)...]))
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
