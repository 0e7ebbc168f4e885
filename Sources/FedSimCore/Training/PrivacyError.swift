/// A differential-privacy parameter fedsim cannot use, or a privacy target it cannot meet.
public enum PrivacyError: FedSimError, Equatable, Sendable {
    /// `parameter` lies outside the values it may take; `allowed` says which.
    case outOfRange(parameter: String, value: Double, allowed: String)
    /// No noise multiplier reaches `epsilon` at `delta`: with the accountant's orders the
    /// epsilon only approaches `floor` as the noise grows.
    case unreachableTarget(epsilon: Double, delta: Double, floor: Double)

    public var description: String {
        switch self {
        case .outOfRange(let parameter, let value, let allowed):
            let shown = value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
            return "\(parameter) must be \(allowed), got \(shown)"
        case .unreachableTarget(let epsilon, let delta, let floor):
            return "target epsilon \(epsilon) is unreachable at delta \(delta): however large the noise, "
                + "the accountant cannot certify less than epsilon \(floor); raise the target or delta"
        }
    }

    /// Throws `outOfRange` unless `value` is in (0, 1]: a Poisson sampling rate.
    public static func requireSamplingRate(_ value: Double, _ parameter: String = "sampling rate q") throws {
        guard value > 0, value <= 1 else {
            throw outOfRange(parameter: parameter, value: value, allowed: "in (0, 1]")
        }
    }

    /// Throws `outOfRange` unless `value` is finite and > 0.
    public static func requirePositive(_ value: Double, _ parameter: String) throws {
        guard value.isFinite, value > 0 else {
            throw outOfRange(parameter: parameter, value: value, allowed: "finite and > 0")
        }
    }

    /// Throws `outOfRange` unless `value` is in (0, 1): the delta of (epsilon, delta)-DP.
    public static func requireDelta(_ value: Double) throws {
        guard value > 0, value < 1 else {
            throw outOfRange(parameter: "delta", value: value, allowed: "in (0, 1)")
        }
    }
}
