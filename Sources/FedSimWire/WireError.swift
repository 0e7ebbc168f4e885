/// Why received bytes were not accepted as a message.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not a protobuf Envelope (truncated, garbage, wrong field types).
    case malformed(byteCount: Int)
    /// The sender speaks another protocol version.
    case versionMismatch(received: UInt32, expected: UInt32)
    /// An envelope without a message in it.
    case emptyEnvelope
    /// The envelope decoded but a field's value is impossible.
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(byteCount):
            return "malformed message (\(byteCount) bytes that are not a fedsim Envelope)"
        case let .versionMismatch(received, expected):
            return "protocol version \(received) is not supported: this build speaks protocol version \(expected)"
        case .emptyEnvelope:
            return "empty envelope (no message in it)"
        case let .invalid(field, reason):
            return "invalid \(field): \(reason)"
        }
    }
}
