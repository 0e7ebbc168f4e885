/// The global model's versions a run still needs: the current one, and each one a
/// running job trains from (a job lost with its worker is trained again from it).
struct ModelVersions: Codable, Equatable, Sendable {
    /// The current version: the number of steps taken.
    private(set) var current: Int
    private var parameters: [Int: [Float]]

    /// Version 0, `initial`.
    init(initial: [Float]) {
        current = 0
        parameters = [0: initial]
    }

    /// The current model.
    var latest: [Float] { parameters[current]! }

    /// The parameters of `version`, if it is still kept.
    func parameters(of version: Int) -> [Float]? { parameters[version] }

    /// The versions kept, in increasing order.
    var kept: [Int] { parameters.keys.sorted() }

    /// Makes `version` current, its parameters the current ones changed by `change`, and
    /// forgets every older version not in `needed`. The current parameters are changed
    /// in place unless a running job still needs them.
    mutating func advance(to version: Int, keeping needed: Set<Int>,
                          _ change: (inout [Float]) throws -> Void) rethrows {
        var model = needed.contains(current) ? parameters[current]! : parameters.removeValue(forKey: current)!
        try change(&model)
        parameters[version] = model
        current = version
        parameters = parameters.filter { $0.key == version || needed.contains($0.key) }
    }
}
