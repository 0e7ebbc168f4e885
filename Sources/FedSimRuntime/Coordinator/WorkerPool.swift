import FedSimCore
import FedSimWire
import Foundation

/// The worker processes of a run, as the coordinator sees them through its transport:
/// who joined, which clients each hosts, which model version each holds. It lets
/// workers join (refusing those started for another scenario), places the clients and
/// moves idle ones to workers that join late, sends, answers what it does not accept,
/// and stops everyone at the end.
///
/// It also notices lost workers. While it waits it sends every worker a Heartbeat each
/// `heartbeat.interval` seconds; a worker whose connection has closed (its process
/// ended, or it stopped answering the transport's pings for `heartbeat.timeout`) is
/// lost. With a `recovery`, a lost worker's clients move to the live workers (waiting
/// for one to join if none is left) and `recovery` is told which, so their unfinished
/// jobs are sent again; without one, a lost worker fails the run.
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
        /// False once the worker is lost; it gets no clients and no messages again.
        var isLive = true
    }

    /// Called with the clients of lost workers once they are on live workers: their
    /// unfinished jobs are to be sent again.
    typealias Recovery = (_ clients: [Int]) throws -> Void

    private let transport: CoordinatorTransport
    private let options: CoordinatorOptions
    private let scenarioName: String
    private let clientCount: Int
    /// The Assign of worker `index` hosting `clients`, given where every worker is reached.
    private let assignment: (_ index: Int, _ clients: [Int], _ peers: WorkerPeers) -> Assign
    private var members: [Member] = []
    private var hostOfClient: [Int] = []
    private let recovery: Recovery?
    /// Clients of lost workers not yet placed on live ones.
    private var orphans: [Int] = []
    private var recovering = false
    private var lastHeartbeat = Date()
    private var heartbeats: UInt64 = 0

    init(transport: CoordinatorTransport, options: CoordinatorOptions, scenarioName: String, clientCount: Int,
         recovery: Recovery? = nil,
         assignment: @escaping (_ index: Int, _ clients: [Int], _ peers: WorkerPeers) -> Assign) {
        self.transport = transport
        self.recovery = recovery
        self.options = options
        self.scenarioName = scenarioName
        self.clientCount = clientCount
        self.assignment = assignment
    }

    /// Workers that joined, lost ones included.
    var count: Int { members.count }

    /// Workers that joined and are not lost.
    var liveCount: Int { liveMembers.count }

    /// Where other workers reach each joined worker, and with which keys, by worker index.
    var peers: WorkerPeers {
        let keys = members.compactMap(\.peerKey)
        return WorkerPeers(endpoints: members.map(\.peerEndpoint), keys: keys.count == members.count ? keys : [])
    }

    /// The name of the worker hosting `client`.
    func hostName(of client: Int) -> String { members[hostOfClient[client]].name }

    /// Whether `peer` is the worker hosting `client`.
    func isHost(_ peer: PeerID, of client: Int) -> Bool {
        members[hostOfClient[client]].isLive && members[hostOfClient[client]].peer == peer
    }

    /// The index of the worker hosting each client.
    var hosts: [Int] { hostOfClient }

    /// The index of joined worker `peer`; nil for another peer.
    func index(of peer: PeerID) -> Int? { members.firstIndex { $0.peer == peer && $0.isLive } }

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
            case let .message(.heartbeat, from: peer) where isMember(peer):
                continue
            case let .message(message, from: peer):
                ignoreStranger(message, from: peer)
            case let .rejected(error, from: peer):
                refuse(peer, "\(error)")
            }
        }
    }

    /// Whether `peer` said Hello and joined, and is not lost.
    private func isMember(_ peer: PeerID) -> Bool { members.contains { $0.peer == peer && $0.isLive } }

    private var liveMembers: [Int] { members.indices.filter { members[$0].isLive } }

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
        guard !isMember(peer) else {
            options.log("ignored a repeated Hello from \(hello.workerName)")
            return false
        }
        // A lost worker that says Hello again joins as a new member.
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

    /// Client c goes to worker c mod W, each worker receiving its Assign once; returns
    /// when every live worker has answered Ready, holding its clients' rows.
    func placeClients() throws {
        hostOfClient = (0..<clientCount).map { $0 % members.count }
        for (client, host) in hostOfClient.enumerated() {
            members[host].clients.append(client)
        }
        for index in members.indices {
            try sendAssign(to: index)
        }
        try awaitReady()
    }

    /// Waits for a Ready from every live worker (one lost meanwhile is no longer awaited;
    /// a worker that joins meanwhile takes clients without being awaited).
    private func awaitReady() throws {
        var waiting = Set(liveMembers.map { members[$0].peer })
        while !waiting.isEmpty {
            let (_, peer) = try next({ message -> Void? in
                if case .ready = message { return () }
                return nil
            }, late: .takeIdleClients(busy: { [] }), during: "while workers build their clients' rows",
               waitingFor: { "\(waiting.count) workers to build their clients' rows and say Ready" })
            waiting.remove(peer)
            waiting = waiting.filter(isMember)
        }
    }

    /// Evens out the clients per worker once workers have joined mid-run: clients move
    /// from workers hosting more than M / W to those hosting fewer, taking only clients
    /// not in `busy` (an update must come from the worker that was sent the task), so a
    /// worker that joins while every client is busy gets its share at a later step. Each
    /// worker that receives clients is sent its new Assign. O(M) when shares are uneven,
    /// O(W) otherwise.
    func rebalance(busy: @autoclosure () -> Set<Int>) throws {
        let live = liveMembers
        guard !live.isEmpty else { return }
        let share = clientCount / live.count
        guard live.contains(where: { members[$0].clients.count < share }) else { return }
        let busy = busy()
        var received: [Int: Int] = [:]
        while let needy = live.filter({ members[$0].clients.count < share })
                .min(by: { (members[$0].clients.count, $0) < (members[$1].clients.count, $1) }),
              let donor = live.filter({ index in
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

    /// Sends worker `index` its Assign. The worker rebuilds its model from it, so the
    /// next task it is sent comes with its model version again.
    private func sendAssign(to index: Int) throws {
        members[index].modelVersion = nil
        try send(EncodedMessage(.assign(assignment(index, members[index].clients, peers))), to: index)
    }

    // MARK: - Sending and receiving

    /// Sends `task` to the worker hosting its client, preceded by model `version` (made
    /// by `model` at most once per version) when the worker does not hold it yet. When
    /// the worker turns out to be lost, the task is left for `recover` to send again.
    func send(_ task: TrainingTask, version: Int, model: () -> EncodedMessage) throws {
        let host = hostOfClient[task.clientID]
        guard members[host].isLive else { return }
        if members[host].modelVersion != version {
            guard try send(model(), to: host) else { return }
            members[host].modelVersion = version
        }
        try send(EncodedMessage(.task(task)), to: host)
    }

    /// Sends to a live worker; returns whether the message was handed to its connection.
    /// Throws if the message is larger than the worker said it accepts (libzmq would
    /// drop it in silence). A worker whose connection is closed is lost (`lose`); another
    /// failure to send is reported under the worker's name.
    @discardableResult
    func send(_ message: EncodedMessage, to index: Int) throws -> Bool {
        guard members[index].isLive else { return false }
        let limit = members[index].maxMessageBytes
        guard limit == 0 || message.bytes.count <= limit else {
            throw RunError.tooLargeForWorker(message: message.kind, worker: members[index].name, bytes: message.bytes.count,
                                             limit: limit)
        }
        do {
            try transport.send(message, to: members[index].peer)
            return true
        } catch let error as TransportError {
            guard case .peerGone = error else {
                throw RunError.unreachable(message: message.kind, worker: members[index].name, reason: "\(error)")
            }
            try lose(index, reason: "its connection closed")
            return false
        } catch {
            throw RunError.unreachable(message: message.kind, worker: members[index].name, reason: "\(error)")
        }
    }

    // MARK: - Lost workers

    /// Takes worker `index` for lost: it gets no more messages, and its clients wait in
    /// `orphans` for `recover`. Without a recovery the run fails here.
    private func lose(_ index: Int, reason: String) throws {
        guard members[index].isLive else { return }
        members[index].isLive = false
        let name = members[index].name
        guard recovery != nil else { throw RunError.workerLost(worker: name, reason: reason) }
        options.log("lost \(name): \(reason); its \(members[index].clients.count) clients move to the live workers")
        orphans += members[index].clients
        members[index].clients = []
    }

    /// Places the clients of lost workers on the live ones (each on the worker hosting
    /// the fewest, waiting for a worker to join if none is live) and has `recovery` send
    /// their unfinished jobs again, until no client is left without a worker. Does
    /// nothing while already recovering: the outer call places what is lost meanwhile.
    func recover() throws {
        guard let recovery, !recovering else { return }
        recovering = true
        defer { recovering = false }
        while !orphans.isEmpty {
            try awaitLiveWorker()
            let clients = orphans.sorted()
            orphans = []
            var received: Set<Int> = []
            for client in clients {
                let host = liveMembers.min { (members[$0].clients.count, $0) < (members[$1].clients.count, $1) }!
                members[host].clients.append(client)
                hostOfClient[client] = host
                received.insert(host)
            }
            for index in received.sorted() where members[index].isLive {
                members[index].clients.sort()
                try sendAssign(to: index)
            }
            // Clients placed on a worker lost meanwhile are orphans again, and their jobs
            // are sent in the next pass.
            try recovery(clients.filter { members[hostOfClient[$0]].isLive })
        }
    }

    /// Waits for a worker to join when none is live, for the handshake timeout.
    private func awaitLiveWorker() throws {
        guard liveMembers.isEmpty else { return }
        options.log("no live worker left: waiting \(Int(options.handshakeTimeout)) s for one to join")
        let deadline = Date(timeIntervalSinceNow: options.handshakeTimeout)
        while liveMembers.isEmpty {
            guard Date() < deadline else {
                throw RunError.workersMissing(joined: 0, expected: 1, seconds: Int(options.handshakeTimeout))
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

    /// Sends every live worker a Heartbeat once `heartbeat.interval` has passed since the
    /// last round of them (this is how closed connections are found while nothing else
    /// is being sent), after the health check (which replaces dead worker processes).
    private func sendHeartbeatsIfDue() throws {
        guard Date().timeIntervalSince(lastHeartbeat) >= options.heartbeat.interval else { return }
        lastHeartbeat = Date()
        try options.healthCheck()
        heartbeats += 1
        let message = EncodedMessage(.heartbeat(sequence: heartbeats))
        for index in liveMembers {
            try send(message, to: index)
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
            try sendHeartbeatsIfDue()
            if !orphans.isEmpty {
                try recover()
                lastHeard = Date()
            }
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
                case (.heartbeat, _), (.ready, _):
                    continue
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
        (members.last { $0.peer == peer && $0.isLive } ?? members.last { $0.peer == peer })?.name ?? "peer \(peer)"
    }

    /// Tells every joined worker to stop; a worker that cannot be reached is only logged.
    /// Workers whose Hello is still queued are told too, so a surplus worker that
    /// connected near the end exits instead of waiting for tasks.
    func stopAll(reason: String) {
        var peers = members.filter(\.isLive).map { ($0.peer, $0.name) }
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
