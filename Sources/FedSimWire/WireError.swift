import FedSimCore

/// Why bytes received from a peer were not accepted as a `Message`.
///
/// Decoding checks, in order: that the bytes parse as an envelope (`malformed`), that
/// the envelope speaks this build's protocol (`versionMismatch`), that it carries a
/// body (`emptyEnvelope`), and that every field makes sense (`invalid`). A receiver may
/// refuse a message for its size alone, before decoding it (`tooLarge`).
public enum WireError: FedSimError, Equatable, Sendable {
    /// The bytes are not a protobuf envelope: truncated, garbage, or a field of the wrong type.
    case malformed(byteCount: Int)
    /// The peer speaks another protocol version; nothing else of the message was read.
    case versionMismatch(received: UInt32, expected: UInt32)
    /// The envelope carries no body this build knows.
    case emptyEnvelope
    /// A field parsed but breaks a rule of the protocol (sizes, ranges, names).
    case invalid(field: String, reason: String)
    /// The message is larger than any the receiver expects there; it was not decoded.
    case tooLarge(byteCount: Int, limit: Int)

    public var description: String {
        switch self {
        case .malformed(let byteCount):
            return "malformed message: \(byteCount) bytes do not parse as a fedsim envelope"
        case .versionMismatch(let received, let expected):
            return "protocol version mismatch: received version \(received), this build speaks version \(expected)"
        case .emptyEnvelope:
            return "empty envelope: the message carries no body"
        case .invalid(let field, let reason):
            return "invalid \(field): \(reason)"
        case .tooLarge(let byteCount, let limit):
            return "message too large: \(byteCount) bytes, at most \(limit) expected here"
        }
    }
}
