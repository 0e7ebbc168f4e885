import FedSimAlgorithms
import FedSimCore
import FedSimWire

/// A worker's part in a decentralized run, from the Assign that places nodes on it to the
/// coordinator's Stop: it builds the program of every node it hosts from the node's data
/// and the run's parameters, connects to the other workers and runs the nodes' events.
enum NodeWorker {
    /// The nodes an Assign places on a worker, ready to run.
    struct Nodes {
        var programs: [Int: any NodeProgram]
        /// The length of their models.
        var width: Int
        /// The length of their messages.
        var messageWidth: Int
    }

    /// The programs of the nodes `assign` gives this worker.
    /// - Throws: `NodeWorkerError` for an Assign that names an unknown algorithm or
    ///   whose nodes do not fit the graph, and what building the nodes throws.
    static func nodes(for assign: Assign) throws -> Nodes {
        guard let run = assign.decentralized else { throw NodeWorkerError.notDecentralized }
        guard let algorithm = GossipAlgorithms.type(named: run.algorithm) else {
            throw NodeWorkerError.unknownAlgorithm(run.algorithm)
        }
        guard run.hosts.count == run.graph.nodes else {
            throw NodeWorkerError.hostCount(hosts: run.hosts.count, nodes: run.graph.nodes)
        }
        let model = try NodeModel(run, spec: assign.model)
        let mixing = try run.mixingRule.isEmpty ? nil
            : RobustMixing(rule: run.mixingRule, settings: run.mixingSettings.map { ($0.name, $0.value) })
        let robustness = GossipRobustness(byzantineNodes: run.byzantineNodes, mixing: mixing)
        let parameters = try GossipParameters(names: run.settings.map(\.name), values: run.settings.map(\.value),
                                              robustness: robustness, seed: assign.seed)
        var attack: AttackSettings?
        if !run.byzantineNodes.isEmpty {
            attack = AttackSettings(kind: run.attack, nodes: run.byzantineNodes, wireSettings: run.attackSettings)
            guard attack != nil else { throw NodeWorkerError.unknownAttack(run.attack) }
        }
        var programs: [Int: any NodeProgram] = [:]
        var width: Int?
        for shard in assign.clients {
            let node = shard.clientID
            guard run.hosts.indices.contains(node), run.hosts[node] == assign.workerIndex else {
                throw NodeWorkerError.notHostedHere(node: node)
            }
            guard var data = shard.rows else { throw NodeWorkerError.rowsMissing(node: node) }
            let byzantine = robustness.isByzantine(node)
            if byzantine, attack?.kind == .labelFlip { data = LabelFlip.flipped(data) }
            let learner = try model.learner(node: node, data: data, seed: assign.seed)
            let nodeWidth: Int
            switch learner {
            case let .objective(objective): nodeWidth = objective.parameterCount
            case .network: nodeWidth = assign.model.trainableParameterCount
            }
            if let width, width != nodeWidth { throw NodeWorkerError.widths(node: node, nodeWidth, width) }
            width = nodeWidth
            let initial = try model.initialModel(node: node, width: nodeWidth, seed: assign.seed)
            if byzantine, let vectorAttack = attack?.makeAttack(against: RobustAggregator(rule: Average())) {
                programs[node] = ByzantineNode(node: node, nodes: run.graph.nodes, attack: vectorAttack,
                                               byzantineCount: run.byzantineNodes.count, seed: assign.seed, initial: initial)
            } else {
                programs[node] = try algorithm.node(node, graph: run.graph, parameters: parameters, learner: learner,
                                                    initial: initial)
            }
        }
        let modelWidth = width ?? 0
        return Nodes(programs: programs, width: modelWidth,
                     messageWidth: try algorithm.messageWidth(modelWidth: modelWidth, parameters: parameters))
    }

    /// Runs `nodes`, which `assign` placed here, until the coordinator says Stop;
    /// returns the events done.
    static func run(_ nodes: Nodes, of assign: Assign, transport: WorkerTransport, idleTimeout: Double,
                    log: @escaping (String) -> Void) throws -> Int {
        guard let run = assign.decentralized else { throw NodeWorkerError.notDecentralized }
        try transport.connectPeers(run.peers, keys: run.peerKeys, selfIndex: assign.workerIndex)
        log("worker \(assign.workerIndex) hosts \(nodes.programs.count) of \(run.graph.nodes) nodes (\(run.algorithm))")
        let host = NodeHost(transport: transport, selfIndex: assign.workerIndex, hosts: run.hosts,
                            programs: nodes.programs, width: nodes.width, messageWidth: nodes.messageWidth, log: log)
        return try host.run(idleTimeout: idleTimeout)
    }
}

extension AttackSettings {
    /// The attack's settings as they travel to a decentralized run's workers.
    var wireSettings: [NamedValue] {
        [NamedValue("tau", tau), NamedValue("mean", mean), NamedValue("sigma", standardDeviation),
         NamedValue("index", Double(index))]
    }

    /// The attack `kind` names with the settings `wireSettings` gives, on `nodes`; nil for
    /// an unknown kind.
    init?(kind: String, nodes: [Int], wireSettings: [NamedValue]) {
        guard let kind = AttackKind(rawValue: kind) else { return nil }
        let value = { (name: String) in wireSettings.first { $0.name == name }?.value }
        self.init(kind: kind, clients: nodes, tau: value("tau"), mean: value("mean") ?? 0,
                  standardDeviation: value("sigma") ?? 1, index: Int(value("index") ?? 0))
    }
}

/// Why a worker cannot host the nodes an Assign gives it.
enum NodeWorkerError: FedSimError, Equatable {
    case notDecentralized
    case unknownAlgorithm(String)
    case hostCount(hosts: Int, nodes: Int)
    case notHostedHere(node: Int)
    case rowsMissing(node: Int)
    case widths(node: Int, Int, Int)
    case unknownAttack(String)

    var description: String {
        switch self {
        case .notDecentralized: return "the Assign is not for a decentralized run"
        case let .unknownAlgorithm(name):
            return "unknown gossip algorithm '\(name)'; this worker knows \(GossipAlgorithms.names.joined(separator: ", "))"
        case let .hostCount(hosts, nodes): return "\(hosts) node hosts for a graph of \(nodes) nodes"
        case let .notHostedHere(node): return "node \(node)'s data came to a worker that does not host it"
        case let .rowsMissing(node): return "node \(node) came without its rows (a decentralized run ships them)"
        case let .widths(node, width, others): return "node \(node)'s model has \(width) values, the other nodes' \(others)"
        case let .unknownAttack(name):
            return "unknown attack '\(name)'; this worker knows \(AttackKind.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
