import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// A coordinator address that accepts connections and closes them in the ZMTP handshake,
/// as a CURVE coordinator may answer a worker without keys: libzmq keeps trying, and the
/// worker says what it saw when it gives up.
final class ConnectionTroubleTests: XCTestCase {
    func testHandshakesThePeerCutAreCountedUntilOneSucceeds() throws {
        let listener = try ClosingListener()
        let context = try ZMQContext()
        let dealer = try ZMQSocket(.dealer, context: context)
        try dealer.setLinger(milliseconds: 0)
        try dealer.monitorConnections()
        try dealer.connect("tcp://127.0.0.1:\(listener.port)")
        let deadline = Date(timeIntervalSinceNow: 30)
        while try dealer.connectionFailures().isEmpty, dealer.interruptedHandshakes < 3, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertGreaterThanOrEqual(dealer.interruptedHandshakes, 3, "libzmq keeps trying and each try is counted")
        XCTAssertEqual(try dealer.connectionFailures(), [], "a cut handshake is no failure for good")
        listener.stop()

        // A ZMTP peer at the same address: the next handshake completes and the count restarts.
        let router = try ZMQSocket(.router, context: context)
        try router.setLinger(milliseconds: 0)
        try router.bind("tcp://127.0.0.1:\(listener.port)")
        try dealer.send([7])
        XCTAssertEqual(try router.receive(timeoutMilliseconds: 10_000)?.last, [7])
        XCTAssertEqual(try dealer.connectionFailures(), [])
        XCTAssertEqual(dealer.interruptedHandshakes, 0)
    }

    func testAWorkerThatNeverGetsThroughTheHandshakeSaysSoWhenItGivesUp() throws {
        let listener = try ClosingListener()
        defer { listener.stop() }
        let endpoint = "tcp://127.0.0.1:\(listener.port)"
        let transport = try ZeroMQWorkerTransport(connect: endpoint)
        var notices: [String] = []
        let worker = Worker(transport: transport, name: "w", coordinator: endpoint, connectTimeout: 1.5,
                            log: { notices.append($0) })
        XCTAssertThrowsError(try worker.run()) { error in
            let description = "\(error)"
            XCTAssert(description.hasPrefix("w: no answer from \(endpoint) within 1 s; "), description)
            XCTAssert(description.hasSuffix("connections were accepted and closed during the ZMTP handshake: are CURVE "
                                            + "keys (--keys) given on one side only, or is another program listening there?"),
                      description)
        }
    }
}
