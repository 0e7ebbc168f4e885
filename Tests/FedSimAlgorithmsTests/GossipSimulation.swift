import FedSimAlgorithms
import FedSimCore

/// Runs `programs` through `events` one at a time until `time`, as a single host would:
/// an exchange hands each end the other's message, a send the sender's to the receiver.
func simulate(_ programs: inout [any NodeProgram], _ events: any IteratorProtocol<GossipEvent>, until time: Double) {
    var events = events
    while let event = events.next(), event.time <= time {
        let (i, j) = (event.first, event.second)
        switch event.kind {
        case .local: programs[i].local(at: event.time, event: event.index)
        case .combine: programs[i].combine(at: event.time)
        case .exchange:
            let toJ = programs[i].message(at: event.time, to: j)
            let toI = programs[j].message(at: event.time, to: i)
            programs[i].receive(toI[...], from: j, at: event.time)
            programs[j].receive(toJ[...], from: i, at: event.time)
        case .send:
            let message = programs[i].message(at: event.time, to: j)
            programs[j].receive(message[...], from: i, at: event.time)
        }
    }
}

/// f(x) = (1/2) ||x - center||^2: mu = L = 1, minimizer `center`.
struct Quadratic: Objective {
    let center: [Double]
    var parameterCount: Int { center.count }
    var rowCount: Int { 1 }
    func value(at x: [Double]) -> Double { zip(x, center).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 2 }
    func valueAndGradient(at x: [Double]) -> (value: Double, gradient: [Double]) {
        (value(at: x), zip(x, center).map { $0 - $1 })
    }
    func hessian(at x: [Double]) -> [Double] { [] }
    func accuracy(at x: [Double]) -> Double? { nil }
    func regularityConstants() -> RegularityConstants { RegularityConstants(strongConvexity: 1, smoothness: 1) }
    init(center: [Double]) { self.center = center }
    init(pooling parts: [Quadratic]) { center = parts[0].center }
}
