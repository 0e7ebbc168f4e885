import FedSimCore
import Foundation

/// How long one local job takes on each client: tau_i, in virtual seconds
/// (ALGORITHMS.md section 1).
///
/// The random kinds draw tau_i from `RandomStream(seed:, purpose: .speeds, client: i)`,
/// so a client's speed depends only on (seed, i), never on how many clients there are.
public enum ComputeProfile: Equatable, Sendable {
    /// Every client takes `seconds`.
    case constant(seconds: Double)
    /// The FedFix paper's "F-X" speeds, X = `heterogeneity` in [0, 100):
    /// tau_i = slowest * (1 - i * (X/100) / (M - 1)) for i = 0..M-1, so client 0 is the
    /// slowest and client M-1 takes (1 - X/100) * slowest. With M = 1, tau_0 = slowest.
    case linear(heterogeneity: Double, slowest: Double)
    /// tau_i ~ Exponential with the given mean.
    case exponential(mean: Double)
    /// tau_i = exp(z) with z ~ N(mu, sigma^2); the mean is exp(mu + sigma^2 / 2).
    case lognormal(mu: Double, sigma: Double)
    /// tau_i = the i-th value; one positive value per client.
    case trace([Double])

    /// Throws unless every parameter is in range for `clients` clients.
    func validate(clients: Int) throws {
        switch self {
        case .constant(let seconds):
            try SystemModelError.requirePositive(seconds, "compute constant seconds")
        case .linear(let heterogeneity, let slowest):
            guard heterogeneity >= 0, heterogeneity < 100 else {
                throw SystemModelError.outOfRange(
                    parameter: "compute linear heterogeneity", value: heterogeneity, allowed: "in [0, 100)")
            }
            try SystemModelError.requirePositive(slowest, "compute linear slowest")
        case .exponential(let mean):
            try SystemModelError.requirePositive(mean, "compute exponential mean")
        case .lognormal(let mu, let sigma):
            guard mu.isFinite else {
                throw SystemModelError.outOfRange(parameter: "compute lognormal mu", value: mu, allowed: "finite")
            }
            try SystemModelError.requireNonNegative(sigma, "compute lognormal sigma")
        case .trace(let seconds):
            guard seconds.count == clients else {
                throw SystemModelError.traceLength(profile: "compute", count: seconds.count, clients: clients)
            }
            for (client, value) in seconds.enumerated() {
                try SystemModelError.requirePositive(value, "compute trace value of client \(client)")
            }
        }
    }

    /// The mean of a random profile's draws (exponential: its mean; lognormal:
    /// exp(mu + sigma^2 / 2)); nil for the profiles that draw nothing.
    var meanJobSeconds: Double? {
        switch self {
        case .exponential(let mean): return mean
        case .lognormal(let mu, let sigma): return exp(mu + sigma * sigma / 2)
        case .constant, .linear, .trace: return nil
        }
    }

    /// A random profile's draw for `client` from the stream of counter `counter`: tau_i
    /// itself at counter 0, a job's own at its job number. Only for the random profiles.
    func drawnJobSeconds(client: Int, seed: UInt64, counter: Int) -> Double {
        var stream = RandomStream(seed: seed, purpose: .speeds, client: client, counter: counter)
        switch self {
        case .exponential(let mean): return stream.exponential(rate: 1 / mean)
        case .lognormal(let mu, let sigma): return exp(stream.normal(mean: mu, standardDeviation: sigma))
        case .constant, .linear, .trace: preconditionFailure("\(self) draws no job times")
        }
    }

    /// tau_i for i = 0..<clients. O(clients).
    func jobSeconds(clients: Int, seed: UInt64) -> [Double] {
        switch self {
        case .constant(let seconds):
            return Array(repeating: seconds, count: clients)
        case .linear(let heterogeneity, let slowest):
            guard clients > 1 else { return Array(repeating: slowest, count: clients) }
            let step = heterogeneity / 100 / Double(clients - 1)
            return (0..<clients).map { slowest * (1 - Double($0) * step) }
        case .exponential, .lognormal:
            return (0..<clients).map { drawnJobSeconds(client: $0, seed: seed, counter: 0) }
        case .trace(let seconds):
            return seconds
        }
    }
}
