import FedSimCore

/// One problem in a scenario file, located by line and column and named by its
/// dotted field path (`training.batch_size`).
public struct ScenarioIssue: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var field: String
    public var message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file):\(line):\(column): error: \(field.isEmpty ? "" : "\(field): ")\(message)"
    }
}

/// Every problem found in a scenario file; a file with any problem is not run.
public struct ScenarioError: FedSimError, Equatable {
    public var issues: [ScenarioIssue]

    public init(issues: [ScenarioIssue]) {
        self.issues = issues
    }

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
