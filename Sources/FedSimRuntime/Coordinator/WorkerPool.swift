import FedSimCore
import FedSimWire
import Foundation

/// The worker processes of a run, as the coordinator sees them through its transport:
/// who joined, which clients each hosts, which model version each holds. It lets
/// workers join (refusing those started for another scenario), places the clients and
/// moves idle ones to workers that join late, sends (checking the workers' health when a
/// send fails), answers what it does not accept, and stops everyone at the end.
final class WorkerPool {
    private struct Member {
        let peer: PeerID
        let name: String
        /// Where other workers reach this one in a decentralized run.
        let peerEndpoint: String
        /// The CURVE key it connected with, in an authenticated run.
        let peerKey: CurveKey?
        /// The largest message it accepts; 0: any size.
        let maxMessageBytes: Int
        var clients: [Int] = []
        /// The model version this worker holds, so each version is sent to it once.
        var modelVersion: Int?
    }

    private let transport: CoordinatorTransport
    private let options: CoordinatorOptions
    private let scenarioName: String
    private let clientCount: Int
    /// The Assign of worker `index` hosting `clients`, given where every worker is reached.
    private let assignment: (_ index: Int, _ clients: [Int], _ peers: WorkerPeers) -> Assign
    private var members: [Member] = []
    private var hostOfClient: [Int] = []

    init(transport: CoordinatorTransport, options: CoordinatorOptions, scenarioName: String, clientCount: Int,
         assignment: @escaping (_ index: Int, _ clients: [Int], _ peers: WorkerPeers) -> Assign) {
        self.transport = transport
        self.options = options
        self.scenarioName = scenarioName
        self.clientCount = clientCount
        self.assignment = assignment
    }

    /// Workers that joined.
    var count: Int { members.count }

    /// Where other workers reach each joined worker, and with which keys, by worker index.
    var peers: WorkerPeers {
        let keys = members.compactMap(\.peerKey)
        return WorkerPeers(endpoints: members.map(\.peerEndpoint), keys: keys.count == members.count ? keys : [])
    }

    /// The name of the worker hosting `client`.
    func hostName(of client: Int) -> String { members[hostOfClient[client]].name }

    /// Whether `peer` is the worker hosting `client`.
    func isHost(_ peer: PeerID, of client: Int) -> Bool { members[hostOfClient[client]].peer == peer }

    /// The index of the worker hosting each client.
    var hosts: [Int] { hostOfClient }

    /// The index of joined worker `peer`; nil for another peer.
    func index(of peer: PeerID) -> Int? { members.firstIndex { $0.peer == peer } }

    /// The name of worker `index`.
    func name(ofWorker index: Int) -> String { members[index].name }

    // MARK: - Joining

    /// Waits for the awaited workers to say Hello, ignoring (and logging) anything else
    /// meanwhile: no worker has joined to send it.
    func awaitWorkers() throws {
        let deadline = Date(timeIntervalSinceNow: options.handshakeTimeout)
        while members.count < options.workers {
            guard Date() < deadline else {
                throw RunError.workersMissing(joined: members.count, expected: options.workers,
                                             seconds: Int(options.handshakeTimeout))
            }
            guard let inbound = try transport.receive(timeoutMilliseconds: 100) else {
                try options.healthCheck()
                continue
            }
            switch inbound {
            case let .message(.hello(hello), from: peer):
                welcome(hello, from: peer)
            case let .message(message, from: peer):
                ignoreStranger(message, from: peer)
            case let .rejected(error, from: peer):
                refuse(peer, "\(error)")
            }
        }
    }

    /// Whether `peer` said Hello and joined.
    private func isMember(_ peer: PeerID) -> Bool { members.contains { $0.peer == peer } }

    /// Logs a message from a peer that never joined: it is not answered, so a stranger
    /// can neither end the run (with a Refused) nor make it send anything.
    private func ignoreStranger(_ message: Message, from peer: PeerID) {
        options.log("ignored \(message.kind) from \(name(of: peer)), which never said Hello")
    }

    /// Takes a Hello: a worker started for another scenario is refused, a repeated Hello
    /// is ignored, and a new worker joins. Returns whether it joined.
    @discardableResult
    private func welcome(_ hello: Hello, from peer: PeerID) -> Bool {
        let accepted = options.scenarioAliases.union([scenarioName])
        if !hello.scenario.isEmpty, !accepted.contains(hello.scenario) {
            refuse(peer, "this coordinator runs scenario '\(scenarioName)', the worker was started for '\(hello.scenario)'")
            return false
        }
        guard !members.contains(where: { $0.peer == peer }) else {
            options.log("ignored a repeated Hello from \(hello.workerName)")
            return false
        }
        members.append(Member(peer: peer, name: hello.workerName.isEmpty ? "\(peer)" : hello.workerName,
                              peerEndpoint: transport.peerEndpoint(of: peer, port: hello.peerPort),
                              peerKey: transport.peerKey(of: peer), maxMessageBytes: hello.maxMessageBytes))
        let count = members.count <= options.workers ? "\(members.count)/\(options.workers)" : "\(members.count)"
        options.log("worker \(count) joined: \(hello.workerName) (pid \(hello.processID))")
        do {
            // Tells the worker it was heard, so it stops waiting for the coordinator.
            try transport.send(.heartbeat(sequence: UInt64(members.count)), to: peer)
        } catch {
            options.log("could not welcome \(hello.workerName): \(error)")
        }
        return true
    }

    // MARK: - Placing clients

    /// Client c goes to worker c mod W, each worker receiving its clients' data once.
    func placeClients() throws {
        hostOfClient = (0..<clientCount).map { $0 % members.count }
        for (client, host) in hostOfClient.enumerated() {
            members[host].clients.append(client)
        }
        for index in members.indices {
            try sendAssign(to: index)
        }
    }

    /// Evens out the clients per worker once workers have joined mid-run: clients move
    /// from workers hosting more than M / W to those hosting fewer, taking only clients
    /// not in `busy` (an update must come from the worker that was sent the task), so a
    /// worker that joins while every client is busy gets its share at a later step. Each
    /// worker that receives clients is sent its new Assign. O(M) when shares are uneven,
    /// O(W) otherwise.
    func rebalance(busy: @autoclosure () -> Set<Int>) throws {
        let share = clientCount / members.count
        guard members.contains(where: { $0.clients.count < share }) else { return }
        let busy = busy()
        var received: [Int: Int] = [:]
        while let needy = members.indices.filter({ members[$0].clients.count < share })
                .min(by: { (members[$0].clients.count, $0) < (members[$1].clients.count, $1) }),
              let donor = members.indices.filter({ index in
                  members[index].clients.count > share && members[index].clients.contains { !busy.contains($0) }
              }).min(by: { (-members[$0].clients.count, $0) < (-members[$1].clients.count, $1) }) {
            let client = members[donor].clients.last { !busy.contains($0) }!
            members[donor].clients.removeAll { $0 == client }
            members[needy].clients.append(client)
            hostOfClient[client] = needy
            received[needy, default: 0] += 1
        }
        for (index, count) in received.sorted(by: { $0.key < $1.key }) {
            members[index].clients.sort()
            try sendAssign(to: index)
            options.log("\(members[index].name) took over \(count) clients and now hosts \(members[index].clients.count)")
        }
    }

    private func sendAssign(to index: Int) throws {
        try send(EncodedMessage(.assign(assignment(index, members[index].clients, peers))), to: index)
    }

    // MARK: - Sending and receiving

    /// Sends `task` to the worker hosting its client, preceded by model `version` (made
    /// by `model` at most once per version) when the worker does not hold it yet.
    func send(_ task: TrainingTask, version: Int, model: () -> EncodedMessage) throws {
        let host = hostOfClient[task.clientID]
        if members[host].modelVersion != version {
            try send(model(), to: host)
            members[host].modelVersion = version
        }
        try send(EncodedMessage(.task(task)), to: host)
    }

    /// Sends to a joined worker, or throws if the message is larger than the worker said
    /// it accepts (libzmq would drop it in silence). A worker that cannot be reached has
    /// usually died: the health check is given a second to say so (with the worker's log)
    /// before the send error is reported under the worker's name.
    func send(_ message: EncodedMessage, to index: Int) throws {
        let limit = members[index].maxMessageBytes
        guard limit == 0 || message.bytes.count <= limit else {
            throw RunError.tooLargeForWorker(message: message.kind, worker: members[index].name, bytes: message.bytes.count,
                                             limit: limit)
        }
        do {
            try transport.send(message, to: members[index].peer)
        } catch {
            for _ in 0..<20 {
                try options.healthCheck()
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw RunError.unreachable(message: message.kind, worker: members[index].name, reason: "\(error)")
        }
    }

    /// What the pool does with a worker that says Hello once the run has begun.
    enum LateWorkers {
        /// Welcomes it and moves it a share of the clients not in the set (the busy ones).
        case takeIdleClients(busy: () -> Set<Int>)
        /// Refuses it, saying why.
        case refuse(String)
    }

    /// The next message `accept` takes (returning what it makes of it) from a worker.
    /// Meanwhile a late worker's Hello is handled as `late` says, a refusal from a worker
    /// fails the run, a message from a peer that never said Hello is logged and ignored,
    /// anything else is refused as unexpected `during` the run, and the
    /// workers' health is checked between messages. Fails after `silenceTimeout` seconds
    /// without any message, saying what it was `waitingFor`.
    func next<Accepted>(_ accept: (Message) -> Accepted?, late: LateWorkers, during: String,
                        waitingFor: () -> String) throws -> (accepted: Accepted, peer: PeerID) {
        var lastHeard = Date()
        while true {
            guard let inbound = try transport.receive(timeoutMilliseconds: 200) else {
                try options.healthCheck()
                if Date().timeIntervalSince(lastHeard) > options.silenceTimeout {
                    throw RunError.silence(seconds: Int(options.silenceTimeout), waitingFor: waitingFor())
                }
                continue
            }
            lastHeard = Date()
            switch inbound {
            case let .message(message, from: peer):
                if case .hello = message {} else if !isMember(peer) {
                    ignoreStranger(message, from: peer)
                    continue
                }
                if let accepted = accept(message) { return (accepted, peer) }
                switch (message, late) {
                case let (.hello(hello), .takeIdleClients(busy)):
                    if welcome(hello, from: peer) { try rebalance(busy: busy()) }
                case (.hello, .refuse(let reason)):
                    refuse(peer, reason)
                case let (.refused(reason), _):
                    throw RunError.refusedByWorker(worker: name(of: peer), reason: reason)
                default:
                    refuse(peer, "unexpected \(message.kind) \(during)")
                }
            case let .rejected(error, from: peer):
                refuse(peer, "\(error)")
            }
        }
    }

    /// The next Update from a worker; a late worker takes over clients not in `busy`.
    /// See `next(_:late:during:waitingFor:)`.
    func nextUpdate(busy: @escaping @autoclosure () -> Set<Int>, waitingFor: () -> String) throws
        -> (update: ClientUpdate, peer: PeerID) {
        let (update, peer) = try next({ message -> ClientUpdate? in
            if case let .update(update) = message { return update }
            return nil
        }, late: .takeIdleClients(busy: busy), during: "while jobs run", waitingFor: waitingFor)
        return (update, peer)
    }

    /// Answers a message that is not accepted, and logs it; a peer already gone is only logged.
    func refuse(_ peer: PeerID, _ reason: String) {
        let name = name(of: peer)
        options.log("refused a message from \(name): \(reason)")
        do {
            try transport.send(.refused(reason: reason), to: peer)
        } catch {
            options.log("could not tell \(name) why: \(error)")
        }
    }

    private func name(of peer: PeerID) -> String {
        members.first { $0.peer == peer }?.name ?? "peer \(peer)"
    }

    /// Tells every joined worker to stop; a worker that cannot be reached is only logged.
    /// Workers whose Hello is still queued are told too, so a surplus worker that
    /// connected near the end exits instead of waiting for tasks.
    func stopAll(reason: String) {
        var peers = members.map { ($0.peer, $0.name) }
        while let inbound = try? transport.receive(timeoutMilliseconds: 0) {
            if case let .message(.hello(hello), from: peer) = inbound, !peers.contains(where: { $0.0 == peer }) {
                peers.append((peer, hello.workerName))
            }
        }
        for (peer, name) in peers {
            do {
                try transport.send(.stop(reason: reason), to: peer)
            } catch {
                options.log("could not stop \(name): \(error)")
            }
        }
    }
}

/// Where the joined workers are reached, by worker index: their peer endpoints and, in
/// an authenticated run, their CURVE keys (empty otherwise).
struct WorkerPeers {
    let endpoints: [String]
    let keys: [CurveKey]
}
