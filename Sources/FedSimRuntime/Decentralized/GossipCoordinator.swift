import FedSimAlgorithms
import FedSimCore
import FedSimWire
import Foundation

/// Where a token walk is: the node holding the token (the last to take a step, or the
/// start) and each node's visits (its steps).
struct WalkPosition {
    var holder: Int
    var visits: [Int]

    mutating func visit(_ node: Int) {
        holder = node
        visits[node] += 1
    }

    var hops: Int { visits.reduce(0, +) }

    /// The total-variation distance of the visits' empirical distribution to the uniform
    /// target, (1/2) sum_i |visits_i / n - 1 / N|; 1 before the first hop.
    var visitDistance: Double {
        let hops = hops
        guard hops > 0 else { return 1 }
        let target = 1 / Double(visits.count)
        return visits.reduce(0) { $0 + abs(Double($1) / Double(hops) - target) } / 2
    }
}

/// Runs a scenario's `decentralized:` section: the coordinator is the event scheduler on
/// the virtual clock and never holds a node's state. Node i (part i of the partition) is
/// hosted by worker i mod W; the coordinator hands each worker the events that touch its
/// nodes, in batches in index order, and the workers exchange the nodes' messages
/// directly. At every evaluation time T (0, the interval's multiples, and the time budget)
/// it asks each worker for its nodes' models as they are at T, measures them and writes a
/// line of `metrics.jsonl`. A snapshot is asked for before any event after T is handed
/// out, and the next interval's events go out before the answers are awaited, so the
/// workers never wait for the coordinator's measuring.
///
/// The events are a pure function of the scenario, and a node's state of its events and
/// its partners' messages, so the metrics do not depend on the number of workers, the
/// batching or the timing of messages.
public final class GossipCoordinator {
    private let scenario: Scenario
    private let settings: DecentralizedSettings
    private let data: FederatedDataset
    private let transport: CoordinatorTransport
    private let options: CoordinatorOptions
    private let folder: RunFolder?
    private let graph: Graph
    private let evaluator: GossipEvaluator
    private let parameters: GossipParameters
    private let algorithm: any GossipAlgorithm.Type
    private let messageWidth: Int
    /// Gradients one local event takes at each node.
    private let gradientsPerLocalEvent: [Int]
    private let pool: WorkerPool
    /// The Byzantine nodes, which the measures leave out.
    private let byzantine: Set<Int>

    /// Events handed to a worker in one message at most.
    static let batchLimit = 4096

    /// An evaluation asked of the workers and not measured yet.
    private struct PendingSnapshot {
        /// Which evaluation it is, from 0 (at time 0): its record's step in the event file.
        let evaluation: Int
        let time: Double
        let gradients: Int
        let communications: Int
        /// Messages between nodes: two per exchange, one per send.
        let messages: Int
        /// A token walk's position: where the token is and each node's visits so far.
        let walk: WalkPosition?
        var models: [[Double]?]
        var answered: Set<Int> = []
    }

    public init(scenario: Scenario, data: FederatedDataset, transport: CoordinatorTransport, folder: RunFolder?,
                options: CoordinatorOptions) throws {
        guard let settings = scenario.decentralized else { throw GossipRunError.node(0, "the scenario is not decentralized") }
        guard data.clients.count == scenario.partition.clients else {
            throw RunError.dataMismatch(dataClients: data.clients.count, scenarioClients: scenario.partition.clients)
        }
        self.scenario = scenario
        self.settings = settings
        self.data = data
        self.transport = transport
        self.options = options
        self.folder = folder
        let graph = try settings.topology.make()
        self.graph = graph
        guard graph.nodes == data.clients.count else {
            throw GossipRunError.node(graph.nodes, "the graph has \(graph.nodes) nodes for \(data.clients.count) parts of the data")
        }
        let model = NodeModel(scenario, data: data)
        let algorithm = type(of: settings.algorithm)
        evaluator = try GossipEvaluator(model: model, data: data, seed: scenario.seed,
                                        stronglyConvexNodes: algorithm.needsObjective)
        self.algorithm = algorithm
        var parameters = try settings.algorithm.parameters(graph: graph, constants: evaluator.constants)
        parameters.robustness = GossipRobustness(byzantineNodes: scenario.attack?.clients ?? [], mixing: settings.mixing)
        parameters.seed = scenario.seed
        parameters.modelWidth = evaluator.width
        self.parameters = parameters
        byzantine = Set(parameters.robustness.byzantineNodes)
        messageWidth = try algorithm.messageWidth(modelWidth: evaluator.width, parameters: parameters)
        let perEvent = try algorithm.gradientsPerLocalEvent(parameters: parameters)
        gradientsPerLocalEvent = data.clients.map { perEvent * model.stepsPerLocalEvent(samples: $0.count) }
        let (spec, seed, nodeModel, nodeGraph) = (scenario.modelSpec(for: data), scenario.seed, model, graph)
        let (name, algorithmParameters, attack, mixing) = (settings.algorithmName, parameters, scenario.attack,
                                                           settings.mixing)
        pool = WorkerPool(transport: transport, options: options, scenarioName: scenario.name,
                          clientCount: data.clients.count) { index, nodes, peers in
            let (objective, regularization, totalRows) = nodeModel.wireDescription
            let assignment = DecentralizedAssignment(
                algorithm: name,
                settings: zip(algorithmParameters.names, algorithmParameters.values).map { NamedValue($0, $1) },
                graph: nodeGraph, hosts: (0..<nodeGraph.nodes).map { $0 % peers.endpoints.count },
                peers: peers.endpoints, training: nodeModel.training, objective: objective,
                regularization: regularization, totalRows: totalRows, peerKeys: peers.keys,
                byzantineNodes: algorithmParameters.robustness.byzantineNodes, attack: attack?.kind.rawValue ?? "",
                attackSettings: attack?.wireSettings ?? [],
                mixingRule: mixing?.named.rule ?? "", mixingSettings: mixing?.named.settings.map { NamedValue($0, $1) } ?? [])
            return Assign(workerIndex: index, seed: seed, model: spec,
                          clients: nodes.map { ClientShard(clientID: $0, data: data.clients[$0]) },
                          decentralized: assignment)
        }
    }

    /// Waits for the workers, places the nodes, runs the events to the time budget with
    /// an evaluation at every interval, stops the workers and writes the run folder.
    public func run() throws -> GossipSummary {
        let started = Date()
        var records: [GossipRecord] = []
        var events = 0
        let trainingStarted: Date
        do {
            try pool.awaitWorkers()
            try pool.placeClients()
            trainingStarted = Date()
            events = try runEvents(since: trainingStarted) { records.append($0) }
        } catch {
            pool.stopAll(reason: "the coordinator stopped: \(error)")
            var facts = JSONObject()
            facts.set("scenario", scenario.name)
            facts.set("algorithm", settings.algorithmName)
            facts.set("evaluations", records.count)
            facts.set("virtual_time", records.last?.time)
            facts.set("wall_seconds", Date().timeIntervalSince(started))
            var status = RunStatus.failed
            if case RunError.interrupted = error { status = .interrupted }
            try? folder?.writeSummary(facts, status: status, reason: "\(error)")
            throw error
        }
        let trainingSeconds = Date().timeIntervalSince(trainingStarted)
        pool.stopAll(reason: "run complete")
        let traffic = transport.traffic
        let summary = GossipSummary(
            scenario: scenario.name, algorithm: settings.algorithmName, nodes: graph.nodes, edges: graph.edges.count,
            workers: pool.count, parameters: evaluator.width, events: events, virtualTime: records.last!.time,
            final: records.last!, constants: evaluator.constants,
            graphConstants: graph.isConnected && !graph.edges.isEmpty ? try DADAOGraphConstants(graph) : nil,
            algorithmParameters: Array(zip(parameters.names, parameters.values)), optimum: evaluator.optimum,
            wallSeconds: Date().timeIntervalSince(started), wallTrainingSeconds: trainingSeconds,
            wireBytesSent: traffic.bytesSent, wireBytesReceived: traffic.bytesReceived)
        try folder?.finish(csv: "nodes.csv", nodesCSV(), summary: summary.json)
        return summary
    }

    /// The evaluation times: 0, each multiple of the interval below the budget, the budget.
    private var evaluationTimes: [Double] {
        let interval = settings.evaluationInterval
        let budget = settings.timeBudget
        var times = [0.0]
        var k = 1.0
        while k * interval < budget {
            times.append(k * interval)
            k += 1
        }
        return times + [budget]
    }

    /// Hands out the events up to the time budget and records every evaluation; returns
    /// the events handed out.
    private func runEvents(since start: Date, record: (GossipRecord) throws -> Void) throws -> Int {
        var events = try algorithm.events(graph: graph, seed: scenario.seed, parameters: parameters)
        var next = events.next()
        var handedOut = 0
        var gradients = 0
        var communications = 0
        var messages = 0
        var walk = try algorithm.tokenStart(graph: graph, parameters: parameters).map {
            WalkPosition(holder: $0, visits: [Int](repeating: 0, count: graph.nodes))
        }
        let hosts = pool.hosts
        var batches = [EventBatch](repeating: EventBatch(), count: pool.count)
        var pending: [PendingSnapshot] = []

        func flush() throws {
            for (worker, batch) in batches.enumerated() where batch.count > 0 {
                try pool.send(EncodedMessage(.events(batch)), to: worker)
                batches[worker] = EventBatch()
            }
        }

        for (evaluation, time) in evaluationTimes.enumerated() {
            while let event = next, event.time <= time {
                let first = hosts[event.first]
                batches[first].append(event)
                switch event.kind {
                case .local:
                    gradients += gradientsPerLocalEvent[event.first]
                    walk?.visit(event.first)
                case .exchange, .send:
                    communications += 1
                    messages += event.kind == .exchange ? 2 : 1
                    let second = hosts[event.second]
                    if second != first { batches[second].append(event) }
                case .combine:
                    break
                }
                handedOut += 1
                next = events.next()
                if batches.contains(where: { $0.count >= Self.batchLimit }) { try flush() }
            }
            try flush()
            let through = next?.index ?? UInt64(handedOut)
            for worker in 0..<pool.count {
                try pool.send(EncodedMessage(.snapshot(SnapshotRequest(time: time, through: through))), to: worker)
            }
            pending.append(PendingSnapshot(evaluation: evaluation, time: time, gradients: gradients,
                                           communications: communications, messages: messages, walk: walk,
                                           models: Array(repeating: nil, count: graph.nodes)))
            // One interval's events go out before the previous snapshot is awaited.
            while pending.count > 1 {
                try record(try measure(collect(&pending), since: start))
            }
        }
        while !pending.isEmpty {
            try record(try measure(collect(&pending), since: start))
        }
        return handedOut
    }

    /// Receives NodeStates until the oldest pending snapshot has every node's model, and
    /// removes it from `pending`.
    private func collect(_ pending: inout [PendingSnapshot]) throws -> PendingSnapshot {
        while pending[0].answered.count < pool.count {
            let (states, peer) = try pool.next({ message -> NodeStates? in
                if case let .nodeStates(states) = message { return states }
                return nil
            }, late: .refuse("this decentralized run's nodes were placed when it began"), during: "during a decentralized run",
               waitingFor: { "the nodes' models at time \(pending[0].time)" })
            try file(states, from: peer, into: &pending)
        }
        return pending.removeFirst()
    }

    /// Files one worker's answer to a pending snapshot.
    /// - Throws: `GossipRunError.badNodeStates` for an answer that matches no pending
    ///   snapshot, repeats one, or does not hold exactly the worker's nodes' models.
    private func file(_ states: NodeStates, from peer: PeerID, into pending: inout [PendingSnapshot]) throws {
        guard let worker = pool.index(of: peer) else {
            throw GossipRunError.badNodeStates(worker: "peer \(peer)", reason: "it is not a worker of this run")
        }
        let name = pool.name(ofWorker: worker)
        func bad(_ reason: String) -> GossipRunError { .badNodeStates(worker: name, reason: reason) }
        guard let slot = pending.firstIndex(where: { $0.time == states.time }) else {
            throw bad("no snapshot at time \(states.time) is pending")
        }
        guard !pending[slot].answered.contains(worker) else { throw bad("a second answer for time \(states.time)") }
        let hosted = pool.hosts.indices.filter { pool.hosts[$0] == worker }
        guard states.nodes == hosted else {
            throw bad("nodes \(states.nodes.prefix(8)) for the worker's \(hosted.count) nodes \(hosted.prefix(8))")
        }
        guard states.width == evaluator.width, states.values.count == hosted.count * evaluator.width else {
            throw bad("\(states.values.count) values of width \(states.width) for \(hosted.count) models of \(evaluator.width)")
        }
        for (position, node) in hosted.enumerated() {
            pending[slot].models[node] = Array(states.values[(position * states.width)..<((position + 1) * states.width)])
        }
        pending[slot].answered.insert(worker)
    }

    private func measure(_ snapshot: PendingSnapshot, since start: Date) throws -> GossipRecord {
        let record = GossipRecord(
            time: snapshot.time, gradients: snapshot.gradients, communications: snapshot.communications,
            bytes: snapshot.messages * messageWidth * MemoryLayout<Double>.size,
            measures: evaluator.measure(measured(snapshot.models.map { $0! }, walk: snapshot.walk)),
            byzantineNodes: scenario.attack?.clients.count,
            walk: snapshot.walk.map { GossipRecord.Walk(hops: $0.hops, visitDistance: $0.visitDistance) },
            wallSeconds: Date().timeIntervalSince(start))
        lastModels = snapshot.models.map { $0! }
        lastWalk = snapshot.walk
        try folder?.append(record.json, step: snapshot.evaluation)
        options.gossipProgress(record)
        return record
    }

    /// The models the measures are of, from every node's `models`: a walk's token, or
    /// the honest nodes' models in node order.
    private func measured(_ models: [[Double]], walk: WalkPosition?) -> [[Double]] {
        if let walk { return [models[walk.holder]] }
        return byzantine.isEmpty ? models : models.indices.filter { !byzantine.contains($0) }.map { models[$0] }
    }

    /// The walk at the last evaluation, for `nodes.csv`.
    private var lastWalk: WalkPosition?

    /// The nodes' models at the last evaluation, for `nodes.csv`.
    private var lastModels: [[Double]] = []

    /// One row per node: its rows, degree, and its last model's test accuracy and squared
    /// distance to x*, when they exist; in a run with an attack, whether it is Byzantine
    /// (its model is then its own, not measured); in a token walk, its visits. Like the
    /// metrics, it does not depend on the workers.
    private func nodesCSV() -> String {
        let attacked = scenario.attack != nil
        var lines = ["node,samples,degree,test_accuracy,distance_to_optimum" + (attacked ? ",byzantine" : "")
                     + (lastWalk != nil ? ",visits" : "")]
        let degrees = graph.degrees
        for node in 0..<graph.nodes {
            var line = "\(node),\(data.clients[node].count),\(degrees[node]),"
            if byzantine.contains(node) {
                line += ","
            } else {
                let measures = evaluator.measure(node: lastModels[node])
                line += "\(measures.testAccuracy.map { "\($0)" } ?? ""),\(measures.distance.map { "\($0)" } ?? "")"
            }
            lines.append(line + (attacked ? (byzantine.contains(node) ? ",1" : ",0") : "")
                         + (lastWalk.map { ",\($0.visits[node])" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
