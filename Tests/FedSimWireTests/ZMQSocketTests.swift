import FedSimWire
import XCTest

final class ZMQSocketTests: XCTestCase {
    private var context: ZMQContext!

    override func setUpWithError() throws {
        context = try ZMQContext()
    }

    override func tearDown() {
        context = nil
    }

    /// A socket that drops unsent messages on close, so the context terminates at once.
    private func socket(_ kind: ZMQSocket.Kind) throws -> ZMQSocket {
        let socket = try ZMQSocket(kind, context: context)
        try socket.setLinger(milliseconds: 0)
        return socket
    }

    private func boundRouterAndConnectedDealer(at endpoint: String, dealerID: String)
        throws -> (router: ZMQSocket, dealer: ZMQSocket)
    {
        let router = try socket(.router)
        try router.bind(endpoint)
        let dealer = try socket(.dealer)
        try dealer.setRoutingID(Array(dealerID.utf8))
        try dealer.connect(router.lastEndpoint)
        return (router, dealer)
    }

    func testAMessageOverTCPSaysWhichAddressItCameFrom() throws {
        let (router, dealer) = try boundRouterAndConnectedDealer(at: "tcp://127.0.0.1:*", dealerID: "w")
        try dealer.send([1, 2, 3])
        let received = try XCTUnwrap(router.receiveMessage(timeoutMilliseconds: 2_000))
        XCTAssertEqual(received.frames.map(\.bytes), [Array("w".utf8), [1, 2, 3]])
        XCTAssertEqual(received.peerAddress, "127.0.0.1")

        let (inprocRouter, inprocDealer) = try boundRouterAndConnectedDealer(at: "inproc://address", dealerID: "v")
        try inprocDealer.send([4])
        XCTAssertNil(try XCTUnwrap(inprocRouter.receiveMessage(timeoutMilliseconds: 2_000)).peerAddress)

        let socketFile = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-test-\(UUID()).ipc")
        defer { try? FileManager.default.removeItem(at: socketFile) }
        let (ipcRouter, ipcDealer) = try boundRouterAndConnectedDealer(at: "ipc://" + socketFile.path, dealerID: "u")
        try ipcDealer.send([5])
        let overIPC = try XCTUnwrap(ipcRouter.receiveMessage(timeoutMilliseconds: 2_000))
        XCTAssertEqual(overIPC.frames.last?.bytes, [5])
        XCTAssertNil(overIPC.peerAddress, "a Unix domain socket has no IP address")
    }

    func testPollSaysWhichSocketsHaveAMessage() throws {
        let (first, firstDealer) = try boundRouterAndConnectedDealer(at: "inproc://first", dealerID: "a")
        let (second, _) = try boundRouterAndConnectedDealer(at: "inproc://second", dealerID: "b")
        XCTAssertEqual(try ZMQSocket.poll([first, second], timeoutMilliseconds: 0), [false, false])
        try firstDealer.send([9])
        XCTAssertEqual(try ZMQSocket.poll([first, second], timeoutMilliseconds: 2_000), [true, false])
        _ = try first.receive(timeoutMilliseconds: 0)
        XCTAssertEqual(try ZMQSocket.poll([first, second], timeoutMilliseconds: 10), [false, false])
    }

    func testRouterAndDealerExchangeOverInproc() throws {
        let (router, dealer) = try boundRouterAndConnectedDealer(at: "inproc://exchange", dealerID: "worker-1")
        let hello = WireCodec.encode(.hello(Hello(workerName: "worker-1", capacity: 10, processID: 1)))
        try dealer.send(hello)

        let received = try XCTUnwrap(router.receive(timeoutMilliseconds: 2_000))
        XCTAssertEqual(received.count, 2)
        XCTAssertEqual(received[0], Array("worker-1".utf8))
        XCTAssertEqual(try WireCodec.decode(received[1]), .hello(Hello(workerName: "worker-1", capacity: 10, processID: 1)))

        try router.send([received[0], WireCodec.encode(.heartbeat(sequence: 5))])
        let reply = try XCTUnwrap(dealer.receive(timeoutMilliseconds: 2_000))
        XCTAssertEqual(reply.count, 1)
        XCTAssertEqual(try WireCodec.decode(reply[0]), .heartbeat(sequence: 5))
    }

    func testWildcardTCPBindReportsItsPortAndKeepsMultipartFraming() throws {
        let (router, dealer) = try boundRouterAndConnectedDealer(at: "tcp://127.0.0.1:*", dealerID: "worker-2")
        let endpoint = try router.lastEndpoint
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let port = Int(endpoint.split(separator: ":").last ?? "")
        XCTAssertNotNil(port, endpoint)
        XCTAssertGreaterThan(port ?? 0, 0)

        let model = WireCodec.encode(.model(ModelBroadcast(version: 1, parameters: (0..<250_000).map(Float.init))))
        let frames: [[UInt8]] = [Array("header".utf8), [], model, [0xFF]]
        try dealer.send(frames)
        let received = try XCTUnwrap(router.receive(timeoutMilliseconds: 5_000))
        XCTAssertEqual(received, [Array("worker-2".utf8)] + frames)

        try router.send([received[0], [1], [], [2, 3]])
        XCTAssertEqual(try dealer.receive(timeoutMilliseconds: 5_000), [[1], [], [2, 3]])
    }

    func testPairSocketsExchangeSingleFrames() throws {
        let left = try socket(.pair)
        try left.bind("inproc://pair")
        let right = try socket(.pair)
        try right.connect("inproc://pair")
        try right.send([7, 8, 9])
        XCTAssertEqual(try left.receive(timeoutMilliseconds: 2_000), [[7, 8, 9]])
    }

    func testReceiveTimesOutWithNil() throws {
        let router = try socket(.router)
        try router.bind("inproc://quiet")
        XCTAssertNil(try router.receive(timeoutMilliseconds: 0))
        XCTAssertNil(try router.receive(timeoutMilliseconds: 30))

        try router.setReceiveTimeout(milliseconds: 30)
        let start = ContinuousClock.now
        XCTAssertNil(try router.receive())
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(25))
    }

    func testBindFailuresNameTheEndpoint() throws {
        let router = try socket(.router)
        XCTAssertThrowsError(try router.bind("tcp://999.0.0.1:5555")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("zmq_bind(tcp://999.0.0.1:5555): "), "\(error)")
        }
        XCTAssertThrowsError(try router.bind("carrier-pigeon://coop")) { error in
            XCTAssertEqual((error as? ZMQError)?.operation, "zmq_bind(carrier-pigeon://coop)")
        }

        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let other = try socket(.router)
        XCTAssertThrowsError(try other.bind(endpoint)) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EADDRINUSE)
            XCTAssertEqual(String(describing: error), "zmq_bind(\(endpoint)): Address already in use")
        }
    }

    func testCloseIsIdempotentAndLaterCallsThrow() throws {
        let dealer = try socket(.dealer)
        dealer.close()
        dealer.close()
        XCTAssertThrowsError(try dealer.send([1])) { error in
            XCTAssertEqual((error as? ZMQError)?.code, ENOTSOCK)
        }
        XCTAssertThrowsError(try dealer.receive(timeoutMilliseconds: 0))
        XCTAssertThrowsError(try dealer.connect("inproc://nowhere"))
    }

    func testClosedContextMakesNoSockets() throws {
        let context = try ZMQContext()
        context.close()
        context.close()
        XCTAssertThrowsError(try ZMQSocket(.dealer, context: context)) { error in
            XCTAssertEqual((error as? ZMQError)?.operation, "zmq_socket(dealer)")
        }
    }

    func testRouterMandatoryRefusesUnknownPeers() throws {
        let router = try socket(.router)
        try router.setRouterMandatory(true)
        try router.bind("inproc://mandatory")
        XCTAssertThrowsError(try router.send([Array("nobody".utf8), [1]])) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EHOSTUNREACH)
        }
    }

    func testOversizedMessagesAreDroppedAndOtherPeersStillHeard() throws {
        let router = try socket(.router)
        try router.setMaxMessageSize(bytes: 1_024)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        let greedy = try socket(.dealer)
        try greedy.setRoutingID(Array("greedy".utf8))
        try greedy.connect(endpoint)
        try greedy.send([UInt8](repeating: 0xAB, count: 64 * 1_024))
        XCTAssertNil(try router.receive(timeoutMilliseconds: 300))

        let modest = try socket(.dealer)
        try modest.setRoutingID(Array("modest".utf8))
        try modest.connect(endpoint)
        try modest.send([UInt8](repeating: 1, count: 512))
        let received = try XCTUnwrap(router.receive(timeoutMilliseconds: 5_000))
        XCTAssertEqual(received, [Array("modest".utf8), [UInt8](repeating: 1, count: 512)])
        XCTAssertNil(try router.receive(timeoutMilliseconds: 100), "the oversized message never arrives")
    }

    func testLiftedQueueLimitsLetAPeerQueueMoreThanTheDefault() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(.router, context: context)
        try router.setLinger(milliseconds: 0)
        try router.setQueueLimits(messages: nil)
        try router.setRouterMandatory(true)
        try router.bind("inproc://queue-limits")
        let dealer = try ZMQSocket(.dealer, context: context)
        try dealer.setLinger(milliseconds: 0)
        try dealer.setQueueLimits(messages: nil)
        try dealer.setRoutingID(Array("d".utf8))
        try dealer.connect("inproc://queue-limits")
        try dealer.send([[0]])
        _ = try router.receive(timeoutMilliseconds: 2000)
        for index in 0..<5000 { try router.send([Array("d".utf8), [UInt8(index % 256)]]) }
        for index in 0..<5000 { XCTAssertEqual(try dealer.receive(timeoutMilliseconds: 2000), [[UInt8(index % 256)]]) }
    }
}
