import FedSimCore

/// What one node of a decentralized run does at its events: a gossip algorithm's node
/// side, which the worker hosting the node drives in the events' order. Models are flat
/// vectors in Double.
///
/// A node's results depend only on its own events, in order, and on what its partners
/// send it, so they do not depend on which worker hosts it or on when messages arrive.
public protocol NodeProgram {
    /// A local step at `time`: a gradient, or local training; `event` keys its random streams.
    mutating func local(at time: Double, event: UInt64)
    /// What this node sends `partner` at an exchange at `time`.
    mutating func message(at time: Double, to partner: Int) -> [Double]
    /// Takes `partner`'s message of the exchange at `time`, after sending its own.
    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double)
    /// Combines what the exchanges since the last local step brought (D-SGD's mixing).
    mutating func combine(at time: Double)
    /// The node's model as it is at `time` (no earlier than its last event), leaving the
    /// node unchanged.
    func model(at time: Double) -> [Double]
}
