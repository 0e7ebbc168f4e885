import FedSimWire
import XCTest

final class ZeroMQTests: XCTestCase {
    func testRouterAndDealerExchangeOverInprocAndTCP() throws {
        let context = try ZMQContext()
        for endpoint in ["inproc://fedsim-test", "tcp://127.0.0.1:*"] {
            let router = try ZMQSocket(context, kind: .router, lingerMilliseconds: 0)
            try router.bind(endpoint)
            let bound = try router.lastEndpoint()
            if endpoint.hasPrefix("tcp") {
                XCTAssert(bound.hasPrefix("tcp://127.0.0.1:") && !bound.hasSuffix(":*"), bound)
            }
            let dealer = try ZMQSocket(context, kind: .dealer, lingerMilliseconds: 0)
            try dealer.setRoutingID(Array("dealer-1".utf8))
            try dealer.connect(bound)

            try dealer.send([[1, 2, 3], [], [4]])
            let received = try XCTUnwrap(router.receive(timeoutMilliseconds: 2000))
            XCTAssertEqual(received, [Array("dealer-1".utf8), [1, 2, 3], [], [4]])

            try router.send([Array("dealer-1".utf8), [9, 9]])
            XCTAssertEqual(try dealer.receive(timeoutMilliseconds: 2000), [[9, 9]])
            dealer.close()
            router.close()
        }
    }

    func testReceiveTimesOutWithNil() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, kind: .dealer, lingerMilliseconds: 0)
        try socket.bind("inproc://quiet")
        XCTAssertNil(try socket.receive(timeoutMilliseconds: 20))
    }

    func testBindingAnInvalidEndpointThrowsNamingIt() throws {
        let socket = try ZMQSocket(ZMQContext(), kind: .router, lingerMilliseconds: 0)
        XCTAssertThrowsError(try socket.bind("tcp://no-such-host-xyz.invalid:1")) { error in
            XCTAssert("\(error)".hasPrefix("zmq_bind(tcp://no-such-host-xyz.invalid:1): "), "\(error)")
        }
        XCTAssertThrowsError(try socket.bind("carrier-pigeon://x")) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EPROTONOSUPPORT)
        }
    }

    func testClosingTwiceIsSafeAndAClosedSocketThrows() throws {
        let socket = try ZMQSocket(ZMQContext(), kind: .pair, lingerMilliseconds: 0)
        socket.close()
        socket.close()
        XCTAssertThrowsError(try socket.send([[1]]))
        XCTAssertThrowsError(try socket.receive(timeoutMilliseconds: 0))
    }

    func testRouterMandatoryRefusesUnknownPeers() throws {
        let router = try ZMQSocket(ZMQContext(), kind: .router, lingerMilliseconds: 0)
        try router.setRouterMandatory(true)
        try router.bind("inproc://mandatory")
        XCTAssertThrowsError(try router.send([Array("nobody".utf8), [1]])) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EHOSTUNREACH)
        }
    }

    func testOversizedMessagesAreDroppedBeforeTheyAreRead() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, kind: .router, lingerMilliseconds: 0)
        try router.setMaxMessageSize(1024)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try ZMQSocket(context, kind: .dealer, lingerMilliseconds: 0)
        try dealer.connect(try router.lastEndpoint())
        try dealer.send([[UInt8](repeating: 7, count: 4096)])
        XCTAssertNil(try router.receive(timeoutMilliseconds: 300))

        let polite = try ZMQSocket(context, kind: .dealer, lingerMilliseconds: 0)
        try polite.connect(try router.lastEndpoint())
        try polite.send([[1, 2]])
        XCTAssertEqual(try router.receive(timeoutMilliseconds: 2000)?.last, [1, 2])
    }
}
