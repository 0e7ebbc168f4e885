import FedSimCore

/// Per-client RDP accounting for sample-level DP-SGD: each client's guarantee covers
/// only its own data, so it composes only the tasks that client ran, each with its own
/// sampling rate and step count.
///
/// Record every finished task with `record`; `spent(client:delta:)` is that client's
/// (epsilon, delta), and `worst(delta:)` the largest over the clients recorded, what a
/// run's summary reports. One-step RDP curves are cached per (q, sigma), so recording
/// costs O(orders) once a pair has been seen.
///
/// The accountant is a value: it encodes (without its cache) and compares by its
/// orders and budgets, so a run's privacy can be saved and resumed.
public struct PrivacyAccountant: Equatable, Codable, Sendable {
    /// The RDP orders every client's budget tracks.
    public let orders: [Double]
    private var budgets: [Int: RenyiBudget] = [:]
    private var curves: [CurveKey: [Double]] = [:]

    private enum CodingKeys: String, CodingKey {
        case orders, budgets
    }

    public static func == (lhs: PrivacyAccountant, rhs: PrivacyAccountant) -> Bool {
        lhs.orders == rhs.orders && lhs.budgets == rhs.budgets
    }

    private struct CurveKey: Hashable, Sendable {
        var samplingRate: Double
        var noiseMultiplier: Double
    }

    /// An accountant with no clients yet, over `orders` (Opacus's by default).
    /// - Throws: `PrivacyError.outOfRange` if `orders` is empty or an order is not finite and > 1.
    public init(orders: [Double] = SubsampledGaussian.defaultOrders) throws {
        _ = try RenyiBudget(orders: orders)
        self.orders = orders
    }

    /// The clients recorded so far, in increasing order.
    public var clients: [Int] { budgets.keys.sorted() }

    /// Adds `steps` DP-SGD steps of `client` with sampling rate q and noise multiplier sigma.
    /// - Throws: `PrivacyError.outOfRange` for q outside (0, 1], sigma not finite and
    ///   positive, or negative `steps`.
    public mutating func record(client: Int, samplingRate: Double, noiseMultiplier: Double, steps: Int) throws {
        try RenyiBudget.requireSteps(steps)
        let key = CurveKey(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        let curve: [Double]
        if let cached = curves[key] {
            curve = cached
        } else {
            curve = try SubsampledGaussian.rdp(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier,
                                               orders: orders)
            curves[key] = curve
        }
        var budget = try budgets[client] ?? RenyiBudget(orders: orders)
        budget.compose(curve: curve, steps: steps)
        budgets[client] = budget
    }

    /// Adds a finished DP-SGD task of `client`: its q and sigma, and the steps it took.
    /// - Throws: like `record(client:samplingRate:noiseMultiplier:steps:)`.
    public mutating func record(client: Int, _ privacy: DPSGDConfig, _ result: LocalTrainingResult) throws {
        try record(client: client, samplingRate: privacy.samplingRate, noiseMultiplier: privacy.noiseMultiplier,
                   steps: result.steps)
    }

    /// `client`'s guarantee at `delta`; nil if it has run no recorded task.
    /// - Throws: `PrivacyError.outOfRange` unless delta is in (0, 1).
    public func spent(client: Int, delta: Double) throws -> PrivacySpent? {
        try PrivacyError.requireDelta(delta)
        return try budgets[client]?.spent(delta: delta)
    }

    /// The client with the largest epsilon at `delta` (the smallest id on ties) and its
    /// guarantee; nil before any task is recorded. O(clients * orders).
    /// - Throws: `PrivacyError.outOfRange` unless delta is in (0, 1).
    public func worst(delta: Double) throws -> (client: Int, spent: PrivacySpent)? {
        try PrivacyError.requireDelta(delta)
        var worst: (client: Int, spent: PrivacySpent)?
        for client in clients {
            let spent = try budgets[client]!.spent(delta: delta)
            if worst.map({ spent.epsilon > $0.spent.epsilon }) ?? true { worst = (client, spent) }
        }
        return worst
    }
}
