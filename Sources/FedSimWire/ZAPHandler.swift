import Foundation

/// The ZAP handler (ZeroMQ's authentication protocol, RFC 27) of one context: it admits
/// a connection to a CURVE server socket of that context (`ZMQSocket.setCurveServer`)
/// only when the client's public key is authorized, and tells libzmq to turn every
/// other one away during the handshake, before the peer can send anything.
///
/// A refused client's socket does not try again (libzmq ends the session on a failed
/// handshake), so a handler that does not know its keys yet holds every request until
/// it is told them (`authorize`); a held client connects once they are known, or tries
/// again after libzmq's handshake timeout.
///
/// It answers libzmq's requests on its own thread, over a REP socket bound to
/// `inproc://zeromq.zap.01`. libzmq admits every client key to a CURVE server whose
/// context has no handler, so make the handler before binding the server socket and
/// close that socket before stopping the handler.
public final class ZAPHandler: @unchecked Sendable {
    /// The ZAP endpoint libzmq asks.
    static let endpoint = "inproc://zeromq.zap.01"

    /// What the handler's thread shares with its owner.
    private final class Admission: @unchecked Sendable {
        private let condition = NSCondition()
        private var authorized: Set<CurveKey>?
        private var stopping = false

        init(_ authorized: Set<CurveKey>?) {
            self.authorized = authorized
        }

        var isStopping: Bool { condition.withLock { stopping } }

        func stop() {
            condition.withLock { stopping = true }
            condition.broadcast()
        }

        func authorize(_ keys: Set<CurveKey>) {
            condition.withLock { authorized = keys }
            condition.broadcast()
        }

        /// Whether `key` is admitted, waiting until the admitted keys are known; nil if
        /// the handler stops first.
        func admits(_ key: CurveKey) -> Bool? {
            condition.withLock {
                while authorized == nil, !stopping { condition.wait() }
                return authorized?.contains(key)
            }
        }
    }

    private let admission: Admission
    private let finished = DispatchSemaphore(value: 0)
    private let stopLock = NSLock()
    private var isRunning = true

    /// Starts answering for `context`, admitting the client keys in `authorized` (nil:
    /// not known yet, requests wait for `authorize`); `refused` is told, from the
    /// handler's thread, of each connection turned away, naming its address and key.
    public init(context: ZMQContext, authorized: Set<CurveKey>?, refused: @escaping (String) -> Void) throws {
        let socket = try ZMQSocket(.reply, context: context)
        try socket.setLinger(milliseconds: 0)
        try socket.bind(Self.endpoint)
        let admission = Admission(authorized)
        self.admission = admission
        let finished = finished
        Thread {
            while !admission.isStopping {
                do {
                    guard let request = try socket.receive(timeoutMilliseconds: 50) else { continue }
                    guard let (reply, refusal) = Self.answer(request, admission: admission) else { break }
                    try socket.send(reply)
                    if let refusal { refused(refusal) }
                } catch {
                    refused("the CURVE key check stopped: \(error)")
                    break
                }
            }
            socket.close()
            finished.signal()
        }.start()
    }

    deinit {
        stop()
    }

    /// Admits the client keys in `keys` from now on, instead of those admitted so far
    /// (answering the requests held until the keys were known).
    public func authorize(_ keys: Set<CurveKey>) {
        admission.authorize(keys)
    }

    /// Stops answering and closes the handler's socket; later calls do nothing. Close
    /// the CURVE server sockets first: without a handler, libzmq admits any key.
    public func stop() {
        stopLock.withLock {
            guard isRunning else { return }
            isRunning = false
            admission.stop()
            finished.wait()
        }
    }

    /// The reply to ZAP `request` (version, request id, domain, address, routing id,
    /// mechanism, credentials): status 200 with the client's public key as user id for
    /// an authorized CURVE key, 400 otherwise; and, for a refusal, what to log. nil if
    /// the handler stopped while waiting for its keys.
    private static func answer(_ request: [[UInt8]], admission: Admission) -> (reply: [[UInt8]], refusal: String?)? {
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            let requestID = request.count > 1 ? request[1] : []
            return (reply(requestID, status: "500", text: "malformed ZAP request"), "refused a malformed ZAP request")
        }
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE", request.count == 7, let key = CurveKey(bytes: request[6]) else {
            return (reply(request[1], status: "400", text: "a CURVE key is required"),
                    "refused a connection from \(address) without a CURVE key (mechanism \(mechanism))")
        }
        guard let admitted = admission.admits(key) else { return nil }
        guard admitted else {
            return (reply(request[1], status: "400", text: "key not authorized"),
                    "refused a connection from \(address): CURVE key \(key) is not authorized")
        }
        return (reply(request[1], status: "200", text: "OK", userID: key.z85), nil)
    }

    /// A ZAP reply: version, the request's id, status code and text, user id and no metadata.
    private static func reply(_ requestID: [UInt8], status: String, text: String, userID: String = "") -> [[UInt8]] {
        [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []]
    }
}
