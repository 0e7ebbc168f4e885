import FedSimCore

/// How a synchronous round picks its clients among those online (`server.selection`).
public enum ClientSelection: Equatable, Codable, Sendable {
    /// k clients uniformly without replacement (FedAvg's rule; the default).
    case uniform
    /// Power-of-choice (Cho, Wang and Joshi, "Towards Understanding Biased Client
    /// Selection in Federated Learning", AISTATS 2022): d candidates drawn without
    /// replacement with probability proportional to their sample counts, of which the k
    /// with the highest loss are kept, ties in the order they were drawn.
    case powerOfChoice(candidates: Int, losses: SelectionLosses)
    /// A curriculum over clients (`ClientCurriculum`).
    case curriculum(ClientCurriculum)

    /// Which losses power-of-choice ranks its candidates by.
    public enum SelectionLosses: String, Codable, Sendable, CaseIterable {
        /// Each candidate's mean loss under the current global model, as it reports it
        /// when asked (the paper's pow-d).
        case globalModel = "global_model"
        /// The training loss each client reported with its last aggregated update; one
        /// that has not reported yet counts as +infinity, so every client is tried before
        /// any is preferred (the paper's rpow-d, which costs no extra communication).
        case reported
    }

    /// Whether the rule reads the losses clients report with their updates.
    public var usesReportedLosses: Bool {
        if case .powerOfChoice(_, .reported) = self { return true }
        return false
    }

    /// Whether the rule asks the clients for their losses under the global model.
    public var usesClientLosses: Bool {
        switch self {
        case .uniform: return false
        case let .powerOfChoice(_, losses): return losses == .globalModel
        case let .curriculum(curriculum): return curriculum.order != .random
        }
    }

    /// Whether the rule reads losses of either kind, so it chooses once the runtime has
    /// applied the step before (and reported its losses).
    public var readsLosses: Bool { usesReportedLosses || usesClientLosses }

    /// Whether the records show the losses clients were chosen by, and how often each was.
    public var isRecorded: Bool { self != .uniform }

    /// Reads `selection` (`uniform`; `power_of_choice` with `candidates` d, default
    /// min(2 k, clients), and `losses`, default global_model; or `curriculum`,
    /// `anti_curriculum`, `random_curriculum` with `pacing`, whose rounds the scenario
    /// sets from `server.rounds`); `keep` is k, the most clients a round starts.
    static func read(_ reader: some SettingsReader, keep: Int, clients: Int) -> ClientSelection {
        let name = reader.has("selection") ? reader.choice("selection", default: SelectionName.uniform) : .uniform
        for (field, owners) in [("candidates", [SelectionName.powerOfChoice]), ("losses", [.powerOfChoice]),
                                ("pacing", [.curriculum, .antiCurriculum, .randomCurriculum])]
        where reader.has(field) && !owners.contains(name) {
            reader.report(field, "applies to selection: " + owners.map(\.rawValue).joined(separator: ", "))
        }
        switch name {
        case .uniform:
            return .uniform
        case .powerOfChoice:
            let candidates = reader.integer("candidates", default: min(2 * keep, clients), in: 1...100_000_000,
                                            documentedDefault: "2 clients_per_round, at most partition.clients")
            if candidates < keep {
                reader.report("candidates", "\(candidates) candidates cannot yield the \(keep) clients a round starts")
            } else if candidates > clients {
                reader.report("candidates", "\(candidates) candidates but only \(clients) clients (partition.clients)")
            }
            return .powerOfChoice(candidates: candidates, losses: reader.choice("losses", default: .globalModel))
        case .curriculum, .antiCurriculum, .randomCurriculum:
            let section = reader.section("pacing")
            defer { section.finish() }
            var curriculum = ClientCurriculum(order: name.order!, rounds: 1)
            curriculum.pacing = Pacing.read(section)
            return .curriculum(curriculum)
        }
    }

    func writeSettings(to writer: inout SettingsWriter) {
        switch self {
        case .uniform: break
        case let .powerOfChoice(candidates, losses):
            writer.write("selection", SelectionName.powerOfChoice.rawValue)
            writer.write("candidates", candidates)
            writer.write("losses", losses.rawValue)
        case let .curriculum(curriculum):
            writer.write("selection", SelectionName.allCases.first { $0.order == curriculum.order }!.rawValue)
            writer.section("pacing") {
                $0.write("function", curriculum.pacing.function.rawValue)
                $0.write("start", curriculum.pacing.start)
                $0.write("full_at", curriculum.pacing.fullAt)
            }
        }
    }

    /// Counts the `count` client updates a step aggregated.
    mutating func aggregated(_ count: Int) {
        if case var .curriculum(curriculum) = self {
            curriculum.aggregated(count)
            self = .curriculum(curriculum)
        }
    }

    /// `count` of the `online` clients (ascending ids), chosen with draws from `stream`
    /// and the losses `scheduler` holds or asks for, in the order they were chosen, each
    /// with the loss it was chosen by (nil: none, or none reported). O(d |online|) for
    /// power-of-choice.
    mutating func choose(_ count: Int, of online: [Int], stream: inout RandomStream, scheduler: Scheduler)
        -> [(client: Int, loss: Double?)] {
        switch self {
        case .uniform:
            return stream.sample(min(count, online.count), from: online.count).map { (online[$0], nil) }
        case let .powerOfChoice(candidates, losses):
            let drawn = Self.weightedSample(min(candidates, online.count), of: online,
                                            weights: online.map { Double(scheduler.sampleCounts[$0]) }, stream: &stream)
            let known: (Int) -> Double?
            switch losses {
            case .reported:
                known = { scheduler.reportedLoss($0) }
            case .globalModel:
                let all = Self.clientLosses(scheduler)
                known = { all[$0].isFinite ? all[$0] : nil }
            }
            let loss = { known($0) ?? .infinity }
            let ranked = drawn.enumerated().sorted { lhs, rhs in
                loss(lhs.element) != loss(rhs.element) ? loss(lhs.element) > loss(rhs.element) : lhs.offset < rhs.offset
            }
            return ranked.prefix(count).map { ($0.element, known($0.element)) }
        case var .curriculum(curriculum):
            let chosen = curriculum.choose(count, of: online, stream: &stream, scheduler: scheduler)
            self = .curriculum(curriculum)
            return chosen
        }
    }

    /// Every client's loss under the current global model, from `scheduler.clientLosses`.
    static func clientLosses(_ scheduler: Scheduler) -> [Double] {
        guard let source = scheduler.clientLosses else {
            preconditionFailure("a selection by the clients' losses needs them (Scheduler.clientLosses)")
        }
        return source.losses(atVersion: scheduler.version)
    }

    /// `count` distinct items drawn one after another, each with probability proportional
    /// to its weight among those left (numpy's `choice(replace=False, p=...)`); equal
    /// weights once those left weigh 0. O(count * items).
    public static func weightedSample(_ count: Int, of items: [Int], weights: [Double], stream: inout RandomStream) -> [Int] {
        var items = items
        var weights = weights
        var drawn: [Int] = []
        while drawn.count < count, !items.isEmpty {
            var total = weights.reduce(0, +)
            if total == 0 {
                weights = weights.map { _ in 1 }
                total = Double(weights.count)
            }
            let target = stream.uniform() * total
            var index = 0
            var cumulative = weights[0]
            while cumulative <= target, index < items.count - 1 {
                index += 1
                cumulative += weights[index]
            }
            drawn.append(items.remove(at: index))
            weights.remove(at: index)
        }
        return drawn
    }

    private enum SelectionName: String, CaseIterable {
        case uniform
        case powerOfChoice = "power_of_choice"
        case curriculum
        case antiCurriculum = "anti_curriculum"
        case randomCurriculum = "random_curriculum"

        /// The ranking a curriculum over clients uses; nil for the other rules.
        var order: DataOrdering.Order? {
            switch self {
            case .uniform, .powerOfChoice: return nil
            case .curriculum: return .curriculum
            case .antiCurriculum: return .antiCurriculum
            case .randomCurriculum: return .random
            }
        }
    }
}
