/// FedFix-dt (Fraboni et al., JMLR 2023), ALGORITHMS.md section 1: the server aggregates at
/// times (n+1) dt every client whose job ended by then, and those clients restart at
/// (n+1) dt from the new model; the others keep training on the model they started from.
/// d_i = (steps the job spanned) p_i, which is ceil(tau_i / dt) p_i for a client that is
/// always online: it compensates client i being aggregated once every ceil(tau_i/dt) steps.
public struct FedFix: ServerStrategy {
    public static let name = "fedfix"
    public var period: Double
    private var tick = 0
    /// The tick each running job became ready at.
    private var readyTick: [Int: Int] = [:]
    private var finished: [Job] = []

    public init(period: Double) {
        precondition(period > 0, "FedFix needs a positive period dt")
        self.period = period
    }

    public static let fields = ["period"]

    /// `period` (required): dt, the virtual seconds between steps.
    public init(reading reader: some SettingsReader, clients: Int) {
        let period = reader.number("period", default: nil, in: 0...1e12, excludingLowerBound: true)
        // A period the reader refused has been reported; any valid one stands in for it.
        self.init(period: period > 0 ? period : 1)
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("period", period)
    }

    /// However many jobs ended since the last step.
    public var updatesPerStep: Int? { nil }

    public mutating func begin(_ scheduler: inout Scheduler) {
        for client in 0..<scheduler.clientCount { start(client, &scheduler) }
        scheduler.setTimer(at: period)
    }

    public mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler) {
        finished.append(job)
    }

    public mutating func timerFired(_ scheduler: inout Scheduler) {
        tick += 1
        let ordered = finished.sorted { $0.client < $1.client }
        finished.removeAll()
        scheduler.aggregate(ordered.map { job in
            Contribution(job: job, weight: Double(tick - readyTick[job.client, default: 0]) * scheduler.sampleShare(job.client))
        })
        for job in ordered { start(job.client, &scheduler) }
        scheduler.setTimer(at: Double(tick + 1) * period)
    }

    private mutating func start(_ client: Int, _ scheduler: inout Scheduler) {
        readyTick[client] = tick
        scheduler.start(client: client)
    }
}
