import FedSimCore

/// How each aggregated update is weighted among those of one step.
public enum ClientWeighting: String, Codable, Sendable, CaseIterable {
    /// p_i proportional to the client's sample count (FedAvg's default).
    case samples
    /// Every client counts the same.
    case uniform
}

/// Synchronous federated averaging (McMahan et al. 2017), ALGORITHMS.md section 1.
///
/// Each round samples clients among those online (uniformly without replacement, or by
/// another `selection` rule), and aggregates when the slowest of them returns, with p_i
/// renormalized over the clients aggregated. Two options bound a round's length: a
/// `deadline` (seconds after the round starts) after which stragglers are dropped, and
/// `overSelection` (sample ceil(k (1 + overSelection)) clients, keep the first k to
/// return). A rule that reads the clients' reported losses picks the next round's
/// clients at a timer set for the moment of the aggregation, which the runtime handles
/// once it has applied the step and reported its losses.
public struct FedAvg: ServerStrategy {
    public static let name = "fedavg"
    public var clientsPerRound: Int
    public var weighting: ClientWeighting
    public var deadline: Double?
    public var overSelection: Double
    public var selection: ClientSelection

    private var round = 0
    private var running: [Job] = []
    private var returned: [Job] = []

    public init(clientsPerRound: Int, weighting: ClientWeighting = .samples, deadline: Double? = nil,
                overSelection: Double = 0, selection: ClientSelection = .uniform) {
        self.clientsPerRound = clientsPerRound
        self.weighting = weighting
        self.deadline = deadline
        self.overSelection = overSelection
        self.selection = selection
    }

    public static let fields = ["clients_per_round", "weighting", "deadline", "over_selection", "selection", "candidates",
                                "losses", "pacing"]

    /// `clients_per_round` (required, at most the number of clients), `weighting`
    /// (default samples), `deadline` (none), `over_selection` (0), `selection` (uniform)
    /// with its `candidates`.
    public init(reading reader: some SettingsReader, clients: Int) {
        let perRound = reader.integer("clients_per_round", default: nil, in: 1...100_000_000)
        if perRound > clients {
            reader.report("clients_per_round", "\(perRound) clients per round but only \(clients) clients (partition.clients)")
        }
        let overSelection = reader.number("over_selection", default: 0, in: 0...100, excludingLowerBound: false)
        self.init(clientsPerRound: perRound, weighting: reader.choice("weighting", default: .samples),
                  deadline: reader.optionalNumber("deadline", in: 0...1e12, excludingLowerBound: true),
                  overSelection: overSelection,
                  selection: ClientSelection.read(reader, keep: Self.sampled(perRound, overSelection), clients: clients))
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("clients_per_round", clientsPerRound)
        writer.write("weighting", weighting.rawValue)
        writer.write("over_selection", overSelection)
        if let deadline { writer.write("deadline", deadline) }
        selection.writeSettings(to: &writer)
    }

    public var updatesPerStep: Int? { clientsPerRound }

    public var clientSelection: ClientSelection { selection }

    /// Clients kept per round.
    private var target: Int { clientsPerRound }

    /// Clients a round starts: ceil(k (1 + overSelection)).
    private static func sampled(_ clientsPerRound: Int, _ overSelection: Double) -> Int {
        Int((Double(clientsPerRound) * (1 + overSelection)).rounded(.up))
    }

    public mutating func begin(_ scheduler: inout Scheduler) {
        startRound(&scheduler)
    }

    public mutating func jobEnded(_ job: Job, _ scheduler: inout Scheduler) {
        guard running.contains(job) else { return }
        returned.append(job)
        if returned.count == running.count || returned.count == target {
            finishRound(&scheduler)
        }
    }

    public mutating func timerFired(_ scheduler: inout Scheduler) {
        if running.isEmpty {
            startRound(&scheduler)
        } else if let deadline, scheduler.now >= snappedTime(running[0].ready + deadline) {
            finishRound(&scheduler)
        }
    }

    /// Aggregates the jobs returned so far, drops the rest, and starts the next round.
    private mutating func finishRound(_ scheduler: inout Scheduler) {
        let kept = returned.sorted { $0.client < $1.client }
        let weights = FedAvg.weights(kept.map(\.client), weighting, scheduler)
        scheduler.aggregate(zip(kept, weights).map { Contribution(job: $0, weight: $1) })
        for job in running where !returned.contains(job) { scheduler.drop(job) }
        running.removeAll()
        returned.removeAll()
        selection.aggregated(kept.count)
        if selection.readsLosses {
            scheduler.setTimer(at: scheduler.now)
        } else {
            startRound(&scheduler)
        }
    }

    private mutating func startRound(_ scheduler: inout Scheduler) {
        round += 1
        let online = (0..<scheduler.clientCount).filter { scheduler.clock.isOnline(client: $0, at: scheduler.now) }
        guard !online.isEmpty else {
            // Nobody online: wait for the first client to come back.
            let next = (0..<scheduler.clientCount).compactMap {
                scheduler.clock.nextOnline(client: $0, atOrAfter: scheduler.now)
            }.min()
            if let next { scheduler.setTimer(at: next) }
            return
        }
        var stream = scheduler.stream(.sampling, step: round)
        for (client, loss) in selection.choose(Self.sampled(target, overSelection), of: online, stream: &stream,
                                               scheduler: scheduler) {
            if let job = scheduler.start(client: client, selectionLoss: loss) { running.append(job) }
        }
        if let deadline, !running.isEmpty { scheduler.setTimer(at: scheduler.now + deadline) }
    }

    /// p_i over `clients`: sample shares (or equal shares) renormalized to sum to one.
    static func weights(_ clients: [Int], _ weighting: ClientWeighting, _ scheduler: Scheduler) -> [Double] {
        switch weighting {
        case .samples: return Aggregation.normalizedWeights(clients.map { scheduler.sampleCounts[$0] })
        case .uniform: return Aggregation.normalizedWeights(clients.map { _ in 1 })
        }
    }
}
