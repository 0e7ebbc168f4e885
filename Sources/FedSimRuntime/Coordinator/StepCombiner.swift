import FedSimAlgorithms
import FedSimCore

/// Turns the updates of one aggregation step into the step the server optimizer
/// applies: drops updates that are not finite, lets the Byzantine clients replace
/// theirs with the attack's vector (crafted from the honest updates of the step), and
/// combines them with the robust rule, or with the strategy's weights
/// `sum_i d_i Delta_i` when there is none. What it did goes into the step's record.
struct StepCombiner {
    /// What one step's combination did, for the metrics.
    struct Facts: Equatable, Sendable {
        /// Updates dropped for holding NaN or infinity.
        var rejected = 0
        /// Byzantine updates among those combined (nil without an attack).
        var byzantine: Int?
        /// Each robust step's report, "nnm: 10 inputs, 10 outputs; krum: 10 inputs, selected [3]".
        var robust: String?
        /// The clients whose updates the rule kept (Krum, Multi-Krum, MDA without pre-aggregators).
        var selectedClients: [Int]?
        /// Inputs clipped and values trimmed per coordinate, over the robust steps.
        var clipped: Int?
        var trimmedPerCoordinate: Int?
        /// ||aggregate - mean of the honest updates||.
        var honestDistance: Double?
    }

    private let seed: UInt64
    private let byzantineClients: Set<Int>
    private let attack: (any ByzantineAttack)?
    private var rule: RobustAggregator?

    init(scenario: Scenario) throws {
        seed = scenario.seed
        rule = try scenario.aggregator.map(RobustAggregator.init)
        byzantineClients = Set(scenario.attack?.clients ?? [])
        attack = scenario.attack?.makeAttack(against: rule ?? RobustAggregator(rule: Average()))
    }

    /// Whether `client` sends poisoned data rather than a crafted update.
    func trainsOnFlippedLabels(_ client: Int, _ scenario: Scenario) -> Bool {
        scenario.attack?.kind == .labelFlip && byzantineClients.contains(client)
    }

    /// The combined step of `deltas` (one per client in `clients`, in aggregation order,
    /// weighted `weights` without a robust rule) at aggregation step `number`.
    mutating func combine(_ deltas: [[Float]], weights: [Double], clients: [Int], step number: Int) throws
        -> (step: [Float], facts: Facts) {
        var facts = Facts()
        var inputs = deltas
        let honest = deltas.indices.filter { !byzantineClients.contains(clients[$0]) && deltas[$0].allSatisfy(\.isFinite) }
        let attacked = deltas.indices.filter { byzantineClients.contains(clients[$0]) }
        if !byzantineClients.isEmpty { facts.byzantine = attacked.count }
        if let attack, !attacked.isEmpty {
            var stream = RandomStream(seed: seed, purpose: .attack, round: number)
            do {
                let vector = try attack.byzantineVector(
                    honest: honest.map { deltas[$0] }, byzantineCount: attacked.count, stream: &stream)
                for index in attacked { inputs[index] = vector }
            } catch {
                throw RuntimeError("step \(number): the \(attack.name) attack failed on \(honest.count) honest updates: \(error)")
            }
        }
        // Whatever a client sent, honest or not, an update holding NaN or infinity is dropped.
        let finite = inputs.indices.filter { inputs[$0].allSatisfy(\.isFinite) }
        facts.rejected = inputs.count - finite.count
        let kept = finite.map { clients[$0] }
        let honestKept = finite.filter { honest.contains($0) }
        inputs = finite.map { inputs[$0] }
        guard !inputs.isEmpty else { return ([Float](repeating: 0, count: deltas.first?.count ?? 0), facts) }

        let combined: [Float]
        if var rule {
            var stream = RandomStream(seed: seed, purpose: .aggregation, round: number)
            let result: RobustAggregation
            do {
                result = try rule.aggregate(inputs, stream: &stream)
            } catch {
                throw RuntimeError("step \(number): \(rule.name) could not aggregate \(inputs.count) updates: \(error)")
            }
            self.rule = rule
            combined = result.aggregate
            facts.robust = result.reports.map(\.description).joined(separator: "; ")
            if rule.preAggregators.isEmpty, let selected = result.reports.last?.selected {
                facts.selectedClients = selected.map { kept[$0] }
            }
            facts.clipped = result.reports.compactMap(\.clipped).reduce(nil) { ($0 ?? 0) + $1 }
            facts.trimmedPerCoordinate = result.reports.compactMap(\.trimmedPerCoordinate).reduce(nil) { ($0 ?? 0) + $1 }
        } else {
            combined = Aggregation.weightedSum(inputs, weights: finite.map { weights[$0] })
        }
        if !byzantineClients.isEmpty, !honestKept.isEmpty {
            let mean = Aggregation.weightedSum(honestKept.map { deltas[$0] },
                                               weights: Array(repeating: 1 / Double(honestKept.count), count: honestKept.count))
            facts.honestDistance = zip(combined, mean).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        }
        return (combined, facts)
    }
}
