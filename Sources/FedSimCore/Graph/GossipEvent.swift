/// One event of a decentralized run over a graph: its index in the run's whole sequence,
/// its virtual time, its kind and its node (or both ends of its edge).
public struct GossipEvent: Equatable, Codable, Sendable {
    /// What happens at an event.
    public enum Kind: UInt32, Codable, Sendable, CaseIterable {
        /// A local step (a gradient, or D-SGD's local training) at node `first`.
        case local = 0
        /// An exchange between the nodes `first` and `second` over their edge.
        case exchange = 1
        /// Node `first` combines what its neighbours sent (D-SGD's mixing).
        case combine = 2
        /// Node `first` sends a message to node `second`, which takes it; `first` does
        /// not wait for an answer (a pull by `second`, or a walk's token).
        case send = 3
    }

    public let index: UInt64
    public let time: Double
    public let kind: Kind
    public let first: Int
    /// The other end of an exchange, the receiver of a send; 0 for the other kinds.
    public let second: Int

    public init(index: UInt64, time: Double, kind: Kind, first: Int, second: Int = 0) {
        self.index = index
        self.time = time
        self.kind = kind
        self.first = first
        self.second = second
    }

    /// The nodes the event touches: both ends of an exchange or a send, else its node.
    public var nodes: [Int] { kind == .exchange || kind == .send ? [first, second] : [first] }

    /// The node at the other end of an exchange or a send from `node`.
    public func partner(of node: Int) -> Int {
        node == first ? second : first
    }
}
