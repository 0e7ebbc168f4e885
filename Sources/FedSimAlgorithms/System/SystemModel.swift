import Foundation

/// When one client's job runs in virtual time.
public struct JobTiming: Equatable, Sendable {
    /// When the client, ready and online, starts downloading the model.
    public var start: Double
    /// When its upload has arrived.
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }
}

/// The simulated world of DESIGN.md "Simulated time and determinism": how long each
/// client computes, how slow its link is, and when it is online, in virtual seconds.
///
/// Every answer is a pure function of (profiles, clients, seed, arguments): the same
/// numbers whatever order queries come in and whichever thread asks. `.onOff`
/// availability is drawn lazily and cached behind a lock; everything else is computed
/// up front (O(clients)) or on demand.
///
/// Times are virtual seconds >= 0; client ids are 0..<clients. Passing anything else is
/// a programming error and traps.
public final class SystemModel: @unchecked Sendable {
    /// How many periods `nextOnline` examines under `.probability` availability before
    /// concluding the client never comes back: 1_000_000, so a query costs at most that
    /// many stream draws and never hangs. With p >= 1e-4 giving up has probability
    /// below e^-100.
    public static let probabilityScanLimit = 1_000_000

    public let compute: ComputeProfile
    /// Whether every job draws its own tau from the client's random compute profile
    /// (exponential or lognormal), keyed by client and job number, instead of the
    /// client keeping one tau_i for the whole run.
    public let redrawsCompute: Bool
    public let link: LinkProfile
    public let availability: AvailabilityProfile
    public let clients: Int
    public let seed: UInt64

    private let jobSeconds: [Double]
    private let bandwidthMultipliers: [Double]
    /// Guards `timelines`, the only state that changes after init.
    private let timelinesLock = NSLock()
    private var timelines: [OnOffTimeline]

    /// Checks every profile and draws the per-client speeds and bandwidth multipliers.
    /// O(clients), plus the size of any trace.
    ///
    /// - Throws: `SystemModelError` naming the first parameter out of range, or the
    ///   first client whose drawn compute time is not finite and positive.
    public init(
        compute: ComputeProfile, link: LinkProfile = LinkProfile(), availability: AvailabilityProfile = .always,
        clients: Int, seed: UInt64, redrawsCompute: Bool = false
    ) throws {
        guard clients > 0 else { throw SystemModelError.clientCount(clients) }
        try compute.validate(clients: clients)
        if redrawsCompute, compute.meanJobSeconds == nil {
            throw SystemModelError.redrawNeedsRandomProfile
        }
        self.redrawsCompute = redrawsCompute
        try link.validate()
        try availability.validate(clients: clients)
        self.compute = compute
        self.link = link
        self.availability = availability
        self.clients = clients
        self.seed = seed
        jobSeconds = compute.jobSeconds(clients: clients, seed: seed)
        // Extreme random parameters (say mu = 800) can draw times that overflow to
        // infinity or underflow to 0; the clock needs every tau_i finite and positive.
        for (client, seconds) in jobSeconds.enumerated() {
            try SystemModelError.requirePositive(seconds, "compute time drawn for client \(client)")
        }
        bandwidthMultipliers = link.bandwidthMultipliers(clients: clients, seed: seed)
        if case .onOff(let meanOnline, let meanOffline) = availability {
            timelines = (0..<clients).map {
                OnOffTimeline(seed: seed, client: $0, meanOnline: meanOnline, meanOffline: meanOffline)
            }
        } else {
            timelines = []
        }
    }

    /// tau_i: the virtual seconds one local job of `client` takes; when every job
    /// draws its own, their mean. O(1).
    public func computeTime(client: Int) -> Double {
        checkClient(client)
        return redrawsCompute ? compute.meanJobSeconds! : jobSeconds[client]
    }

    /// The virtual seconds the `number`-th job of `client` computes: tau_i, or its own
    /// draw when every job draws one (from `RandomStream(seed:, purpose: .speeds,
    /// client:, counter: number)`; one that is not finite and positive counts as the
    /// client's tau_i). O(1).
    public func computeTime(client: Int, job number: Int) -> Double {
        checkClient(client)
        guard redrawsCompute else { return jobSeconds[client] }
        let seconds = compute.drawnJobSeconds(client: client, seed: seed, counter: number)
        return seconds.isFinite && seconds > 0 ? seconds : jobSeconds[client]
    }

    /// Seconds to move `bytes` from the server to `client`:
    /// latency + bytes / (downloadBytesPerSecond * m_i). O(1).
    public func downloadTime(client: Int, bytes: Int) -> Double {
        checkClient(client)
        return LinkProfile.transferTime(
            bytes: bytes, latency: link.latency, bytesPerSecond: link.downloadBytesPerSecond,
            multiplier: bandwidthMultipliers[client])
    }

    /// Seconds to move `bytes` from `client` to the server:
    /// latency + bytes / (uploadBytesPerSecond * m_i). O(1).
    public func uploadTime(client: Int, bytes: Int) -> Double {
        checkClient(client)
        return LinkProfile.transferTime(
            bytes: bytes, latency: link.latency, bytesPerSecond: link.uploadBytesPerSecond,
            multiplier: bandwidthMultipliers[client])
    }

    /// Whether `client` is online at `time`. O(1) for `.always` and `.probability`,
    /// O(log n) for `.trace` with n intervals; see `OnOffTimeline` for `.onOff`.
    public func isOnline(client: Int, at time: Double) -> Bool {
        checkClient(client)
        checkTime(time)
        switch availability {
        case .always:
            return true
        case .probability(let p, let period):
            let periods = AvailabilityPeriods(seed: seed, p: p, period: period)
            return periods.isOnline(client: client, period: periods.index(containing: time))
        case .onOff:
            return timelinesLock.withLock { timelines[client].isOnline(at: time) }
        case .trace(let intervals):
            guard let index = intervals[client].firstInterval(endingAtOrAfter: time) else { return false }
            return intervals[client][index].lowerBound <= time
        }
    }

    /// The earliest time >= `time` at which `client` is online, or nil if it never is
    /// again: after its last `.trace` interval, or when `.probability` finds no online
    /// period among the next `probabilityScanLimit` (expected cost O(1/p) draws).
    public func nextOnline(client: Int, atOrAfter time: Double) -> Double? {
        checkClient(client)
        checkTime(time)
        switch availability {
        case .always:
            return time
        case .probability(let p, let period):
            let periods = AvailabilityPeriods(seed: seed, p: p, period: period)
            let current = periods.index(containing: time)
            if periods.isOnline(client: client, period: current) { return time }
            for index in current + 1...current + Self.probabilityScanLimit
            where periods.isOnline(client: client, period: index) {
                return periods.start(index)
            }
            return nil
        case .onOff:
            return timelinesLock.withLock { timelines[client].nextOnline(atOrAfter: time) }
        case .trace(let intervals):
            guard let index = intervals[client].firstInterval(endingAtOrAfter: time) else { return nil }
            return max(time, intervals[client][index].lowerBound)
        }
    }

    /// The job of `client` ready at `readyAt`: it starts at `nextOnline(readyAt)` and
    /// ends after downloading `downloadBytes`, computing tau_i and uploading `uploadBytes`:
    /// end = start + downloadTime + computeTime + uploadTime. A job once started always
    /// finishes: going offline mid-job does not interrupt or delay it. Nil if the client
    /// is never online again.
    public func job(client: Int, readyAt: Double, downloadBytes: Int, uploadBytes: Int, number: Int = 1) -> JobTiming? {
        guard let start = nextOnline(client: client, atOrAfter: readyAt) else { return nil }
        let duration = downloadTime(client: client, bytes: downloadBytes) + computeTime(client: client, job: number)
            + uploadTime(client: client, bytes: uploadBytes)
        return JobTiming(start: start, end: start + duration)
    }

    private func checkClient(_ client: Int) {
        precondition(client >= 0 && client < clients, "client \(client) is not in 0..<\(clients)")
    }

    private func checkTime(_ time: Double) {
        precondition(time.isFinite && time >= 0, "virtual time \(time) is not a finite time >= 0")
    }
}
