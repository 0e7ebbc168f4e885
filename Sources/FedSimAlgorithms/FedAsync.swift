import Foundation

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
