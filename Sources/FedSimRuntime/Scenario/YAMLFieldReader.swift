import FedSimAlgorithms
import Yams

/// Collects the problems found while reading one scenario file.
final class ScenarioDiagnostics {
    let file: String
    private(set) var issues: [ScenarioIssue] = []
    /// Where every field read is recorded, when the fields themselves are being listed.
    var recorder: FieldRecorder?

    init(file: String) {
        self.file = file
    }

    func report(at node: Node?, field: String, _ message: String) {
        let mark = node?.mark
        issues.append(ScenarioIssue(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1,
                                    field: field, message: message))
    }
}

/// Reads the fields of one YAML mapping, checking types and ranges and remembering
/// which keys were read, so that `finish()` can name every key nobody asked for.
final class YAMLFieldReader: SettingsReader {
    private let diagnostics: ScenarioDiagnostics
    /// Dotted path of this mapping ("" for the document root).
    let path: String
    /// The mapping node itself, for "missing field" locations.
    let node: Node?
    private let entries: [(key: String, keyNode: Node, value: Node)]
    private var read: Set<String> = []
    /// Keys whose presence was asked (`has`) before they were read: reading them then
    /// says nothing of whether they are required.
    private var probed: Set<String> = []
    /// Keys recorded so far (only while recording).
    private var recorded: Set<String> = []

    init(_ node: Node?, path: String, diagnostics: ScenarioDiagnostics) {
        self.diagnostics = diagnostics
        self.path = path
        self.node = node
        if let mapping = node?.mapping {
            entries = mapping.map { (key: $0.key.string ?? "", keyNode: $0.key, value: $0.value) }
        } else {
            entries = []
            if let node, node.null == nil {
                diagnostics.report(at: node, field: path, "must be a mapping of fields")
            }
        }
    }

    private func fieldPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// Problems found so far in the whole file.
    var issueCount: Int { diagnostics.issues.count }

    /// Records a problem with field `key` of this mapping, located at `node`.
    func report(_ node: Node?, _ key: String, _ message: String) {
        diagnostics.report(at: node, field: fieldPath(key), message)
    }

    /// Records a problem with field `key`, located at its value (at this mapping when
    /// absent); the field counts as read, so `finish` does not report it again.
    func report(_ key: String, _ message: String) {
        read.insert(key)
        report(entries.first { $0.key == key }?.value ?? node, key, message)
    }

    /// The value node of `key`, marking it read; nil (and an issue if `required`) when absent.
    /// The field is recorded as one with rules of its own (`ScenarioField.Kind.value`).
    func value(_ key: String, required: Bool = false) -> Node? {
        field(key, as: .value, required: required, fallback: nil)
    }

    /// `lookup(key, required:)`, the read recorded as `kind` with `fallback`.
    private func field(_ key: String, as kind: ScenarioField.Kind, required: Bool, fallback: String?) -> Node? {
        record(key, kind, required: required, fallback: fallback)
        return lookup(key, required: required)
    }

    /// Records a read of `key` as `kind`, with `fallback` standing for an absent value.
    private func record(_ key: String, _ kind: ScenarioField.Kind, required: Bool, fallback: String?) {
        guard let recorder = diagnostics.recorder else { return }
        let isAbsent = !entries.contains { $0.key == key }
        // Only a first read, not after a look at the field, says whether it is required.
        let isFirst = recorded.insert(key).inserted && !probed.contains(key)
        recorder.record(path: ScenarioFields.generalized(fieldPath(key)), kind: kind,
                        required: required && isFirst, fallback: isAbsent ? fallback : nil)
    }

    /// The value node of `key`, marking it read; nil (and an issue if `required`) when absent.
    private func lookup(_ key: String, required: Bool) -> Node? {
        read.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else {
            // Under an absent section only the section itself is reported missing.
            if required, node != nil { report(node, key, "missing field '\(key)'") }
            return nil
        }
        return entry.value
    }

    /// The mapping's keys, in file order.
    var keys: [String] { entries.map(\.key) }

    func has(_ key: String) -> Bool {
        if diagnostics.recorder != nil, !recorded.contains(key) { probed.insert(key) }
        return entries.contains { $0.key == key }
    }

    /// A reader of `node`, an element of this mapping's list field `key`, at `index`
    /// (its fields' paths are `key[index].field`).
    func element(_ node: Node, of key: String, at index: Int) -> YAMLFieldReader {
        YAMLFieldReader(node, path: fieldPath("\(key)[\(index)]"), diagnostics: diagnostics)
    }

    /// A nested mapping.
    func section(_ key: String, required: Bool = false) -> YAMLFieldReader {
        YAMLFieldReader(field(key, as: .section, required: required, fallback: nil), path: fieldPath(key),
                        diagnostics: diagnostics)
    }

    func string(_ key: String, default fallback: String? = nil) -> String? {
        guard let node = field(key, as: .string, required: fallback == nil, fallback: fallback) else { return fallback }
        guard node.scalar != nil, let text = node.string else {
            report(node, key, "must be a string")
            return fallback
        }
        return text
    }

    func integer(_ key: String, default fallback: Int? = nil, in range: ClosedRange<Int>) -> Int {
        guard let node = field(key, as: .integer(range), required: fallback == nil, fallback: fallback.map { "\($0)" })
        else { return fallback ?? range.lowerBound }
        guard let number = node.int else {
            report(node, key, "must be an integer, got '\(node.string ?? "a \(node.typeName)")'")
            return fallback ?? range.lowerBound
        }
        guard range.contains(number) else {
            report(node, key, "must be in \(range.lowerBound)...\(range.upperBound == .max ? "" : "\(range.upperBound)"), got \(number)")
            return fallback ?? range.lowerBound
        }
        return number
    }

    func number(_ key: String, default fallback: Double? = nil, in range: ClosedRange<Double>,
                excludingLowerBound: Bool = false) -> Double {
        guard let node = field(key, as: .number(range, excludingLowerBound: excludingLowerBound),
                               required: fallback == nil, fallback: fallback.map(ScenarioField.format))
        else { return fallback ?? range.lowerBound }
        guard let number = node.float, number.isFinite else {
            report(node, key, "must be a number, got '\(node.string ?? "a \(node.typeName)")'")
            return fallback ?? range.lowerBound
        }
        let aboveLower = excludingLowerBound ? number > range.lowerBound : number >= range.lowerBound
        guard aboveLower, number <= range.upperBound else {
            let lower = excludingLowerBound ? "greater than \(range.lowerBound)" : "at least \(range.lowerBound)"
            let upper = range.upperBound == .infinity ? "" : " and at most \(range.upperBound)"
            report(node, key, "must be \(lower)\(upper), got \(number)")
            return fallback ?? range.lowerBound
        }
        return number
    }

    /// One of an enumeration's raw values.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice? = nil) -> Choice
    where Choice.RawValue == String {
        let text = name(key, among: Choice.allCases.map(\.rawValue), default: fallback?.rawValue)
        return Choice(rawValue: text) ?? fallback ?? Choice.allCases.first!
    }

    /// One of `names`; an unknown name is reported and `fallback` (else the first name)
    /// returned.
    func name(_ key: String, among names: [String], default fallback: String? = nil) -> String {
        guard let node = field(key, as: .choice(names), required: fallback == nil, fallback: fallback)
        else { return fallback ?? names[0] }
        guard let text = node.string, node.scalar != nil, names.contains(text) else {
            let given = node.string.map { "'\($0)'" } ?? "a \(node.typeName)"
            report(node, key, "unknown value \(given); expected one of \(names.joined(separator: ", "))"
                   + Self.suggestion(for: node.string ?? "", among: names))
            return fallback ?? names[0]
        }
        return text
    }

    func integerList(_ key: String, default fallback: [Int], elementsIn range: ClosedRange<Int>) -> [Int] {
        guard let node = field(key, as: .integerList(range), required: false,
                               fallback: "[\(fallback.map(String.init).joined(separator: ", "))]") else { return fallback }
        guard let sequence = node.sequence else {
            report(node, key, "must be a list of integers, like [64, 32]")
            return fallback
        }
        var values: [Int] = []
        for element in sequence {
            guard let number = element.int, range.contains(number) else {
                report(element, key, "every entry must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(element.string ?? element.typeName)'")
                return fallback
            }
            values.append(number)
        }
        return values
    }

    /// A list of two numbers `[low, high]` with low <= high, both in `range`.
    func numberRange(_ key: String, default fallback: ClosedRange<Double>, in range: ClosedRange<Double>)
        -> ClosedRange<Double> {
        guard let node = field(key, as: .numberPair(range), required: false,
                               fallback: "[\(ScenarioField.format(fallback.lowerBound)), \(ScenarioField.format(fallback.upperBound))]")
        else { return fallback }
        guard let pair = node.sequence?.compactMap(\.float), pair.count == 2, node.sequence?.count == 2,
              pair.allSatisfy({ range.contains($0) }), pair[0] <= pair[1] else {
            report(node, key, "must be a list of two numbers [low, high] with low <= high, both in "
                   + "\(range.lowerBound)...\(range.upperBound), like [\(fallback.lowerBound), \(fallback.upperBound)]")
            return fallback
        }
        return pair[0]...pair[1]
    }

    /// Counts `keys` as fields of this mapping, read or not: `finish` suggests them for a
    /// misspelled field and lists them among the fields here.
    func recognize(_ keys: [String]) {
        read.formUnion(keys)
    }

    /// Number field `key`, one of the numeric parameters a rule takes by name (a robust
    /// rule's `f`, `tau`, ...): recorded as the field `<parameter>`.
    func parameter(_ key: String, in range: ClosedRange<Double>) -> Double {
        reading("<parameter>", as: .number(range, excludingLowerBound: false)) { number(key, in: range) }
    }

    func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>, documentedDefault: String) -> Int {
        reading(key, as: .integer(range), documentedDefault: documentedDefault) {
            integer(key, default: fallback, in: range)
        }
    }

    /// What `body` reads of field `key`, recorded as `kind` with `documentedDefault` instead
    /// of as `body` reads it: for a field whose bounds or default come from other settings
    /// (`attack.count` at most `partition.clients`), or that its reader checks further.
    func reading<Result>(_ key: String, as kind: ScenarioField.Kind, required: Bool = false,
                         documentedDefault: String? = nil, _ body: () -> Result) -> Result {
        record(key, kind, required: required, fallback: documentedDefault)
        let recorder = diagnostics.recorder
        diagnostics.recorder = nil
        defer { diagnostics.recorder = recorder }
        return body()
    }

    /// Reports every key of this mapping that was never read. A field that this mapping
    /// may hold (`ScenarioFields`) but these settings do not read is said not to apply; any
    /// other key is unknown, with the closest field name suggested and the fields listed.
    func finish() {
        let catalogued = ScenarioFields.names(inside: ScenarioFields.generalized(path)).filter { !$0.hasPrefix("<") }
        let known = read.union(catalogued).sorted()
        for entry in entries where !read.contains(entry.key) {
            if catalogued.contains(entry.key) {
                report(entry.keyNode, entry.key, "field '\(entry.key)' does not apply with these settings "
                       + "(fedsim fields \(ScenarioFields.generalized(fieldPath(entry.key))) says what it is for)")
            } else {
                report(entry.keyNode, entry.key,
                       "unknown field '\(entry.key)'" + Self.suggestion(for: entry.key, among: known)
                       + (known.isEmpty ? "" : " (fields here: \(known.joined(separator: ", ")))"))
            }
        }
    }

    /// "; did you mean 'x'?" for the closest candidate within a small edit distance.
    static func suggestion(for word: String, among candidates: [String]) -> String {
        let scored = candidates.map { (candidate: $0, distance: editDistance(word.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }),
              best.distance <= max(2, best.candidate.count / 3) else { return "" }
        return "; did you mean '\(best.candidate)'?"
    }

    /// Levenshtein distance, O(|a| |b|).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, charA) in a.enumerated() {
            var current = [i + 1]
            for (j, charB) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (charA == charB ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Node {
    /// "mapping", "list" or "scalar", for error messages.
    var typeName: String {
        switch self {
        case .mapping: return "mapping"
        case .sequence: return "list"
        case .scalar: return "scalar"
        case .alias: return "alias"
        }
    }
}
