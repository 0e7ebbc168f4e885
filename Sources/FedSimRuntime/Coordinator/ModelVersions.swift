/// The global model's versions a run still needs: the current one, and each one a
/// running job trains from (a job lost with its worker is trained again from it). Each
/// running job holds its version from its dispatch until its update arrives or it is
/// dropped; a version no job holds is forgotten once it is no longer current. Every
/// operation is O(1) but the model copy `advance` makes when a running job still holds
/// the current version.
///
/// A version is the trainable vector and, when the server re-sets them (FedSVD), the
/// frozen A factors of the model's adapters (`Sequential.adapterFactors`), which travel
/// with it; empty otherwise.
struct ModelVersions: Codable, Equatable, Sendable {
    /// The current version: the number of steps taken.
    private(set) var current: Int
    private var parameters: [Int: [Float]]
    private var adapterFactors: [Int: [Float]]
    /// How many running jobs hold each version.
    private var holders: [Int: Int] = [:]

    /// Version 0, `initial` with `adapterFactors`.
    init(initial: [Float], adapterFactors: [Float] = []) {
        current = 0
        parameters = [0: initial]
        self.adapterFactors = [0: adapterFactors]
    }

    /// The current model.
    var latest: [Float] { parameters[current]! }

    /// The current model's re-set adapter factors (empty when the server sets none).
    var latestAdapterFactors: [Float] { adapterFactors[current]! }

    /// The parameters of `version`, if it is still kept.
    func parameters(of version: Int) -> [Float]? { parameters[version] }

    /// The re-set adapter factors of `version`, if it is still kept.
    func adapterFactors(of version: Int) -> [Float]? { adapterFactors[version] }

    /// The versions kept, in increasing order.
    var kept: [Int] { parameters.keys.sorted() }

    /// A job starts from the current version.
    mutating func hold(_ version: Int) {
        precondition(version == current, "a job starts from version \(version) while the model is at \(current)")
        holders[version, default: 0] += 1
    }

    /// A job that started from `version` needs it no more.
    mutating func release(_ version: Int) {
        guard let count = holders[version] else { preconditionFailure("no job holds version \(version)") }
        if count > 1 {
            holders[version] = count - 1
            return
        }
        holders[version] = nil
        if version != current {
            parameters[version] = nil
            adapterFactors[version] = nil
        }
    }

    /// Makes `version` current, its parameters and adapter factors the current ones
    /// changed by `change`; the old current ones are changed in place unless a running
    /// job holds them.
    mutating func advance(to version: Int, _ change: (inout [Float], inout [Float]) throws -> Void) rethrows {
        let held = holders[current] != nil
        var model = held ? parameters[current]! : parameters.removeValue(forKey: current)!
        var factors = held ? adapterFactors[current]! : adapterFactors.removeValue(forKey: current)!
        try change(&model, &factors)
        parameters[version] = model
        adapterFactors[version] = factors
        current = version
    }
}
