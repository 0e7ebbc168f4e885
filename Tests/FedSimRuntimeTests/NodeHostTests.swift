import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// A node that adds its local steps' counters and averages with partners at exchanges:
/// any event applied out of order, twice, or with the wrong partner's value shows.
private struct AveragingNode: NodeProgram {
    var value: Double
    var pending: [Double] = []

    mutating func local(at time: Double, event: UInt64) {
        value = value * 1.5 + Double(event % 7)
    }

    mutating func message(at time: Double, to partner: Int) -> [Double] {
        [value, time]
    }

    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        precondition(message.last == time, "a message of another exchange")
        pending.append(message.first!)
    }

    mutating func combine(at time: Double) {
        value = (value + pending.reduce(0, +)) / Double(pending.count + 1)
        pending.removeAll()
    }

    func model(at time: Double) -> [Double] {
        [value, Double(pending.count)]
    }
}

/// What the hosts' threads report, behind a lock.
private final class HostOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var events = 0
    private(set) var failures: [String] = []

    func add(events count: Int) {
        lock.lock()
        events += count
        lock.unlock()
    }

    func add(failure: String) {
        lock.lock()
        failures.append(failure)
        lock.unlock()
    }
}

final class NodeHostTests: XCTestCase {
    /// Random events on a 12-node graph: local steps, one-way sends along edges (each
    /// followed by a combine at the receiver), exchanges on edges (each followed by a
    /// combine at both ends), in index order.
    private func events(count: Int, graph: Graph, seed: UInt64) -> [GossipEvent] {
        var stream = RandomStream(seed: seed, purpose: .gossip)
        var events: [GossipEvent] = []
        var index: UInt64 = 0
        func add(_ kind: GossipEvent.Kind, _ first: Int, _ second: Int = 0) {
            events.append(GossipEvent(index: index, time: Double(index) / 10, kind: kind, first: first, second: second))
            index += 1
        }
        while events.count < count {
            let draw = stream.uniform()
            if draw < 0.3 {
                add(.local, stream.integer(below: graph.nodes))
            } else if draw < 0.5 {
                let edge = graph.edges[stream.integer(below: graph.edges.count)]
                let (from, to) = stream.uniform() < 0.5 ? (edge.i, edge.j) : (edge.j, edge.i)
                add(.send, from, to)
                add(.combine, to)
            } else {
                let edge = graph.edges[stream.integer(below: graph.edges.count)]
                add(.exchange, edge.i, edge.j)
                add(.combine, edge.i)
                add(.combine, edge.j)
            }
        }
        return events
    }

    /// The nodes' models after the first `cut` events for each cut, computed one event at
    /// a time in one place.
    private func reference(_ events: [GossipEvent], nodes: Int, cuts: [Int]) -> [[[Double]]] {
        var programs = (0..<nodes).map { AveragingNode(value: Double($0)) }
        var snapshots: [[[Double]]] = []
        for (position, event) in events.enumerated() {
            if cuts.contains(position) { snapshots.append(programs.map { $0.model(at: event.time) }) }
            switch event.kind {
            case .local: programs[event.first].local(at: event.time, event: event.index)
            case .combine: programs[event.first].combine(at: event.time)
            case .exchange:
                let a = programs[event.first].message(at: event.time, to: event.second)
                let b = programs[event.second].message(at: event.time, to: event.first)
                programs[event.first].receive(b[...], from: event.second, at: event.time)
                programs[event.second].receive(a[...], from: event.first, at: event.time)
            case .send:
                let message = programs[event.first].message(at: event.time, to: event.second)
                programs[event.second].receive(message[...], from: event.first, at: event.time)
            }
        }
        if cuts.contains(events.count) { snapshots.append(programs.map { $0.model(at: events.last!.time) }) }
        return snapshots
    }

    /// The nodes' models after the first `cut` events for each cut, run by `workers` hosts
    /// on threads with the events handed out in batches of `batch` and each snapshot asked
    /// for as soon as the events before it are out; also the events the hosts did.
    private func hosted(_ events: [GossipEvent], nodes: Int, workers: Int, batch: Int, cuts: [Int]) throws
        -> ([[[Double]]], Int) {
        let network = InMemoryNetwork()
        let endpoints = (0..<workers).map { _ in network.connectWorker() }
        let hosts = (0..<nodes).map { $0 % workers }
        let peers = endpoints.map { network.peerEndpoint(of: $0.peer, port: 0) }
        let done = DispatchGroup()
        let outcome = HostOutcomes()
        for (index, endpoint) in endpoints.enumerated() {
            try endpoint.connectPeers(peers, keys: [], selfIndex: index)
            let programs = Dictionary(uniqueKeysWithValues: (0..<nodes).filter { hosts[$0] == index }
                .map { ($0, AveragingNode(value: Double($0)) as any NodeProgram) })
            let host = NodeHost(transport: endpoint, selfIndex: index, hosts: hosts, programs: programs, width: 2, messageWidth: 2,
                                log: { _ in })
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    outcome.add(events: try host.run(idleTimeout: 20))
                } catch {
                    outcome.add(failure: "\(error)")
                }
            }.start()
        }
        var pending = [EventBatch](repeating: EventBatch(), count: workers)
        func flush() throws {
            for (worker, batch) in pending.enumerated() where batch.count > 0 {
                try network.send(.events(batch), to: endpoints[worker].peer)
            }
            pending = [EventBatch](repeating: EventBatch(), count: workers)
        }
        func askSnapshot(through cut: Int) throws {
            try flush()
            for endpoint in endpoints {
                try network.send(.snapshot(SnapshotRequest(time: events[max(cut - 1, 0)].time, through: UInt64(cut))),
                                 to: endpoint.peer)
            }
        }
        for (position, event) in events.enumerated() {
            if cuts.contains(position) { try askSnapshot(through: position) }
            for worker in Set(event.nodes.map { hosts[$0] }) { pending[worker].append(event) }
            if (position + 1) % batch == 0 { try flush() }
        }
        if cuts.contains(events.count) { try askSnapshot(through: events.count) }
        // Each host answers the snapshots in order; different hosts' answers interleave.
        var snapshots = [[[Double]]](repeating: [[Double]](repeating: [], count: nodes), count: cuts.count)
        var answered: [PeerID: Int] = [:]
        for _ in 0..<(cuts.count * workers) {
            guard case let .message(.nodeStates(states), from: peer)? = try network.receive(timeoutMilliseconds: 20_000) else {
                XCTFail("a host sent no snapshot; failures: \(outcome.failures)")
                return ([], 0)
            }
            let cut = answered[peer, default: 0]
            answered[peer] = cut + 1
            XCTAssertEqual(states.time, events[max(cuts[cut] - 1, 0)].time)
            for (k, node) in states.nodes.enumerated() {
                snapshots[cut][node] = Array(states.values[(k * 2)..<(k * 2 + 2)])
            }
        }
        for endpoint in endpoints { try network.send(.stop(reason: "test over"), to: endpoint.peer) }
        done.wait()
        XCTAssertEqual(outcome.failures, [])
        return (snapshots, outcome.events)
    }

    func testHostedNodesGiveTheSameModelsAsOneEventAtATimeWhateverTheWorkersAndBatches() throws {
        let graph = try Graph(nodes: 12, edges: (0..<12).map { ($0, ($0 + 1) % 12) } + [(0, 6), (3, 9), (2, 7)])
        let events = events(count: 3_000, graph: graph, seed: 4)
        let cuts = [0, 1, 700, 1_501, 2_999, events.count]
        let expected = reference(events, nodes: 12, cuts: cuts)
        XCTAssertEqual(expected.count, cuts.count)
        for (workers, batch) in [(1, 3_000), (3, 1), (3, 97), (4, 1_000)] {
            let (snapshots, done) = try hosted(events, nodes: 12, workers: workers, batch: batch, cuts: cuts)
            XCTAssertEqual(snapshots, expected, "\(workers) workers, batches of \(batch)")
            let twoEnded = events.filter { $0.kind == .exchange || $0.kind == .send }.count
            XCTAssertEqual(done, events.count + twoEnded, "an exchange or a send is done once at each end")
        }
    }

    func testAnEventForANodeHostedElsewhereIsRefusedNamingIt() throws {
        let network = InMemoryNetwork()
        let endpoint = network.connectWorker()
        try endpoint.connectPeers(["inmemory://elsewhere"], keys: [], selfIndex: 0)
        let host = NodeHost(transport: endpoint, selfIndex: 0, hosts: [0, 0], programs: [0: AveragingNode(value: 0)],
                            width: 2, messageWidth: 2, log: { _ in })
        try network.send(.events(EventBatch(indices: [0], times: [0], kinds: [.local], first: [1], second: [0])),
                         to: endpoint.peer)
        XCTAssertThrowsError(try host.run(idleTimeout: 5)) { error in
            XCTAssertEqual("\(error)", "event 0 names node 1, which is not hosted here")
        }
    }
}
