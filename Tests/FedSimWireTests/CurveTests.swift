import FedSimWire
import Foundation
import XCTest

/// CURVE keys, certificate files, and CURVE sockets behind a ZAP handler.
final class CurveTests: XCTestCase {
    private func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-curve-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testKeysRoundTripThroughZ85AndSecretKeysGiveTheirPublicKeys() throws {
        XCTAssertTrue(CurveKeyPair.isSupported)
        let keys = try CurveKeyPair.generate()
        XCTAssertEqual(keys.publicKey.bytes.count, 32)
        XCTAssertEqual(keys.publicKey.z85.count, 40)
        XCTAssertEqual(CurveKey(z85: keys.publicKey.z85), keys.publicKey)
        XCTAssertEqual(try CurveKeyPair(secretKey: keys.secretKey), keys)
        XCTAssertNotEqual(try CurveKeyPair.generate(), keys)
        // Z85 for 8 bytes, not a key.
        XCTAssertNil(CurveKey(z85: "HelloWorld"))
        XCTAssertNil(CurveKey(z85: String(keys.publicKey.z85.dropLast())))
        XCTAssertNil(CurveKey(z85: String(keys.publicKey.z85.dropLast()) + "~"))
        XCTAssertNil(CurveKey(z85: String(keys.publicKey.z85.dropLast()) + " "))
        XCTAssertNil(CurveKey(bytes: [1, 2, 3]))
    }

    func testCertificatesRoundTripThroughFilesAndSecretOnesAreTheOwnersOnly() throws {
        let folder = try temporaryFolder()
        let keys = try CurveKeyPair.generate()
        let certificate = CurveCertificate(keys: keys, metadata: [.init("name", "worker-0")])
        try certificate.write(publicPath: folder + "/w.key", secretPath: folder + "/w.key_secret")

        let secret = try CurveCertificate.read(path: folder + "/w.key_secret")
        XCTAssertEqual(secret, certificate)
        XCTAssertEqual(try secret.keyPair, keys)
        XCTAssertEqual(secret[metadata: "name"], "worker-0")
        let publicOne = try CurveCertificate.read(path: folder + "/w.key")
        XCTAssertEqual(publicOne.publicKey, keys.publicKey)
        XCTAssertNil(publicOne.secretKey)
        XCTAssertNil(try publicOne.keyPair)
        XCTAssertFalse(try String(contentsOfFile: folder + "/w.key", encoding: .utf8).contains(keys.secretKey.z85))

        let mode = { (path: String) in
            try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        XCTAssertEqual(try mode(folder + "/w.key_secret"), 0o600)
        XCTAssertEqual(try mode(folder + "/w.key"), 0o644)
    }

    func testCertificateTextInCZMQsLayoutIsRead() throws {
        let keys = try CurveKeyPair.generate()
        let text = """
        #   ****  Generated on 2024-01-01 00:00:00 by CZMQ  ****
        #   ZeroMQ CURVE **Secret** Certificate

        metadata
            email = "ops@example.org"
        curve
            public-key = "\(keys.publicKey.z85)"
            secret-key = '\(keys.secretKey.z85)'\r
        """
        let certificate = try CurveCertificate.parse(text, path: "c.key_secret")
        XCTAssertEqual(try certificate.keyPair, keys)
        XCTAssertEqual(certificate.metadata, [.init("email", "ops@example.org")])
    }

    func testCertificateErrorsNameTheFileAndLine() throws {
        let keys = try CurveKeyPair.generate(), other = try CurveKeyPair.generate()
        let publicLine = "    public-key = \"\(keys.publicKey.z85)\""
        let cases: [(String, String)] = [
            ("curve\n\tpublic-key = \"x\"", "k:2: indent with spaces, not tabs"),
            ("keys\n" + publicLine, "k:1: unknown section 'keys' (a certificate has metadata and curve)"),
            (publicLine, "k:1: a property outside a section"),
            ("curve\n  public-key = \"x\"", "k:2: indented by 2 spaces; properties are indented by 4"),
            ("curve\n    public-key", "k:2: expected name = value"),
            ("curve\n    public-key = \"abc", "k:2: public-key's value lacks its closing \""),
            ("curve\n    public-key = \"too-short\"", "k:2: public-key is not a CURVE key (40 Z85 characters)"),
            ("curve\n" + publicLine + "\n" + publicLine, "k:3: public-key given twice (first on line 2)"),
            ("curve\n    private-key = \"x\"", "k:2: unknown property 'private-key' in the curve section (public-key, secret-key)"),
            ("metadata\n    name = \"a\"\n    name = \"b\"", "k:3: name given twice"),
            ("metadata\n    name = \"a\"", "k: no public-key in a curve section"),
            ("# a comment\ncurve\n" + publicLine + "\n    secret-key = \"\(other.secretKey.z85)\"",
             "k:4: secret-key does not belong to the public-key on line 3"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try CurveCertificate.parse(text, path: "k"), expected) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
        let folder = try temporaryFolder()
        XCTAssertThrowsError(try CurveCertificate.read(path: folder + "/missing.key")) { error in
            XCTAssertEqual("\(error)", folder + "/missing.key: cannot be read as a file")
        }
    }

    /// A CURVE server ROUTER on loopback behind a ZAP handler admitting `authorized`;
    /// the handler's refusals land in `refusals`.
    private final class Server {
        let context: ZMQContext
        let handler: ZAPHandler
        let router: ZMQSocket
        let keys: CurveKeyPair
        let endpoint: String
        private let lock = NSLock()
        private var logged: [String] = []

        init(authorized: Set<CurveKey>?) throws {
            context = try ZMQContext()
            keys = try CurveKeyPair.generate()
            let lock = lock
            var handlerLog: (String) -> Void = { _ in }
            handler = try ZAPHandler(context: context, authorized: authorized) { handlerLog($0) }
            router = try ZMQSocket(.router, context: context)
            try router.setLinger(milliseconds: 0)
            try router.setCurveServer(keys)
            try router.bind("tcp://127.0.0.1:*")
            endpoint = try router.lastEndpoint
            handlerLog = { [weak self] line in lock.withLock { self?.logged.append(line) } }
        }

        var refusals: [String] { lock.withLock { logged } }

        func close() {
            router.close()
            handler.stop()
        }
    }

    private func dealer(_ server: Server, keys: CurveKeyPair?, serverKey: CurveKey? = nil) throws -> ZMQSocket {
        let dealer = try ZMQSocket(.dealer, context: ZMQContext())
        try dealer.setLinger(milliseconds: 0)
        try dealer.monitorConnections()
        if let keys { try dealer.setCurveClient(keys, server: serverKey ?? server.keys.publicKey) }
        try dealer.connect(server.endpoint)
        return dealer
    }

    /// The first connection failure `socket` notes within 60 s: a refusal races the
    /// server closing the connection, so it can take a few reconnections to be seen.
    private func firstFailure(of socket: ZMQSocket) throws -> ConnectionFailure? {
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline {
            if let failure = try socket.connectionFailures().first { return failure }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    func testOnlyAuthorizedKeysGetThroughAndRefusalsNameTheKey() throws {
        let member = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let server = try Server(authorized: [member.publicKey])
        defer { server.close() }

        let plain = try dealer(server, keys: nil)
        try plain.send([1])
        let impostor = try dealer(server, keys: stranger)
        try impostor.send([2])
        let misdirected = try dealer(server, keys: member, serverKey: stranger.publicKey)
        try misdirected.send([3])
        XCTAssertNil(try server.router.receive(timeoutMilliseconds: 500))

        let welcome = try dealer(server, keys: member)
        try welcome.send([4])
        let received = try XCTUnwrap(server.router.receiveMessage(timeoutMilliseconds: 5_000))
        XCTAssertEqual(received.frames.last?.bytes, [4])
        XCTAssertEqual(received.userID, member.publicKey.z85)
        XCTAssertEqual(received.peerAddress, "127.0.0.1")
        try server.router.send([received.frames[0].bytes, [5]])
        XCTAssertEqual(try welcome.receive(timeoutMilliseconds: 5_000), [[5]])
        XCTAssertNil(try server.router.receive(timeoutMilliseconds: 200), "nothing from the others ever arrives")

        XCTAssert(server.refusals.contains {
            $0.hasPrefix("refused a connection from 127.0.0.1: CURVE key \(stranger.publicKey) is not authorized")
        }, "\(server.refusals)")
        XCTAssertFalse(server.refusals.contains { $0.contains(member.publicKey.z85) }, "\(server.refusals)")

        // The refused clients learn why (libzmq does not try them again); each failure is said once.
        let refusal = try XCTUnwrap(firstFailure(of: impostor))
        XCTAssertEqual(refusal.reason, .refused(status: 400))
        XCTAssertEqual(refusal.endpoint, server.endpoint)
        XCTAssertEqual("\(refusal)", "the peer refused the CURVE key presented (ZAP status 400)")
        XCTAssertEqual(try firstFailure(of: plain)?.reason, .mechanismMismatch)
        XCTAssertEqual(try plain.connectionFailures(), [])
        XCTAssertEqual(try impostor.connectionFailures(), [])
        XCTAssertEqual(try welcome.connectionFailures(), [])
    }

    func testAHandlerThatDoesNotKnowItsKeysYetHoldsClientsUntilItDoes() throws {
        let member = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let server = try Server(authorized: nil)
        defer { server.close() }
        let early = try dealer(server, keys: member)
        try early.send([1])
        let impostor = try dealer(server, keys: stranger)
        try impostor.send([2])
        XCTAssertNil(try server.router.receive(timeoutMilliseconds: 300))
        XCTAssertEqual(server.refusals, [])

        server.handler.authorize([member.publicKey])
        let received = try XCTUnwrap(server.router.receiveMessage(timeoutMilliseconds: 5_000))
        XCTAssertEqual(received.frames.last?.bytes, [1])
        XCTAssertNil(try server.router.receive(timeoutMilliseconds: 300))
        XCTAssert(server.refusals.contains { $0.contains("CURVE key \(stranger.publicKey) is not authorized") },
                  "\(server.refusals)")
    }

    func testARefusedClientIsNotAdmittedLaterWithoutConnectingAgain() throws {
        // What the held requests are for: libzmq ends a refused client's session for good.
        let member = try CurveKeyPair.generate()
        let server = try Server(authorized: [])
        defer { server.close() }
        let early = try dealer(server, keys: member)
        try early.send([1])
        XCTAssertNil(try server.router.receive(timeoutMilliseconds: 300))
        server.handler.authorize([member.publicKey])
        XCTAssertNil(try server.router.receive(timeoutMilliseconds: 500))
        let again = try dealer(server, keys: member)
        try again.send([2])
        XCTAssertEqual(try server.router.receive(timeoutMilliseconds: 5_000)?.last, [2])
    }
}
