import FedSimAlgorithms

/// What a client's update brings to its aggregation step.
struct ClientResult: Codable, Equatable, Sendable {
    /// Delta_i: the local model minus the model the job started from.
    var delta: [Float]
    var sampleCount: Int
    /// Mean loss over the local minibatches.
    var trainLoss: Double
    /// Local optimizer steps taken.
    var steps: Int
}

/// Every job of a run that is not finished with, in one table keyed by (client, job
/// number): dispatched and still running, dropped while running (its update is thrown
/// away when it arrives), or received and waiting for its aggregation step.
///
/// Each operation is O(1) but `runningClients` and `runningCount`, which are O(jobs).
struct JobTable: Codable, Equatable, Sendable {
    /// A job as its Update names it.
    struct Key: Hashable, Codable, Sendable {
        let client: Int
        let number: Int

        init(client: Int, number: Int) {
            self.client = client
            self.number = number
        }

        init(_ job: Job) {
            self.init(client: job.client, number: job.number)
        }
    }

    enum Status: Codable, Equatable, Sendable {
        /// Its update has not arrived yet.
        case running
        /// Dropped by the strategy before its update arrived.
        case dropped
        /// Its update arrived and waits for the job's step.
        case received(ClientResult)
    }

    struct Entry: Codable, Equatable, Sendable {
        let job: Job
        var status: Status
    }

    private var entries: [Key: Entry] = [:]

    init() {}

    /// Jobs whose update has not arrived, dropped ones included.
    var runningCount: Int { entries.values.filter { !$0.isReceived }.count }

    /// The clients with a job whose update has not arrived: their tasks are on a worker.
    var runningClients: Set<Int> {
        Set(entries.values.filter { !$0.isReceived }.map(\.job.client))
    }

    /// The running jobs (neither received nor dropped) of `clients`, by job number: the
    /// tasks to send again when they were lost with a worker.
    func running(of clients: Set<Int>) -> [Job] {
        entries.values.filter { $0.status == .running && clients.contains($0.job.client) }.map(\.job)
            .sorted { ($0.number, $0.client) < ($1.number, $1.client) }
    }

    /// Forgets the dropped jobs of `clients`, whose updates will never come (their
    /// worker is gone). Returns the model versions they trained from.
    mutating func forgetDropped(of clients: Set<Int>) -> [Int] {
        let forgotten = entries.filter { $0.value.status == .dropped && clients.contains($0.key.client) }
        for key in forgotten.keys { entries[key] = nil }
        return forgotten.values.map(\.job.version)
    }

    mutating func dispatched(_ job: Job) {
        entries[Key(job)] = Entry(job: job, status: .running)
    }

    /// Why an update of job `key` trained from `modelVersion` cannot be taken; nil when it can.
    func problem(withUpdateOf key: Key, modelVersion: UInt64) -> String? {
        guard let entry = entries[key], !entry.isReceived else {
            return "no job \(key.number) of this client is in flight"
        }
        guard modelVersion == UInt64(entry.job.version) else {
            return "model version \(modelVersion), the job started from \(entry.job.version)"
        }
        return nil
    }

    /// Takes the update of running job `key` (checked with `problem`); a dropped job's
    /// update is thrown away. Returns the model version the job trained from when the
    /// job stopped running here (it was neither received nor dropped before).
    @discardableResult
    mutating func receive(_ result: ClientResult, of key: Key) -> Int? {
        guard let entry = entries[key] else { return nil }
        if entry.status == .dropped {
            entries[key] = nil
            return nil
        }
        entries[key]?.status = .received(result)
        return entry.job.version
    }

    /// The strategy will not use `job`'s update. Returns the model version the job
    /// trained from when the job stopped running here.
    @discardableResult
    mutating func drop(_ job: Job) -> Int? {
        let key = Key(job)
        guard let entry = entries[key] else { return nil }
        switch entry.status {
        case .received:
            entries[key] = nil
            return nil
        case .dropped:
            return nil
        case .running:
            entries[key]?.status = .dropped
            return job.version
        }
    }

    /// Whether `job`'s update has arrived.
    func hasReceived(_ job: Job) -> Bool {
        entries[Key(job)]?.isReceived ?? false
    }

    /// The update of `job` once it has arrived, removing the job; nil before.
    mutating func take(_ job: Job) -> ClientResult? {
        let key = Key(job)
        guard case let .received(result)? = entries[key]?.status else { return nil }
        entries[key] = nil
        return result
    }

    // Saved in (client, number) order, so the same table always encodes to the same bytes.
    init(from decoder: any Decoder) throws {
        let list = try [Entry](from: decoder)
        entries = Dictionary(uniqueKeysWithValues: list.map { (Key($0.job), $0) })
    }

    func encode(to encoder: any Encoder) throws {
        try entries.values.sorted { ($0.job.client, $0.job.number) < ($1.job.client, $1.job.number) }.encode(to: encoder)
    }
}

extension JobTable.Entry {
    var isReceived: Bool {
        if case .received = status { return true }
        return false
    }
}
