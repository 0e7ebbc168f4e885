import FedSimAlgorithms
import FedSimCore
import FedSimWire
import Foundation

/// The nodes a worker hosts in a decentralized run, and the loop that carries out their
/// events as the coordinator hands them out, exchanging messages directly with the other
/// workers.
///
/// Each node takes its own events in index order; nodes are otherwise independent, so a
/// node that waits for a partner's message does not hold up the others. At an exchange a
/// node first sends its message (to the partner's worker, or straight to the partner
/// when it lives here) and then waits for the partner's; at a send, the sender sends and
/// goes on, the receiver waits. Messages to another worker are
/// batched and sent whenever this worker runs out of work or a batch grows large, so
/// the wire stays off the critical path. No ordering of all this can deadlock: the
/// earliest unfinished event always has both its nodes' earlier events done.
///
/// The results do not depend on how the events were batched, on message timing, or on
/// which worker hosts which node: a node's state is a function of its own events and of
/// its partners' messages, which are functions of theirs.
final class NodeHost {
    private struct Slot {
        var program: any NodeProgram
        /// Events not yet done, in index order, from `head` on.
        var events: [GossipEvent] = []
        var head = 0
        /// Partners' messages for exchanges this node has not finished, by event index.
        var received: [UInt64: ArraySlice<Double>] = [:]
        /// Whether this node sent its message for its current (first pending) exchange.
        var sent = false

        var next: GossipEvent? { head < events.count ? events[head] : nil }

        mutating func pop() {
            head += 1
            if head > 256, head * 2 > events.count {
                events.removeFirst(head)
                head = 0
            }
        }
    }

    private let transport: WorkerTransport
    private let selfIndex: Int
    /// The worker index of every node.
    private let hosts: [Int]
    /// The length of every model.
    private let width: Int
    /// The length of every message between nodes.
    private let messageWidth: Int
    private let log: (String) -> Void
    private var slots: [Int: Slot]
    /// Nodes that may be able to go on.
    private var ready: [Int] = []
    private var isReady: Set<Int> = []
    /// Messages waiting to go to each other worker.
    private var outgoing: [Int: GossipBatch] = [:]
    /// A snapshot asked for and not answered yet, with the models taken so far.
    private struct PendingSnapshot {
        let request: SnapshotRequest
        var models: [Int: [Double]] = [:]
    }

    /// Snapshots asked for and not answered yet, oldest first.
    private var snapshots: [PendingSnapshot] = []
    /// Messages sent to a worker in one batch at most, before a flush.
    static let batchLimit = 512

    /// - Parameters:
    ///   - programs: the hosted nodes' programs, by node.
    ///   - width: the length of every model.
    ///   - messageWidth: the length of every message between nodes.
    init(transport: WorkerTransport, selfIndex: Int, hosts: [Int], programs: [Int: any NodeProgram], width: Int,
         messageWidth: Int, log: @escaping (String) -> Void) {
        self.transport = transport
        self.selfIndex = selfIndex
        self.hosts = hosts
        self.width = width
        self.messageWidth = messageWidth
        self.log = log
        slots = programs.mapValues { Slot(program: $0) }
    }

    /// Runs until the coordinator says Stop; returns the number of events done.
    /// - Throws: what the transport throws, and `NodeHostError` for a message that
    ///   names a node not hosted here or breaks the events' order.
    func run(idleTimeout: Double) throws -> Int {
        var done = 0
        var lastHeard = Date()
        while true {
            done += try advanceReadyNodes()
            try flush()
            try sendCompleteSnapshots()
            guard let inbound = try transport.receiveFromAnyone(timeoutMilliseconds: 200) else {
                if Date().timeIntervalSince(lastHeard) > idleTimeout {
                    throw NodeHostError.silence(seconds: Int(idleTimeout), waiting: waitingDescription)
                }
                continue
            }
            lastHeard = Date()
            switch inbound {
            case let .coordinator(.events(batch)):
                try take(batch)
            case let .coordinator(.snapshot(request)):
                snapshots.append(PendingSnapshot(request: request))
                for (node, slot) in slots { takeSnapshots(of: node, slot.program, before: slot.next?.index) }
            case let .coordinator(.stop(reason)):
                log("stopping after \(done) events (\(reason))")
                return done
            case let .peer(.gossip(batch)):
                try take(batch)
            case .coordinator(.heartbeat):
                continue
            case let .coordinator(message), let .peer(message):
                throw NodeHostError.unexpected(message.kind)
            }
        }
    }

    // MARK: - Events

    private func take(_ batch: EventBatch) throws {
        for k in 0..<batch.count {
            let event = batch[k]
            var touched = false
            for node in event.nodes where slots[node] != nil {
                if let last = slots[node]!.events.last, last.index >= event.index {
                    throw NodeHostError.outOfOrder(node: node, event: event.index, after: last.index)
                }
                slots[node]!.events.append(event)
                markReady(node)
                touched = true
            }
            guard touched else { throw NodeHostError.notHosted(node: event.first, event: event.index) }
        }
    }

    private func take(_ batch: GossipBatch) throws {
        guard batch.width == messageWidth else { throw NodeHostError.width(batch.width, expected: messageWidth) }
        for k in 0..<batch.count {
            let node = batch.toNodes[k]
            guard slots[node] != nil else { throw NodeHostError.notHosted(node: node, event: batch.events[k]) }
            slots[node]!.received[batch.events[k]] = batch.message(k)
            markReady(node)
        }
    }

    private func markReady(_ node: Int) {
        if isReady.insert(node).inserted { ready.append(node) }
    }

    /// Runs every ready node until it waits or has nothing to do; returns the events done.
    private func advanceReadyNodes() throws -> Int {
        var done = 0
        while let node = ready.popLast() {
            isReady.remove(node)
            done += try advance(node)
            if outgoing.values.contains(where: { $0.count >= Self.batchLimit }) { try flush() }
        }
        return done
    }

    /// Carries out `node`'s events until it waits for a partner or has none left.
    private func advance(_ node: Int) throws -> Int {
        var slot = slots.removeValue(forKey: node)!
        defer { slots[node] = slot }
        var done = 0
        while let event = slot.next {
            takeSnapshots(of: node, slot.program, before: event.index)
            switch event.kind {
            case .local:
                slot.program.local(at: event.time, event: event.index)
            case .combine:
                slot.program.combine(at: event.time)
            case .exchange:
                let partner = event.partner(of: node)
                if !slot.sent {
                    let message = slot.program.message(at: event.time, to: partner)
                    slot.sent = true
                    try deliver(message, from: node, to: partner, event: event.index)
                }
                guard let message = slot.received.removeValue(forKey: event.index) else { return done }
                slot.program.receive(message, from: partner, at: event.time)
                slot.sent = false
            case .send where event.first == node:
                try deliver(slot.program.message(at: event.time, to: event.second), from: node, to: event.second,
                            event: event.index)
            case .send:
                guard let message = slot.received.removeValue(forKey: event.index) else { return done }
                slot.program.receive(message, from: event.first, at: event.time)
            }
            slot.pop()
            done += 1
        }
        takeSnapshots(of: node, slot.program, before: nil)
        return done
    }

    private func deliver(_ message: [Double], from node: Int, to partner: Int, event: UInt64) throws {
        guard hosts.indices.contains(partner) else { throw NodeHostError.notHosted(node: partner, event: event) }
        let host = hosts[partner]
        if host == selfIndex {
            guard slots[partner] != nil else { throw NodeHostError.notHosted(node: partner, event: event) }
            slots[partner]!.received[event] = message[...]
            markReady(partner)
        } else {
            outgoing[host, default: GossipBatch(width: messageWidth)].append(from: node, to: partner, event: event,
                                                                       message: message)
        }
    }

    private func flush() throws {
        for (worker, batch) in outgoing where !batch.isEmpty {
            try transport.sendToPeer(EncodedMessage(.gossip(batch)), worker: worker)
        }
        outgoing.removeAll(keepingCapacity: true)
    }

    // MARK: - Snapshots

    /// Takes `node`'s model for every pending snapshot all of whose events the node has
    /// done, its next event being at index `next` (nil: none is pending, so every event
    /// before a pending snapshot, all of which arrived before it, is done). Taken before
    /// the node goes past the snapshot's time.
    private func takeSnapshots(of node: Int, _ program: any NodeProgram, before next: UInt64?) {
        for k in snapshots.indices where snapshots[k].models[node] == nil && (next ?? .max) >= snapshots[k].request.through {
            snapshots[k].models[node] = program.model(at: snapshots[k].request.time)
        }
    }

    /// Sends the oldest snapshots that have every node's model.
    private func sendCompleteSnapshots() throws {
        while let snapshot = snapshots.first, snapshot.models.count == slots.count {
            snapshots.removeFirst()
            let nodes = snapshot.models.keys.sorted()
            var values: [Double] = []
            values.reserveCapacity(nodes.count * width)
            for node in nodes { values += snapshot.models[node]! }
            try transport.send(.nodeStates(NodeStates(time: snapshot.request.time, nodes: nodes, width: width,
                                                      values: values)))
        }
    }

    /// The nodes waiting for a partner, for an error message.
    private var waitingDescription: String {
        let waiting = slots.keys.sorted().compactMap { node -> String? in
            guard let event = slots[node]?.next,
                  event.kind == .exchange || (event.kind == .send && event.second == node) else { return nil }
            return "node \(node) at event \(event.index) with node \(event.partner(of: node))"
        }
        return waiting.isEmpty ? "events from the coordinator" : waiting.prefix(3).joined(separator: "; ")
    }
}

/// Why a worker's nodes could not go on.
enum NodeHostError: FedSimError, Equatable {
    case notHosted(node: Int, event: UInt64)
    case outOfOrder(node: Int, event: UInt64, after: UInt64)
    case width(Int, expected: Int)
    case unexpected(String)
    case silence(seconds: Int, waiting: String)

    var description: String {
        switch self {
        case let .notHosted(node, event): return "event \(event) names node \(node), which is not hosted here"
        case let .outOfOrder(node, event, after): return "event \(event) of node \(node) arrived after event \(after)"
        case let .width(width, expected): return "gossip messages of \(width) values, the nodes' messages have \(expected)"
        case let .unexpected(kind): return "unexpected \(kind) during a decentralized run"
        case let .silence(seconds, waiting): return "no message for \(seconds) s; waiting for \(waiting)"
        }
    }
}
