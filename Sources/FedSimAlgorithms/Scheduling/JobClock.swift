/// What a scheduler knows of its clients' timing: when a job can run and how long it takes.
/// Implementations are pure: the same question always gets the same answer.
public protocol JobClock: Sendable {
    /// Start and end of the `number`-th job of `client` (from 1), ready at `ready`; nil
    /// if the client is never online again.
    func job(client: Int, ready: Double, number: Int) -> (start: Double, end: Double)?
    /// tau_i: the duration of one job of `client` when it is online throughout.
    func expectedDuration(client: Int) -> Double
    func isOnline(client: Int, at time: Double) -> Bool
    /// The earliest time at or after `time` the client is online; nil if never.
    func nextOnline(client: Int, atOrAfter time: Double) -> Double?
}

/// Always-online clients whose jobs take fixed durations tau_i.
public struct FixedDurations: JobClock, Sendable {
    public let durations: [Double]

    public init(_ durations: [Double]) {
        self.durations = durations
    }

    public func job(client: Int, ready: Double, number: Int) -> (start: Double, end: Double)? {
        (ready, ready + durations[client])
    }

    public func expectedDuration(client: Int) -> Double { durations[client] }

    public func isOnline(client: Int, at time: Double) -> Bool { true }

    public func nextOnline(client: Int, atOrAfter time: Double) -> Double? { time }
}
