/// The scheduler's view of a `SystemModel`: every job downloads a model of
/// `downloadBytes`, computes for tau_i and uploads an update of `uploadBytes`, so the
/// link's share of a job's duration follows the real message sizes.
public struct SystemClock: JobClock, Sendable {
    public let system: SystemModel
    public let downloadBytes: Int
    public let uploadBytes: Int

    public init(system: SystemModel, downloadBytes: Int, uploadBytes: Int) {
        self.system = system
        self.downloadBytes = downloadBytes
        self.uploadBytes = uploadBytes
    }

    public func job(client: Int, ready: Double, number: Int) -> (start: Double, end: Double)? {
        system.job(client: client, readyAt: ready, downloadBytes: downloadBytes, uploadBytes: uploadBytes, number: number)
            .map { ($0.start, $0.end) }
    }

    /// download + tau_i + upload: a job's duration once it starts.
    public func expectedDuration(client: Int) -> Double {
        system.downloadTime(client: client, bytes: downloadBytes) + system.computeTime(client: client)
            + system.uploadTime(client: client, bytes: uploadBytes)
    }

    public func isOnline(client: Int, at time: Double) -> Bool {
        system.isOnline(client: client, at: time)
    }

    public func nextOnline(client: Int, atOrAfter time: Double) -> Double? {
        system.nextOnline(client: client, atOrAfter: time)
    }
}
