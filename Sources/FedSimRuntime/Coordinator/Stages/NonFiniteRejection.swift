import FedSimCore

/// Drops every update holding NaN or infinity, whatever its client sent, honest or not,
/// and counts them in the facts.
struct NonFiniteRejection: AggregationStage {
    var name: String { "non_finite_rejection" }

    func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        let finite = work.updates.indices.filter { work.updates[$0].allFinite }
        work.facts.rejected = work.updates.count - finite.count
        work.keep(finite)
    }
}
