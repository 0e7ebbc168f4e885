import FedSimCore

/// One client's `AvailabilityProfile.onOff` stretches, drawn lazily as far as queries
/// reach. The draws come from one stream in a fixed order (online length, offline
/// length, online length, ...), so the switch times are the same numbers whatever order
/// times are queried in.
///
/// Memory and the first query up to time t cost O(t / (meanOnline + meanOffline)); later
/// queries at or before the furthest time seen cost O(log n).
struct OnOffTimeline {
    private var stream: RandomStream
    private let meanOnline: Double
    private let meanOffline: Double
    /// Switch times, non-decreasing: the client is online on [0, switches[0]), offline on
    /// [switches[0], switches[1]), online again from switches[1], and so on. So the client
    /// is online at t iff an even number of switches are <= t. Two equal switches (a
    /// stretch too short to move t in floating point) cancel out.
    private var switches: [Double] = []

    init(seed: UInt64, client: Int, meanOnline: Double, meanOffline: Double) {
        stream = RandomStream(seed: seed, purpose: .availability, client: client)
        self.meanOnline = meanOnline
        self.meanOffline = meanOffline
    }

    mutating func isOnline(at time: Double) -> Bool {
        switchesPassed(at: time) % 2 == 0
    }

    /// The earliest time >= `time` at which the client is online. Online stretches recur
    /// forever, so there always is one.
    mutating func nextOnline(atOrAfter time: Double) -> Double {
        var passed = switchesPassed(at: time)
        if passed % 2 == 0 { return time }
        // Offline now; switches[passed] > time starts an online stretch, unless that
        // stretch is empty (its end equals its start), in which case try the next one.
        while true {
            drawSwitches(upTo: passed + 2)
            if switches[passed + 1] > switches[passed] { return switches[passed] }
            passed += 2
        }
    }

    /// The number of switches <= `time`, after drawing past it.
    private mutating func switchesPassed(at time: Double) -> Int {
        while (switches.last ?? 0) <= time {
            drawSwitch()
        }
        var low = 0
        var high = switches.count
        while low < high {
            let middle = (low + high) / 2
            if switches[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func drawSwitches(upTo count: Int) {
        while switches.count < count {
            drawSwitch()
        }
    }

    /// Appends the end of the next stretch: online when an even number of switches exist.
    private mutating func drawSwitch() {
        let mean = switches.count % 2 == 0 ? meanOnline : meanOffline
        switches.append((switches.last ?? 0) + stream.exponential(rate: 1 / mean))
    }
}
