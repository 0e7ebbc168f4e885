import Foundation

/// One field a scenario file may hold, as `ScenarioLoader` reads it: its dotted path
/// (`server.rounds`; `[]` stands for any element of a list, `<parameter>` for any name a
/// rule takes), the types the loader accepts there, and whether it is required or what
/// it defaults to. `ScenarioFields.all` lists every field; its meaning is in
/// `ScenarioFields.meanings`.
public struct ScenarioField: Equatable, Sendable {
    /// What the loader accepts as a field's value.
    public enum Kind: Equatable, Sendable {
        /// A mapping of further fields.
        case section
        case integer(ClosedRange<Int>)
        /// A number in the range, above its lower bound when `excludingLowerBound`.
        case number(ClosedRange<Double>, excludingLowerBound: Bool)
        /// A number strictly between the range's bounds.
        case openNumber(ClosedRange<Double>)
        /// One of these names.
        case choice([String])
        case string
        /// A list of integers, each in the range.
        case integerList(ClosedRange<Int>)
        /// A list `[low, high]`, low <= high, both in the range.
        case numberPair(ClosedRange<Double>)
        /// A value with rules of its own (a list of stages, a path or a mapping, ...),
        /// which the field's meaning states.
        case value
    }

    /// Whether a scenario must give the field.
    public enum Presence: Equatable, Sendable {
        case required
        /// Absent means unset (the meaning says what then happens).
        case optional
        /// Absent means this value; a field whose default depends on other settings has several.
        case defaults([String])
    }

    public let path: String
    /// The kinds the loader accepts, one per distinct way it reads the field.
    public let kinds: [Kind]
    public let presence: Presence

    public init(_ path: String, _ kinds: [Kind], _ presence: Presence) {
        self.path = path
        self.kinds = kinds
        self.presence = presence
    }

    /// The path's last component.
    public var name: String {
        String(path[(path.lastIndex(of: ".").map { path.index(after: $0) } ?? path.startIndex)...])
    }

    /// The path of the mapping holding the field ("" at the top of the file).
    public var parent: String {
        path.lastIndex(of: ".").map { String(path[..<$0]) } ?? ""
    }
}

extension ScenarioField.Kind {
    /// How documentation states the kind: "integer ≥ 1", "one of: sgd, adam", ...
    public var description: String {
        switch self {
        case .section: return "section"
        case .string: return "string"
        case .value: return "see meaning"
        case let .integer(range): return "integer \(Self.describe(range))".trimmingCharacters(in: .whitespaces)
        case let .integerList(range): return "list of integers \(Self.describe(range))".trimmingCharacters(in: .whitespaces)
        case let .number(range, excluding):
            return "number \(Self.describe(range, excludingLowerBound: excluding))".trimmingCharacters(in: .whitespaces)
        case let .openNumber(range):
            return "number in (\(ScenarioField.format(range.lowerBound)), \(ScenarioField.format(range.upperBound)))"
        case let .numberPair(range):
            return "[low, high]\(Self.describe(range, excludingLowerBound: false).isEmpty ? "" : ", both ")"
                + Self.describe(range, excludingLowerBound: false)
        case let .choice(names): return "one of: " + names.joined(separator: ", ")
        }
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        if range.lowerBound == .min { return "" }
        return range.upperBound == .max ? "≥ \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
    }

    private static func describe(_ range: ClosedRange<Double>, excludingLowerBound: Bool) -> String {
        let lower = ScenarioField.format(range.lowerBound), upper = ScenarioField.format(range.upperBound)
        if range.lowerBound <= -1e6, range.upperBound >= 1e6 { return "" }
        if range.upperBound >= 1e6 { return (excludingLowerBound ? "> " : "≥ ") + lower }
        return excludingLowerBound ? "in (\(lower), \(upper)]" : "in \(lower)...\(upper)"
    }
}

extension ScenarioField {
    /// A number as a scenario file would write it: `1`, `0.5`, `1e-06`.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    /// The field's type as documentation states it.
    public var typeDescription: String {
        kinds.map(\.description).joined(separator: "; or ")
    }

    /// "required", "unset" or the default value(s).
    public var presenceDescription: String {
        switch presence {
        case .required: return "required"
        case .optional: return "unset"
        case let .defaults(values): return values.joined(separator: " or ")
        }
    }
}

/// Every scenario field (`all`, made from what the loader reads: see `FieldRecorder`)
/// and what each means (`meanings`).
public enum ScenarioFields {
    /// The fields directly inside the mapping at `path` ("" for the top of the file;
    /// list elements as `key[]`), by name.
    public static func names(inside path: String) -> [String] {
        byParent[path] ?? []
    }

    /// The field at `path`, if there is one.
    public static func field(at path: String) -> ScenarioField? {
        byPath[path]
    }

    /// `path` with every list index written as `[]`: `model.layers[2].conv` is
    /// `model.layers[].conv`.
    public static func generalized(_ path: String) -> String {
        var result = ""
        var inIndex = false
        for character in path {
            if character == "[" { inIndex = true; result.append("[") } else if character == "]" {
                inIndex = false; result.append("]")
            } else if !inIndex { result.append(character) }
        }
        return result
    }

    private static let byPath = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })
    private static let byParent = Dictionary(grouping: all, by: \.parent).mapValues { $0.map(\.name) }
}
