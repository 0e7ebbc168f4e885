import FedSimAlgorithms
import FedSimCore

/// The robust rule in place of the weighted sum (a zero step when no update is left),
/// drawing from the `.aggregation` stream of the step. Records the rule's reports, the
/// clients a selecting rule kept (without pre-aggregators, whose outputs are no longer
/// clients), and the inputs clipped and values trimmed. Carries a stateful rule's state
/// (centered clipping's center) from step to step.
struct RobustCombination: AggregationStage {
    private(set) var rule: RobustAggregator
    let seed: UInt64

    var name: String { "robust_combination" }

    mutating func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        guard !work.updates.isEmpty else {
            work.combined = [Float](repeating: 0, count: model.count)
            return
        }
        var stream = RandomStream(seed: seed, purpose: .aggregation, counter: work.step)
        let result: RobustAggregation
        do {
            result = try rule.aggregate(work.updates, stream: &stream)
        } catch {
            throw RunError.aggregationFailed(step: work.step, rule: rule.name, updates: work.updates.count, reason: "\(error)")
        }
        work.combined = result.aggregate
        work.facts.robust = result.reports.map(\.description).joined(separator: "; ")
        if rule.preAggregators.isEmpty, let selected = result.reports.last?.selected {
            work.facts.selectedClients = selected.map { work.clients[$0] }
        }
        work.facts.clipped = result.reports.compactMap(\.clipped).reduce(nil) { ($0 ?? 0) + $1 }
        work.facts.trimmedPerCoordinate = result.reports.compactMap(\.trimmedPerCoordinate).reduce(nil) { ($0 ?? 0) + $1 }
    }

    var state: StageState {
        rule.rule.carriedState.map { ["carried": $0.map(Double.init)] } ?? [:]
    }

    mutating func restore(_ state: StageState) throws {
        rule.rule.carriedState = state["carried"].map { $0.map(Float.init) }
    }
}
