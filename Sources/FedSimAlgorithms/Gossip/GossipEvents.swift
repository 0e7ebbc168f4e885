import FedSimCore

/// The events of an asynchronous gossip run in time order: two independent Poisson
/// processes, gradient events (`.local`) at total rate `gradientRate` each at a uniformly
/// chosen node, and communication events (`.exchange`) at total rate `communicationRate`
/// each on a uniformly chosen edge (the process of the DADAO authors' code).
///
/// Event j of the gradient process (j = 0, 1, ...) draws from
/// `RandomStream(seed:, purpose: .gossip, client: gradientStream, counter: j)` the gap
/// since event j - 1 (or since time 0), an exponential of rate `gradientRate`, then its
/// node; the communication process likewise from client `communicationStream`, drawing
/// its edge's index in `graph.edges`. Those clients lie above every node number, so
/// per-node gossip streams are other streams. The sequence is therefore a pure function
/// of (seed, graph, rates), each process's events do not depend on the other's rate, and
/// `position` (two counts and two times) is all there is to save: a process built from a
/// saved position goes on exactly as the original, and taking events one by one or in
/// batches of any size gives the same events. At equal times the gradient event comes
/// first. Each process has 2^32 events (the counter's range).
///
/// The sequence has no end: take events with `next()` or `next(_:)`, or while
/// `nextTime` is below a horizon. O(1) per event.
public struct GossipEvents: IteratorProtocol, Sequence, Sendable {
    /// The random stream's client of the gradient process.
    public static let gradientStream = Int(UInt32.max)
    /// The random stream's client of the communication process.
    public static let communicationStream = Int(UInt32.max) - 1

    /// How far the process has got: the events of each process taken so far and the time
    /// of each process's next event.
    public struct Position: Equatable, Codable, Sendable {
        public internal(set) var gradients = 0
        public internal(set) var nextGradientTime: Double
        public internal(set) var communications = 0
        public internal(set) var nextCommunicationTime: Double

        /// The index of the next event.
        public var index: Int { gradients + communications }
    }

    public let graph: Graph
    public let seed: UInt64
    public let gradientRate: Double
    public let communicationRate: Double
    public private(set) var position: Position

    /// The process from time 0, or continuing from a saved `position`.
    /// - Throws: `GossipError` unless both rates are finite and > 0, the graph has an edge
    ///   and `position` has counts in 0..<2^32 and finite times >= 0.
    public init(
        graph: Graph, seed: UInt64, gradientRate: Double, communicationRate: Double, position: Position? = nil
    ) throws {
        try GossipError.requirePositive(gradientRate, "the gradient event rate")
        try GossipError.requirePositive(communicationRate, "the communication event rate")
        guard !graph.edges.isEmpty else { throw GossipError.noEdges }
        self.graph = graph
        self.seed = seed
        self.gradientRate = gradientRate
        self.communicationRate = communicationRate
        self.position = Position(nextGradientTime: 0, nextCommunicationTime: 0)
        if let position {
            try Self.validate(position)
            self.position = position
        } else {
            self.position.nextGradientTime = gradientDraw(0).gap
            self.position.nextCommunicationTime = communicationDraw(0).gap
        }
    }

    /// The time of the next event.
    public var nextTime: Double { Swift.min(position.nextGradientTime, position.nextCommunicationTime) }

    /// The next event; never nil.
    public mutating func next() -> GossipEvent? {
        let index = UInt64(position.index)
        if position.nextGradientTime <= position.nextCommunicationTime {
            let time = position.nextGradientTime
            let node = gradientDraw(position.gradients).choice
            position.gradients += 1
            position.nextGradientTime = time + gradientDraw(position.gradients).gap
            return GossipEvent(index: index, time: time, kind: .local, first: node)
        }
        let time = position.nextCommunicationTime
        let edge = graph.edges[communicationDraw(position.communications).choice]
        position.communications += 1
        position.nextCommunicationTime = time + communicationDraw(position.communications).gap
        return GossipEvent(index: index, time: time, kind: .exchange, first: edge.i, second: edge.j)
    }

    /// The next `count` events.
    public mutating func next(_ count: Int) -> [GossipEvent] {
        (0..<count).map { _ in next()! }
    }

    private func gradientDraw(_ event: Int) -> (gap: Double, choice: Int) {
        Self.draw(seed: seed, stream: Self.gradientStream, event: event, rate: gradientRate, choices: graph.nodes)
    }

    private func communicationDraw(_ event: Int) -> (gap: Double, choice: Int) {
        Self.draw(
            seed: seed, stream: Self.communicationStream, event: event, rate: communicationRate,
            choices: graph.edges.count)
    }

    /// Event `event` of one process: the gap since the process's previous event, then
    /// which of `choices` it happens at.
    private static func draw(seed: UInt64, stream: Int, event: Int, rate: Double, choices: Int) -> (gap: Double, choice: Int) {
        precondition(event <= Int(UInt32.max), "a gossip event process has 2^32 events")
        var random = RandomStream(seed: seed, purpose: .gossip, client: stream, counter: event)
        let gap = random.exponential(rate: rate)
        return (gap, random.integer(below: choices))
    }

    private static func validate(_ position: Position) throws {
        for (name, count) in [("gradient", position.gradients), ("communication", position.communications)] {
            guard (0...Int(UInt32.max)).contains(count) else {
                throw GossipError.invalidPosition(reason: "\(count) \(name) events is outside 0..<2^32")
            }
        }
        for (name, time) in [("gradient", position.nextGradientTime), ("communication", position.nextCommunicationTime)] {
            guard time.isFinite, time >= 0 else {
                throw GossipError.invalidPosition(reason: "the next \(name) event's time \(time) is not finite and >= 0")
            }
        }
    }
}

extension GossipEvents {
    /// DADAO's events on `graph`: gradient events at rate 1 per node, communication
    /// events at total rate lambda_mix.
    public init(graph: Graph, seed: UInt64, constants: DADAOConstants, position: Position? = nil) throws {
        try self.init(
            graph: graph, seed: seed, gradientRate: DADAOConstants.gradientRatePerNode * Double(graph.nodes),
            communicationRate: constants.lambdaMix, position: position)
    }
}
