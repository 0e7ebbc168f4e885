import Foundation
import FedSimWire

/// A blocking FIFO shared between threads.
final class MessageQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0

    func push(_ item: Element) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// The oldest item, waiting up to `timeoutMilliseconds` for one.
    func pop(timeoutMilliseconds: Int) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMilliseconds) / 1000)
        while head == items.count {
            if !condition.wait(until: deadline) { break }
        }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}

/// Coordinator and workers in one process, joined by queues. Every message is encoded
/// and decoded exactly as on the ZeroMQ transport, so tests exercise the real codec
/// and byte counts without sockets. A worker's peer endpoint is `inmemory://PEER`.
public final class InMemoryNetwork: CoordinatorTransport, @unchecked Sendable {
    private let inbox = MessageQueue<(PeerID, [UInt8])>()
    /// Each worker's queue: what the coordinator (nil sender) and other workers send it.
    private var outboxes: [PeerID: MessageQueue<(from: PeerID?, bytes: [UInt8])>] = [:]
    private let lock = NSLock()
    private var counters = WireTraffic()
    private var gone: Set<PeerID> = []

    public init() {}

    /// A new worker endpoint connected to this coordinator.
    public func connectWorker() -> InMemoryWorkerEndpoint {
        lock.lock()
        defer { lock.unlock() }
        let peer = PeerID(Array("worker-\(outboxes.count)".utf8))
        let outbox = MessageQueue<(from: PeerID?, bytes: [UInt8])>()
        outboxes[peer] = outbox
        return InMemoryWorkerEndpoint(peer: peer, network: self, outbox: outbox)
    }

    fileprivate func deliver(_ bytes: [UInt8], from peer: PeerID) {
        lock.lock()
        let isGone = gone.contains(peer)
        lock.unlock()
        if !isGone { inbox.push((peer, bytes)) }
    }

    /// Delivers `bytes` from worker `sender` to the worker at `endpoint`.
    fileprivate func deliver(_ bytes: [UInt8], from sender: PeerID, toEndpoint endpoint: String) throws {
        lock.lock()
        let outbox = outboxes.first { Self.endpoint($0.key) == endpoint }?.value
        lock.unlock()
        guard let outbox else { throw TransportError.unknownPeer(endpoint) }
        outbox.push((sender, bytes))
    }

    private static func endpoint(_ peer: PeerID) -> String {
        "inmemory://\(peer)"
    }

    public func peerEndpoint(of peer: PeerID, port: Int) -> String {
        Self.endpoint(peer)
    }

    public var traffic: WireTraffic {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    /// Closes worker `peer`'s connection, as if its process had died: sends to it throw
    /// `TransportError.peerGone`, and what it sends is no longer delivered.
    public func disconnect(_ peer: PeerID) {
        lock.lock()
        gone.insert(peer)
        lock.unlock()
    }

    public func send(_ message: EncodedMessage, to peer: PeerID) throws {
        lock.lock()
        if gone.contains(peer) {
            lock.unlock()
            throw TransportError.peerGone("\(peer)")
        }
        let outbox = outboxes[peer]
        counters.bytesSent += message.count
        counters.messagesSent += 1
        lock.unlock()
        guard let outbox else { throw TransportError.unknownPeer("\(peer)") }
        outbox.push((nil, message.bytes))
    }

    public func receive(timeoutMilliseconds: Int) throws -> Inbound? {
        guard let (peer, bytes) = inbox.pop(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        lock.lock()
        counters.bytesReceived += bytes.count
        counters.messagesReceived += 1
        lock.unlock()
        do {
            return .message(try WireCodec.decode(bytes), from: peer)
        } catch let error as WireError {
            return .rejected(error, from: peer)
        }
    }
}

/// A worker's end of an `InMemoryNetwork`.
public final class InMemoryWorkerEndpoint: WorkerTransport, @unchecked Sendable {
    public let peer: PeerID
    private let network: InMemoryNetwork
    private let outbox: MessageQueue<(from: PeerID?, bytes: [UInt8])>
    private var peers: [String] = []
    private var coordinatorLimit: Int?

    init(peer: PeerID, network: InMemoryNetwork, outbox: MessageQueue<(from: PeerID?, bytes: [UInt8])>) {
        self.peer = peer
        self.network = network
        self.outbox = outbox
    }

    public func send(_ message: Message) throws {
        sendBytes(WireCodec.encode(message))
    }

    /// Delivers raw bytes to the coordinator, as a worker speaking them would.
    public func sendBytes(_ bytes: [UInt8]) {
        network.deliver(bytes, from: peer)
    }

    public func receive(timeoutMilliseconds: Int) throws -> Message? {
        guard let (_, bytes) = outbox.pop(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return try WireCodec.decode(checkedSize(bytes, limit: coordinatorLimit))
    }

    public var peerPort: Int { 0 }

    public var maxMessageBytes: Int { 0 }

    public func limitCoordinatorMessages(toBytes limit: Int) {
        coordinatorLimit = limit
    }

    public func connectPeers(_ endpoints: [String], keys: [CurveKey], selfIndex: Int) throws {
        peers = endpoints
    }

    public func sendToPeer(_ message: EncodedMessage, worker index: Int) throws {
        guard peers.indices.contains(index) else { throw TransportError.unknownPeer("worker \(index)") }
        try network.deliver(message.bytes, from: peer, toEndpoint: peers[index])
    }

    public func receiveFromAnyone(timeoutMilliseconds: Int) throws -> WorkerInbound? {
        guard let (sender, bytes) = outbox.pop(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        guard sender != nil else { return .coordinator(try WireCodec.decode(checkedSize(bytes, limit: coordinatorLimit))) }
        return .peer(try WireCodec.decode(bytes))
    }
}
