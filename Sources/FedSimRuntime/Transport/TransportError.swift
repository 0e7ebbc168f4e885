import FedSimCore

/// Why a transport could not be set up or could not deliver.
public enum TransportError: FedSimError, Equatable, Sendable {
    case cannotListen(endpoint: String, reason: String)
    case cannotConnect(endpoint: String, reason: String)
    /// No worker is connected under this peer name.
    case unknownPeer(String)
    /// The worker's connection is closed: its process ended, or it stopped answering
    /// the transport's heartbeats.
    case peerGone(String)
    /// CURVE keys were given, but this libzmq was built without CURVE security.
    case curveUnsupported

    public var description: String {
        switch self {
        case let .cannotListen(endpoint, reason): return "cannot listen on \(endpoint): \(reason)"
        case let .cannotConnect(endpoint, reason): return "cannot connect to \(endpoint): \(reason)"
        case let .unknownPeer(peer): return "no worker connection \(peer)"
        case let .peerGone(peer): return "the connection to \(peer) is closed"
        case .curveUnsupported:
            return "this libzmq was built without CURVE security (zmq_has(\"curve\") is false), so --keys cannot be used"
        }
    }
}
