import Foundation

/// The staleness damping a scenario can name (`server.staleness.kind`).
public enum StalenessKind: String, Sendable, CaseIterable {
    case constant, polynomial, hinge
}

/// Staleness damping s(staleness) of an asynchronous update (Xie et al. 2019, FedAsync).
public enum StalenessDamping: Equatable, Codable, Sendable {
    /// s = 1.
    case constant
    /// s = (1 + staleness)^(-a).
    case polynomial(a: Double)
    /// s = 1 while staleness <= b, then 1 / (a (staleness - b) + 1).
    case hinge(a: Double, b: Double)

    public func factor(_ staleness: Int) -> Double {
        let s = Double(staleness)
        switch self {
        case .constant: return 1
        case let .polynomial(a): return pow(1 + s, -a)
        case let .hinge(a, b): return s <= b ? 1 : 1 / (a * (s - b) + 1)
        }
    }
}

/// Asynchronous FedAvg (FedAsync), ALGORITHMS.md section 1: the server aggregates each
/// update as it returns, d_i = (sum_j 1/tau_j) tau_i p_i ("weight") or 1 ("identical"),
/// times s(staleness); the client then restarts from the new model.
public struct FedAsync: ServerStrategy {
    public static let name = "fedasync"
    public var weighting: AsyncWeighting
    public var damping: StalenessDamping
    private var pool: TrainingPool

    /// - Parameter concurrency: clients training at once (nil: every client).
    public init(weighting: AsyncWeighting = .weight, damping: StalenessDamping = .constant, concurrency: Int? = nil) {
        self.weighting = weighting
        self.damping = damping
        pool = TrainingPool(concurrency: concurrency)
    }

    public static let fields = ["staleness", "async_weighting", "concurrency"]
    public static var appliesOneUpdateAtATime: Bool { true }

    /// `concurrency` (every client), `staleness` (`kind` constant, polynomial with `a`
    /// 0.5, or hinge with `a` 10 and `b` 4), `async_weighting` (weight).
    public init(reading reader: some SettingsReader, clients: Int) {
        let concurrency = TrainingPool.concurrency(reader, clients: clients)
        let staleness = reader.section("staleness")
        let damping: StalenessDamping
        switch staleness.choice("kind", default: StalenessKind.constant) {
        case .constant: damping = .constant
        case .polynomial: damping = .polynomial(a: staleness.number("a", default: 0.5, in: 0...1e6, excludingLowerBound: false))
        case .hinge:
            damping = .hinge(a: staleness.number("a", default: 10, in: 0...1e6, excludingLowerBound: false),
                             b: staleness.number("b", default: 4, in: 0...1e12, excludingLowerBound: false))
        }
        staleness.finish()
        self.init(weighting: reader.choice("async_weighting", default: .weight), damping: damping,
                  concurrency: concurrency)
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("async_weighting", weighting.rawValue)
        pool.writeSettings(to: &writer)
        writer.section("staleness") { staleness in
            switch damping {
            case .constant:
                staleness.write("kind", StalenessKind.constant.rawValue)
            case let .polynomial(a):
                staleness.write("kind", StalenessKind.polynomial.rawValue)
                staleness.write("a", a)
            case let .hinge(a, b):
                staleness.write("kind", StalenessKind.hinge.rawValue)
                staleness.write("a", a)
                staleness.write("b", b)
            }
        }
    }

    public var updatesPerStep: Int? { 1 }

    public mutating func begin(_ scheduler: inout Scheduler) {
        pool.begin(&scheduler)
    }

    public mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler) {
        let base: Double
        switch weighting {
        case .weight:
            base = scheduler.updateRate * scheduler.expectedDurations[job.client] * scheduler.sampleShare(job.client)
        case .identical:
            base = 1
        }
        let weight = base * damping.factor(scheduler.version - job.version)
        scheduler.aggregate([Contribution(job: job, weight: weight)])
        pool.restart(after: [job], &scheduler)
    }

    public mutating func timerFired(_ scheduler: inout Scheduler) {}
}
