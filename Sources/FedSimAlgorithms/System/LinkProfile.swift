import FedSimCore
import Foundation

/// A client's network link. Moving `bytes` one way takes
/// latency + bytes / (bandwidth * m_i) virtual seconds, where m_i is client i's bandwidth
/// multiplier (1 unless `bandwidthHeterogeneity` > 0). The latency is paid on every
/// transfer, even an empty one.
public struct LinkProfile: Equatable, Sendable {
    /// Seconds added to every transfer, >= 0. Default 0.
    public var latency: Double
    /// Bytes per second from server to client before the client's multiplier;
    /// nil (the default) means infinite.
    public var downloadBytesPerSecond: Double?
    /// Bytes per second from client to server before the client's multiplier;
    /// nil (the default) means infinite.
    public var uploadBytesPerSecond: Double?
    /// sigma of the per-client bandwidth multiplier m_i = exp(z), z ~ N(0, sigma^2),
    /// drawn from `RandomStream(seed:, purpose: .speeds, client: i, counter: 1)` and applied
    /// to both directions. Default 0: every client gets the nominal bandwidth.
    public var bandwidthHeterogeneity: Double

    public init(
        latency: Double = 0, downloadBytesPerSecond: Double? = nil, uploadBytesPerSecond: Double? = nil,
        bandwidthHeterogeneity: Double = 0
    ) {
        self.latency = latency
        self.downloadBytesPerSecond = downloadBytesPerSecond
        self.uploadBytesPerSecond = uploadBytesPerSecond
        self.bandwidthHeterogeneity = bandwidthHeterogeneity
    }

    /// Throws unless the latency and sigma are finite and >= 0 and each given bandwidth
    /// is finite and > 0.
    func validate() throws {
        try SystemModelError.requireNonNegative(latency, "link latency")
        if let downloadBytesPerSecond {
            try SystemModelError.requirePositive(downloadBytesPerSecond, "link download bytes per second")
        }
        if let uploadBytesPerSecond {
            try SystemModelError.requirePositive(uploadBytesPerSecond, "link upload bytes per second")
        }
        try SystemModelError.requireNonNegative(bandwidthHeterogeneity, "link bandwidth heterogeneity")
    }

    /// m_i for i = 0..<clients. O(clients).
    func bandwidthMultipliers(clients: Int, seed: UInt64) -> [Double] {
        (0..<clients).map { client in
            var stream = RandomStream(seed: seed, purpose: .speeds, client: client, counter: 1)
            return exp(bandwidthHeterogeneity * stream.normal())
        }
    }

    /// latency + bytes / (bytesPerSecond * multiplier); just the latency when the
    /// bandwidth is infinite.
    static func transferTime(bytes: Int, latency: Double, bytesPerSecond: Double?, multiplier: Double) -> Double {
        precondition(bytes >= 0, "cannot transfer \(bytes) bytes")
        guard let bytesPerSecond else { return latency }
        return latency + Double(bytes) / (bytesPerSecond * multiplier)
    }
}
