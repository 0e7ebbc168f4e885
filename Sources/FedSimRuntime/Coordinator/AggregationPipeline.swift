import FedSimAlgorithms
import FedSimCore

/// What an aggregation step did to its updates, for the step's record.
struct AggregationFacts: Equatable, Sendable {
    /// Updates dropped for holding NaN or infinity.
    var rejected = 0
    /// Byzantine updates among those of the step (nil without Byzantine clients).
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

/// The updates of one aggregation step on their way into the global model, as each
/// stage of an `AggregationPipeline` hands them to the next.
struct StepWork {
    /// The step's number, the key of its random streams.
    let step: Int
    /// Per update, in aggregation order: the client, Delta_i, d_i, and whether the
    /// client is Byzantine.
    private(set) var clients: [Int]
    var updates: [[Float]]
    var weights: [Double]
    private(set) var byzantine: [Bool]
    /// s, the combined step, once a combining stage has run.
    var combined: [Float] = []
    var facts = AggregationFacts()

    init(step: Int, clients: [Int], updates: [[Float]], weights: [Double], byzantine: [Bool]) {
        self.step = step
        self.clients = clients
        self.updates = updates
        self.weights = weights
        self.byzantine = byzantine
    }

    /// The positions of the updates from honest clients.
    var honestPositions: [Int] { byzantine.indices.filter { !byzantine[$0] } }

    /// The positions of the updates from Byzantine clients.
    var byzantinePositions: [Int] { byzantine.indices.filter { byzantine[$0] } }

    /// Keeps only the updates at `positions`, in that order.
    mutating func keep(_ positions: [Int]) {
        clients = positions.map { clients[$0] }
        updates = positions.map { updates[$0] }
        weights = positions.map { weights[$0] }
        byzantine = positions.map { byzantine[$0] }
    }
}

/// What a stage carries from one step to the next, as named vectors (centered clipping's
/// center, a server optimizer's moments); empty for a stateless stage. Floats are kept
/// as Doubles, which hold them exactly.
typealias StageState = [String: [Double]]

/// One stage of an aggregation step: it changes the step's updates, combines them, or
/// moves the model. A new stage is one type conforming to this, placed in
/// `AggregationPipeline.init`.
protocol AggregationStage {
    /// The stage's name in a saved `RunState`.
    var name: String { get }
    mutating func apply(_ work: inout StepWork, to model: inout [Float]) throws
    /// What the stage carries to the next step.
    var state: StageState { get }
    /// Continues from a saved `state`.
    mutating func restore(_ state: StageState) throws
}

extension AggregationStage {
    var state: StageState { [:] }
    mutating func restore(_ state: StageState) throws {}
}

/// How a step's updates become the next global model: client-level clipping (DP-FedAvg),
/// the Byzantine clients' substitution by the attack's vector, rejection of updates
/// holding NaN or infinity, the combination (the robust rule, or the strategy's weights
/// `sum_i d_i Delta_i`), the distance to the honest mean, client-level noise, and the
/// server optimizer, each stage present when the scenario asks for it, in that order.
struct AggregationPipeline {
    private var stages: [any AggregationStage]
    /// The clients whose updates the attack replaces, or whose data it poisons.
    let byzantineClients: Set<Int>
    /// Whether the Byzantine clients train on flipped labels instead of sending a crafted update.
    let flipsLabels: Bool

    init(scenario: Scenario, privacy: PrivacyPlan?) throws {
        byzantineClients = Set(scenario.attack?.clients ?? [])
        flipsLabels = scenario.attack?.kind == .labelFlip
        let rule = try scenario.aggregator.map(RobustAggregator.init)
        let clientLevel = try privacy.flatMap { plan in
            plan.settings.mode == .client
                ? try DPFedAvgNoise(clipNorm: plan.settings.clipNorm, noiseMultiplier: plan.noiseMultiplier) : nil
        }
        let perRound = privacy?.clientsPerRound ?? 0
        var stages: [any AggregationStage] = []
        if let clientLevel { stages.append(ClientLevelClipping(noise: clientLevel, clientsPerRound: perRound)) }
        if !byzantineClients.isEmpty {
            stages.append(ByzantineSubstitution(
                attack: scenario.attack?.makeAttack(against: rule ?? RobustAggregator(rule: Average())),
                seed: scenario.seed))
        }
        stages.append(NonFiniteRejection())
        if let rule {
            stages.append(RobustCombination(rule: rule, seed: scenario.seed))
        } else {
            stages.append(WeightedCombination())
        }
        if !byzantineClients.isEmpty { stages.append(HonestDistance()) }
        if let clientLevel {
            stages.append(ClientLevelNoise(noise: clientLevel, clientsPerRound: perRound, seed: scenario.seed))
        }
        stages.append(ServerOptimizerStep(optimizer: scenario.server.makeOptimizer()))
        self.stages = stages
        sumsUpdatesAsTheyArrive = byzantineClients.isEmpty && clientLevel == nil && rule == nil
    }

    /// Whether a step's combination is the strategy's weighted sum of its finite updates
    /// and nothing before it looks at all the updates together (no robust rule, attack or
    /// client-level privacy), so the coordinator may sum the updates as they arrive
    /// (`StreamedStep`) and hand `apply(_:streamed:to:)` the sum.
    let sumsUpdatesAsTheyArrive: Bool

    /// Moves `model` by `step`, whose contributions' updates are `results` (in the
    /// step's order), through every stage; returns what they did.
    mutating func apply(_ step: AggregationStep, results: [ClientResult], to model: inout [Float]) throws
        -> AggregationFacts {
        let clients = step.contributions.map(\.job.client)
        var work = StepWork(step: step.number, clients: clients, updates: results.map(\.delta),
                            weights: step.contributions.map(\.weight),
                            byzantine: clients.map(byzantineClients.contains))
        for index in stages.indices {
            try stages[index].apply(&work, to: &model)
        }
        return work.facts
    }

    /// Moves `model` by `step`, whose updates `streamed` summed as they arrived, through
    /// the stages after the combination; returns what they did. The same model and facts
    /// as `apply(_:results:to:)` on the step's updates.
    ///
    /// - Precondition: `sumsUpdatesAsTheyArrive`, and `streamed` added every contribution.
    mutating func apply(_ step: AggregationStep, streamed: StreamedStep, to model: inout [Float]) throws
        -> AggregationFacts {
        precondition(sumsUpdatesAsTheyArrive && streamed.added == step.contributions.count,
                     "step \(step.number) cannot take a streamed sum")
        var work = StepWork(step: step.number, clients: [], updates: [], weights: [], byzantine: [])
        work.combined = streamed.sum.result
        work.facts.rejected = streamed.rejected
        let combination = stages.firstIndex { $0 is WeightedCombination }!
        for index in stages.indices where index > combination {
            try stages[index].apply(&work, to: &model)
        }
        return work.facts
    }

    /// Every stateful stage's state, by stage name.
    var state: [String: StageState] {
        Dictionary(uniqueKeysWithValues: stages.map { ($0.name, $0.state) }.filter { !$0.1.isEmpty })
    }

    /// Continues every stage from `state`.
    mutating func restore(_ state: [String: StageState]) throws {
        for index in stages.indices {
            try stages[index].restore(state[stages[index].name] ?? [:])
        }
    }
}
