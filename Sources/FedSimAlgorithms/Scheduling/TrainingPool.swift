/// The clients training at once in an asynchronous strategy: every client (the paper's
/// setting), or at most `concurrency`, each finished one replaced by a random idle client.
struct TrainingPool: Equatable, Codable, Sendable {
    let concurrency: Int?
    private var idle: [Int] = []

    init(concurrency: Int?) {
        self.concurrency = concurrency
    }

    /// Reads `concurrency` (default: every client; at most the number of clients).
    static func concurrency(_ reader: some SettingsReader, clients: Int) -> Int? {
        let concurrency = reader.optionalInteger("concurrency", in: 1...100_000_000)
        if let concurrency, concurrency > clients {
            reader.report("concurrency", "\(concurrency) clients at once but only \(clients) clients (partition.clients)")
        }
        return concurrency
    }

    func writeSettings(to writer: inout SettingsWriter) {
        if let concurrency { writer.write("concurrency", concurrency) }
    }

    /// Starts every client, or a random `concurrency` of them.
    mutating func begin(_ scheduler: inout Scheduler) {
        guard let concurrency, concurrency < scheduler.clientCount else {
            for client in 0..<scheduler.clientCount { scheduler.start(client: client) }
            return
        }
        var stream = scheduler.stream(.sampling, step: 0)
        let chosen = Set(stream.sample(concurrency, from: scheduler.clientCount))
        idle = (0..<scheduler.clientCount).filter { !chosen.contains($0) }
        for client in chosen.sorted() { scheduler.start(client: client) }
    }

    /// Restarts training after `finished` jobs were aggregated: the same clients, or under
    /// a concurrency limit as many random idle clients (the finished ones included).
    mutating func restart(after finished: [Job], _ scheduler: inout Scheduler) {
        guard concurrency != nil else {
            for job in finished { scheduler.start(client: job.client) }
            return
        }
        idle.append(contentsOf: finished.map(\.client))
        idle.sort()
        var stream = scheduler.stream(.sampling, step: scheduler.aggregations)
        for _ in finished {
            let client = idle.remove(at: stream.integer(below: idle.count))
            scheduler.start(client: client)
        }
    }
}

/// d_i of an asynchronous update (ALGORITHMS.md section 1).
public enum AsyncWeighting: String, Codable, Sendable, CaseIterable {
    /// Compensates fast clients being aggregated more often: proportional to tau_i p_i.
    case weight
    /// Every update counts the same.
    case identical
}
