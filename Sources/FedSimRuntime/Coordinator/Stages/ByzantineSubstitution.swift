import FedSimAlgorithms
import FedSimCore

/// The Byzantine clients of a step send the attack's vector instead of their update,
/// crafted from the honest updates that hold only finite values (label flippers, which
/// poison their data instead, send what they trained). Counts them in the facts.
struct ByzantineSubstitution: AggregationStage {
    /// The update attack; nil when the Byzantine clients attack through their data.
    let attack: (any ByzantineAttack)?
    let seed: UInt64

    var name: String { "byzantine_substitution" }

    func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        let attacked = work.byzantinePositions
        work.facts.byzantine = attacked.count
        guard let attack, !attacked.isEmpty else { return }
        let honest = work.honestPositions.filter { work.updates[$0].allFinite }
        var stream = RandomStream(seed: seed, purpose: .attack, counter: work.step)
        do {
            let vector = try attack.byzantineVector(
                honest: honest.map { work.updates[$0] }, byzantineCount: attacked.count, stream: &stream)
            for index in attacked { work.updates[index] = vector }
        } catch {
            throw RunError.attackFailed(step: work.step, attack: attack.name, honestUpdates: honest.count, reason: "\(error)")
        }
    }
}
