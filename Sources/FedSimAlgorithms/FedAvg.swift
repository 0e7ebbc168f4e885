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
/// Each round samples clients among those online (uniformly without replacement, by
/// another `selection` rule, or with replacement in proportion to their data), and
/// aggregates when the slowest of them returns, with p_i renormalized over the clients
/// aggregated. Two options bound a round's length: a
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
    /// The share of each round's clients that straggle, drawn uniformly among them every
    /// round (FedProx's drop percent); 0: none.
    public var stragglers: Double
    /// What stragglers (drawn, or past the deadline) do.
    public var stragglerWork: StragglerWork
    /// How the round's clients are drawn (`server.sampling`).
    public var sampling: Sampling

    private var round = 0
    private var running: [Job] = []
    private var returned: [Job] = []

    public init(clientsPerRound: Int, weighting: ClientWeighting = .samples, deadline: Double? = nil,
                overSelection: Double = 0, selection: ClientSelection = .uniform, stragglers: Double = 0,
                stragglerWork: StragglerWork = .drop, sampling: Sampling = .uniform) {
        self.clientsPerRound = clientsPerRound
        self.weighting = weighting
        self.deadline = deadline
        self.overSelection = overSelection
        self.selection = selection
        self.stragglers = stragglers
        self.stragglerWork = stragglerWork
        self.sampling = sampling
    }

    /// How a round draws its clients.
    public enum Sampling: String, Codable, Sendable, CaseIterable {
        /// k distinct clients by the `selection` rule (uniform by default), aggregated
        /// with the `weighting` p_i.
        case uniform
        /// k draws with replacement, client i with probability n_i / n, and each draw
        /// weighing 1/k: a client drawn m times trains once and weighs m/k (renormalized
        /// over the draws aggregated), the unbiased scheme of FedAvg's analysis (Li et
        /// al., "On the Convergence of FedAvg on Non-IID Data", ICLR 2020, scheme I).
        case proportional
    }

    /// What a straggler's update becomes.
    public enum StragglerWork: String, Codable, Sendable, CaseIterable {
        /// Dropped: a drawn straggler never trains (FedProx's FedAvg), one past the
        /// deadline is left out of its round.
        case drop
        /// Its partial work is aggregated like any update: a drawn straggler trains a
        /// random number of epochs in [1, E) (FedProx), one past the deadline what fits
        /// before it (`PartialWork`).
        case partial
    }

    public static let fields = ["clients_per_round", "weighting", "deadline", "over_selection", "selection", "candidates",
                                "losses", "pacing", "stragglers", "straggler_work", "sampling"]

    /// `clients_per_round` (required, at most the number of clients), `weighting`
    /// (default samples), `deadline` (none), `over_selection` (0), `selection` (uniform)
    /// with its `candidates`, `stragglers` (0), `straggler_work` (drop) and `sampling`
    /// (uniform; proportional weighs draws equally, so `weighting` is then uniform).
    public init(reading reader: some SettingsReader, clients: Int) {
        let sampling: Sampling = reader.choice("sampling", default: .uniform)
        let perRound = reader.integer("clients_per_round", default: nil, in: 1...100_000_000)
        if perRound > clients, sampling == .uniform {
            reader.report("clients_per_round", "\(perRound) clients per round but only \(clients) clients (partition.clients)")
        }
        let overSelection = reader.number("over_selection", default: 0, in: 0...100, excludingLowerBound: false)
        let weighting: ClientWeighting = reader.choice("weighting", default: sampling == .proportional ? .uniform : .samples)
        self.init(clientsPerRound: perRound, weighting: weighting,
                  deadline: reader.optionalNumber("deadline", in: 0...1e12, excludingLowerBound: true),
                  overSelection: overSelection,
                  selection: ClientSelection.read(reader, keep: Self.sampled(perRound, overSelection), clients: clients),
                  stragglers: reader.number("stragglers", default: 0, in: 0...1, excludingLowerBound: false),
                  stragglerWork: reader.choice("straggler_work", default: .drop), sampling: sampling)
        if sampling == .proportional {
            if weighting != .uniform {
                reader.report("weighting", "sampling: proportional already draws clients in proportion to their samples, "
                              + "and each draw weighs the same; remove weighting or set it to uniform")
            }
            for (field, isSet) in [("selection", selection != .uniform), ("over_selection", overSelection > 0)] where isSet {
                reader.report(field, "does not apply to sampling: proportional, which draws the round's clients itself")
            }
        }
        if stragglers == 1 {
            reader.report("stragglers", "every client would straggle; the share must be below 1")
        } else if stragglerWork == .drop, Self.active(of: Self.sampled(perRound, overSelection), stragglers: stragglers) == 0 {
            reader.report("stragglers", "of the \(Self.sampled(perRound, overSelection)) clients a round starts, none "
                          + "would train once the stragglers are dropped; lower the share or use straggler_work: partial")
        }
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("clients_per_round", clientsPerRound)
        writer.write("weighting", weighting.rawValue)
        writer.write("over_selection", overSelection)
        if let deadline { writer.write("deadline", deadline) }
        selection.writeSettings(to: &writer)
        if stragglers > 0 { writer.write("stragglers", stragglers) }
        if stragglerWork != .drop { writer.write("straggler_work", stragglerWork.rawValue) }
        if sampling != .uniform { writer.write("sampling", sampling.rawValue) }
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

    /// Aggregates the jobs returned so far (a round none returned in is closed empty),
    /// drops the rest, and starts the next round.
    private mutating func finishRound(_ scheduler: inout Scheduler) {
        let kept = returned.sorted { $0.client < $1.client }
        if kept.isEmpty {
            scheduler.closeEmptyRound()
        } else {
            let weights = sampling == .proportional ? Aggregation.normalizedWeights(kept.map { $0.draws ?? 1 })
                : FedAvg.weights(kept.map(\.client), weighting, scheduler)
            scheduler.aggregate(zip(kept, weights).map { Contribution(job: $0, weight: $1) })
        }
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
        var draws: [Int: Int] = [:]
        let chosen: [(client: Int, loss: Double?)]
        switch sampling {
        case .uniform:
            chosen = selection.choose(Self.sampled(target, overSelection), of: online, stream: &stream, scheduler: scheduler)
        case .proportional:
            let drawn = Self.drawnWithReplacement(target, of: online, weights: online.map { scheduler.sampleCounts[$0] },
                                                  stream: &stream)
            for client in drawn { draws[client, default: 0] += 1 }
            var seen = Set<Int>()
            chosen = drawn.filter { seen.insert($0).inserted }.map { ($0, nil) }
        }
        let straggling = drawStragglers(chosen.map(\.client), scheduler)
        let cutOff = stragglerWork == .partial ? deadline.map { snappedTime(scheduler.now + $0) } : nil
        for (client, loss) in chosen {
            var work: PartialWork?
            if straggling.contains(client) {
                guard stragglerWork == .partial else { continue }
                var draw = RandomStream(seed: scheduler.seed, purpose: .stragglers, client: client, counter: round)
                work = .drawn(u: draw.uniform())
            }
            if let job = scheduler.start(client: client, selectionLoss: loss, partialWork: work, cutOffAt: cutOff,
                                         draws: draws[client]) {
                running.append(job)
            }
        }
        if let deadline, !running.isEmpty { scheduler.setTimer(at: scheduler.now + deadline) }
    }

    /// Of `count` chosen clients, those that do not straggle: round(n (1 - stragglers)),
    /// to nearest with ties to even, as Python's `round`.
    private static func active(of count: Int, stragglers: Double) -> Int {
        Int((Double(count) * (1 - stragglers)).rounded(.toNearestOrEven))
    }

    /// The drawn stragglers among a round's `chosen` clients: all but `active` of them,
    /// the active ones drawn uniformly; none when `stragglers` is 0.
    private func drawStragglers(_ chosen: [Int], _ scheduler: Scheduler) -> Set<Int> {
        guard stragglers > 0 else { return [] }
        var stream = scheduler.stream(.stragglers, step: round)
        let kept = Set(stream.sample(Self.active(of: chosen.count, stragglers: stragglers), from: chosen.count)
            .map { chosen[$0] })
        return Set(chosen).subtracting(kept)
    }

    /// `count` draws with replacement from `items`, item i with probability weights[i] /
    /// sum(weights) (equal chances when they all weigh 0), in the order drawn: each draw a
    /// uniform u located on the cumulative weights. O(count log items).
    static func drawnWithReplacement(_ count: Int, of items: [Int], weights: [Int], stream: inout RandomStream) -> [Int] {
        let weights = weights.allSatisfy { $0 == 0 } ? weights.map { _ in 1 } : weights
        var cumulative: [Double] = []
        var total = 0.0
        for weight in weights {
            total += Double(weight)
            cumulative.append(total)
        }
        return (0..<count).map { _ in
            let target = stream.uniform() * total
            var (low, high) = (0, cumulative.count - 1)
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] <= target { low = middle + 1 } else { high = middle }
            }
            return items[low]
        }
    }

    /// p_i over `clients`: sample shares (or equal shares) renormalized to sum to one.
    static func weights(_ clients: [Int], _ weighting: ClientWeighting, _ scheduler: Scheduler) -> [Double] {
        switch weighting {
        case .samples: return Aggregation.normalizedWeights(clients.map { scheduler.sampleCounts[$0] })
        case .uniform: return Aggregation.normalizedWeights(clients.map { _ in 1 })
        }
    }
}
