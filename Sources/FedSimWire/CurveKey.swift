import CZeroMQ

/// A CURVE key (Curve25519, 32 bytes), public or secret, written as ZeroMQ's Z85 text
/// of 40 characters.
public struct CurveKey: Hashable, Sendable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let bytes: [UInt8]

    /// The key `z85` spells, nil unless it is 40 characters of ZeroMQ's Z85 alphabet.
    public init?(z85: String) {
        let characters = Array(z85.utf8)
        guard characters.count == 40, characters.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        let decoded = bytes.withUnsafeMutableBufferPointer { bytes in
            z85.withCString { zmq_z85_decode(bytes.baseAddress, $0) }
        }
        guard decoded != nil else { return nil }
        self.bytes = bytes
    }

    /// The key of these 32 bytes, nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The key as 40 Z85 characters.
    public var z85: String {
        var text = [CChar](repeating: 0, count: 41)
        bytes.withUnsafeBufferPointer { _ = zmq_z85_encode(&text, $0.baseAddress, 32) }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    public var description: String { z85 }
}

/// A CURVE key pair: the public key peers know a socket by, and its secret key.
public struct CurveKeyPair: Equatable, Sendable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    /// Whether this libzmq was built with CURVE security (`zmq_has("curve")`).
    public static var isSupported: Bool { zmq_has("curve") == 1 }

    /// A new random key pair from libzmq (`zmq_curve_keypair`).
    public static func generate() throws -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        try ZMQCall.check(zmq_curve_keypair(&publicText, &secretText), "zmq_curve_keypair")
        let publicKey = CurveKey(z85: String(cString: publicText)), secretKey = CurveKey(z85: String(cString: secretText))
        return CurveKeyPair(publicKey: publicKey!, secretKey: secretKey!)
    }

    /// The pair of `secretKey`, its public key derived by libzmq (`zmq_curve_public`).
    public init(secretKey: CurveKey) throws {
        var publicText = [CChar](repeating: 0, count: 41)
        try ZMQCall.check(zmq_curve_public(&publicText, secretKey.z85), "zmq_curve_public")
        self.init(publicKey: CurveKey(z85: String(cString: publicText))!, secretKey: secretKey)
    }

    private init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
