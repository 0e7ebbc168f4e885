import FedSimCore

/// When each client is online, as a function of virtual time t >= 0.
public enum AvailabilityProfile: Equatable, Sendable {
    /// Every client is always online.
    case always
    /// Time is cut into periods [k * period, (k + 1) * period), k = 0, 1, ...; in period k
    /// client i is online with probability p, independently of other periods and clients:
    /// online iff u < p with u the first uniform of
    /// `RandomStream(seed:, purpose: .availability, client: i, counter: k)`.
    /// Needs p in (0, 1] and period > 0. Streams key the round with 32 bits, so the
    /// pattern repeats after 2^32 periods.
    case probability(p: Double, period: Double)
    /// Alternating online and offline stretches with exponential lengths of means
    /// `meanOnline` and `meanOffline`. Every client starts online at t = 0 (so every
    /// client can take part at the start; by memorylessness this is the stationary
    /// process conditioned on being online at 0). Lengths are drawn in turn from
    /// `RandomStream(seed:, purpose: .availability, client: i)`: online, offline, online, ...
    /// The long-run online fraction is meanOnline / (meanOnline + meanOffline).
    case onOff(meanOnline: Double, meanOffline: Double)
    /// Per client, its online intervals (closed), sorted by start and not overlapping;
    /// intervals may touch, and then behave as one. A client with no intervals is never
    /// online. Needs one list per client, starts >= 0 and positive lengths; the last
    /// interval may end at +infinity.
    case trace([[ClosedRange<Double>]])

    /// Throws unless every parameter is in range for `clients` clients.
    func validate(clients: Int) throws {
        switch self {
        case .always:
            return
        case .probability(let p, let period):
            guard p > 0, p <= 1 else {
                throw SystemModelError.outOfRange(parameter: "availability probability p", value: p, allowed: "in (0, 1]")
            }
            try SystemModelError.requirePositive(period, "availability probability period")
        case .onOff(let meanOnline, let meanOffline):
            try SystemModelError.requirePositive(meanOnline, "availability mean online seconds")
            try SystemModelError.requirePositive(meanOffline, "availability mean offline seconds")
        case .trace(let intervals):
            guard intervals.count == clients else {
                throw SystemModelError.traceLength(profile: "availability", count: intervals.count, clients: clients)
            }
            for (client, online) in intervals.enumerated() {
                try Self.validate(online, client: client)
            }
        }
    }

    private static func validate(_ online: [ClosedRange<Double>], client: Int) throws {
        for (index, interval) in online.enumerated() {
            try SystemModelError.requireNonNegative(
                interval.lowerBound, "availability trace of client \(client): start of interval \(index)")
            guard interval.upperBound > interval.lowerBound else {
                throw SystemModelError.emptyInterval(client: client, index: index)
            }
            guard index > 0 else { continue }
            let previous = online[index - 1]
            guard interval.lowerBound >= previous.lowerBound else {
                throw SystemModelError.unsortedIntervals(client: client, index: index)
            }
            guard interval.lowerBound >= previous.upperBound else {
                throw SystemModelError.overlappingIntervals(client: client, index: index)
            }
        }
    }
}

/// The periods of `AvailabilityProfile.probability`. Period k covers
/// [start(k), start(k + 1)) with start(k) = k * period as a floating-point product, so
/// `index(containing: start(k)) == k` holds exactly, despite rounding.
struct AvailabilityPeriods {
    let seed: UInt64
    let p: Double
    let period: Double

    func start(_ index: Int) -> Double {
        Double(index) * period
    }

    /// The k with start(k) <= time < start(k + 1), for time >= 0. O(1).
    func index(containing time: Double) -> Int {
        let quotient = (time / period).rounded(.down)
        precondition(quotient < 0x1p62, "time \(time) lies beyond the last availability period")
        var index = Int(quotient)
        if start(index) > time { index -= 1 }
        if start(index + 1) <= time { index += 1 }
        return index
    }

    func isOnline(client: Int, period index: Int) -> Bool {
        var stream = RandomStream(seed: seed, purpose: .availability, client: client, counter: index)
        return stream.uniform() < p
    }
}

extension Array where Element == ClosedRange<Double> {
    /// The index of the first interval whose end is >= `time`, or nil if every interval
    /// ends before it. The intervals must be sorted and non-overlapping (so their ends
    /// are sorted too). O(log n).
    func firstInterval(endingAtOrAfter time: Double) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].upperBound < time { low = middle + 1 } else { high = middle }
        }
        return low < count ? low : nil
    }
}
