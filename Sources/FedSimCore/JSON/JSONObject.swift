/// A JSON object whose keys keep the order they were added in, so the same values
/// always serialize to the same bytes.
public struct JSONObject: Sendable, CustomStringConvertible {
    private var fields: [(key: String, text: String)] = []

    public init() {}

    public mutating func set(_ key: String, _ value: Int) {
        fields.append((key, String(value)))
    }

    public mutating func set(_ key: String, _ value: UInt64) {
        fields.append((key, String(value)))
    }

    /// Finite doubles in Swift's shortest round-trip form; NaN and infinities as null.
    public mutating func set(_ key: String, _ value: Double?) {
        fields.append((key, Self.number(value)))
    }

    /// An array of numbers, each as `set(_:_: Double?)` writes one.
    public mutating func set(_ key: String, _ values: [Double]) {
        fields.append((key, "[" + values.map { Self.number($0) }.joined(separator: ",") + "]"))
    }

    /// Integral values below 1e15 without a fraction, other finite ones in Swift's
    /// shortest round-trip form, NaN, infinities and nil as null.
    private static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    public mutating func set(_ key: String, _ value: String) {
        fields.append((key, Self.quote(value)))
    }

    public mutating func set(_ key: String, _ value: JSONObject) {
        fields.append((key, value.description))
    }

    public mutating func set(_ key: String, _ value: Bool) {
        fields.append((key, value ? "true" : "false"))
    }

    public mutating func set(_ key: String, _ values: [JSONObject]) {
        fields.append((key, "[" + values.map(\.description).joined(separator: ",") + "]"))
    }

    public mutating func set(_ key: String, _ values: [Int]) {
        fields.append((key, "[" + values.map(String.init).joined(separator: ",") + "]"))
    }

    /// Adds `other`'s fields after this object's, in their order.
    public mutating func append(contentsOf other: JSONObject) {
        fields += other.fields
    }

    /// The fields whose value is a number, in order, with that number: what the `Int`,
    /// `UInt64` and `Double?` setters wrote, but for null. O(n) in the fields' text.
    public var numbers: [(key: String, value: Double)] {
        fields.compactMap { field in
            guard let value = Double(field.text), value.isFinite else { return nil }
            return (field.key, value)
        }
    }

    /// One line, no spaces.
    public var description: String {
        "{" + fields.map { "\(Self.quote($0.key)):\($0.text)" }.joined(separator: ",") + "}"
    }

    /// Indented, one field per line.
    public var pretty: String {
        "{\n" + fields.map { "  \(Self.quote($0.key)): \($0.text)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    public static func quote(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
