@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// The ZeroMQ transports against hostile peers speaking raw ZMTP.
final class ZeroMQTransportTests: XCTestCase {
    private func port(of endpoint: String) throws -> Int {
        try XCTUnwrap(endpoint.split(separator: ":").last.flatMap { Int($0) }, endpoint)
    }

    /// The next message at `coordinator` with its sender, waiting up to 5 s.
    private func inbound(_ coordinator: ZeroMQCoordinatorTransport) throws -> (kind: String, peer: PeerID) {
        switch try XCTUnwrap(coordinator.receive(timeoutMilliseconds: 5_000), "nothing arrived") {
        case let .message(message, from: peer): return ("\(message.kind)", peer)
        case let .rejected(_, from: peer): return ("rejected", peer)
        }
    }

    func testAPeerAnnouncingTheNextGeneratedRoutingIDDoesNotBreakTheCoordinator() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:*", maxMessageBytes: 1 << 20)
        let port = try port(of: coordinator.endpoint)

        // An anonymous peer learns the counter libzmq's ROUTER draws routing ids from...
        let anonymous = try RawZMTPPeer(port: port, identity: [])
        try anonymous.send([WireCodec.encode(.heartbeat(sequence: 1))])
        let generated = try inbound(coordinator).peer.bytes
        XCTAssertEqual(generated.count, 5)
        XCTAssertEqual(generated.first, 0)
        let counter = generated.dropFirst().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        // ...and another announces the id it would generate next, then speaks under it.
        let next = counter &+ 1
        let announced = [0] + withUnsafeBytes(of: next.bigEndian) { Array($0) }
        let attacker = try RawZMTPPeer(port: port, identity: announced)
        try attacker.send([WireCodec.encode(.heartbeat(sequence: 2))])
        XCTAssertEqual(try inbound(coordinator).peer.bytes, announced)

        // A real worker joins after it: the coordinator hears it and answers it.
        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint)
        try worker.send(.hello(Hello(workerName: "honest")))
        let hello = try inbound(coordinator)
        XCTAssertEqual(hello.kind, "Hello")
        XCTAssertNotEqual(hello.peer.bytes, announced)
        try coordinator.send(.heartbeat(sequence: 7), to: hello.peer)
        XCTAssertEqual(try worker.receive(timeoutMilliseconds: 5_000), .heartbeat(sequence: 7))
        try attacker.send([WireCodec.encode(.heartbeat(sequence: 3))])
        XCTAssertEqual(try inbound(coordinator).peer.bytes, announced)
    }
}
