/// FedBuff(c) (Nguyen et al. 2022) as in ALGORITHMS.md section 1: updates are buffered
/// as they return; when c have returned the server aggregates them (the step time is
/// the latest of the c) and those c clients restart from the new model.
/// d_i = 1/c ("identical") or p_i / q_i ("weight"), q_i = min(1, c / (tau_i sum_j 1/tau_j))
/// the expected fraction of steps that include client i.
public struct FedBuff: ServerStrategy {
    public static let name = "fedbuff"
    public var bufferSize: Int
    public var weighting: AsyncWeighting
    private var pool: TrainingPool
    private var buffer: [Job] = []

    /// - Parameter concurrency: clients training at once (nil: every client).
    public init(bufferSize: Int, weighting: AsyncWeighting = .identical, concurrency: Int? = nil) {
        precondition(bufferSize >= 1, "FedBuff needs a buffer of at least one update")
        self.bufferSize = bufferSize
        self.weighting = weighting
        pool = TrainingPool(concurrency: concurrency)
    }

    public static let fields = ["buffer_size", "async_weighting", "concurrency"]

    /// `buffer_size` (required, at most the number of clients), `concurrency` (every
    /// client), `async_weighting` (identical).
    public init(reading reader: some SettingsReader, clients: Int) {
        let bufferSize = reader.integer("buffer_size", default: nil, in: 1...100_000_000)
        if bufferSize > clients {
            reader.report("buffer_size",
                          "FedBuff's buffer of \(bufferSize) updates is larger than the \(clients) clients (partition.clients)")
        }
        let concurrency = TrainingPool.concurrency(reader, clients: clients)
        self.init(bufferSize: bufferSize, weighting: reader.choice("async_weighting", default: .identical),
                  concurrency: concurrency)
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("async_weighting", weighting.rawValue)
        pool.writeSettings(to: &writer)
        writer.write("buffer_size", bufferSize)
    }

    public var updatesPerStep: Int? { bufferSize }

    public mutating func begin(_ scheduler: inout Scheduler) {
        pool.begin(&scheduler)
    }

    public mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler) {
        buffer.append(job)
        guard buffer.count == bufferSize else { return }
        let rate = scheduler.updateRate
        let contributions = buffer.sorted { $0.client < $1.client }.map { job -> Contribution in
            switch weighting {
            case .identical:
                return Contribution(job: job, weight: 1 / Double(bufferSize))
            case .weight:
                let share = min(1, Double(bufferSize) / (scheduler.expectedDurations[job.client] * rate))
                return Contribution(job: job, weight: scheduler.sampleShare(job.client) / share)
            }
        }
        scheduler.aggregate(contributions)
        let finished = buffer
        buffer.removeAll()
        pool.restart(after: finished, &scheduler)
    }

    public mutating func timerFired(_ scheduler: inout Scheduler) {}
}
