/// A section of a scenario file written back as YAML, one `key: value` line per field,
/// so a run folder's scenario.yaml reads again as the same settings.
public struct SettingsWriter: Sendable {
    /// The lines written so far, indented.
    public private(set) var lines: [String] = []
    private let indent: String

    /// A writer whose lines start with `indent`.
    public init(indent: String) {
        self.indent = indent
    }

    /// Writes `key: value`, the value in its Swift description (`0.5`, `1.0`, `fedavg`).
    public mutating func write(_ key: String, _ value: some CustomStringConvertible) {
        lines.append("\(indent)\(key): \(value)")
    }

    /// Writes the nested section `key`, its fields written by `body` one level deeper.
    public mutating func section(_ key: String, _ body: (inout SettingsWriter) -> Void) {
        lines.append("\(indent)\(key):")
        var nested = SettingsWriter(indent: indent + "  ")
        body(&nested)
        lines += nested.lines
    }
}
