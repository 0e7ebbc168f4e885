/// Where a pluggable part of fedsim (a server algorithm) reads its settings: the fields
/// of one section of a scenario file. A reader checks each field's type and range and
/// reports every problem with its location, handing back a usable fallback so that
/// reading goes on and all of a file's problems are found at once.
public protocol SettingsReader {
    /// Whether the section has field `key`.
    func has(_ key: String) -> Bool
    /// Integer field `key` in `range`; required when `fallback` is nil.
    func integer(_ key: String, default fallback: Int?, in range: ClosedRange<Int>) -> Int
    /// Integer field `key` in `range` whose default, `fallback`, comes from other settings;
    /// `documentedDefault` says how (`"2 clients_per_round"`) where fields are listed.
    func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>, documentedDefault: String) -> Int
    /// Number field `key` in `range` (above its lower bound when `excludingLowerBound`);
    /// required when `fallback` is nil.
    func number(_ key: String, default fallback: Double?, in range: ClosedRange<Double>,
                excludingLowerBound: Bool) -> Double
    /// Field `key` naming one of `Choice`'s cases; required when `fallback` is nil.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice?) -> Choice
    where Choice.RawValue == String
    /// The nested section `key`; an absent one has no fields.
    func section(_ key: String, required: Bool) -> Self
    /// Records a problem with field `key`, located at its value, or at the section when
    /// the field is absent.
    func report(_ key: String, _ message: String)
    /// Reports every field of the section that was never read.
    func finish()
}

extension SettingsReader {
    public func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>,
                        documentedDefault: String) -> Int {
        integer(key, default: fallback, in: range)
    }

    /// Integer field `key` in `range`, nil when absent.
    public func optionalInteger(_ key: String, in range: ClosedRange<Int>) -> Int? {
        has(key) ? integer(key, default: nil, in: range) : nil
    }

    /// Number field `key` in `range`, nil when absent.
    public func optionalNumber(_ key: String, in range: ClosedRange<Double>, excludingLowerBound: Bool = false) -> Double? {
        has(key) ? number(key, default: nil, in: range, excludingLowerBound: excludingLowerBound) : nil
    }

    /// The nested section `key`, which may be absent.
    public func section(_ key: String) -> Self {
        section(key, required: false)
    }
}
