import CZeroMQ
import Foundation

/// A libzmq context: the I/O threads behind every socket made from it.
///
/// Thread-safe. Each socket keeps its context alive, so a context is terminated
/// (exactly once) when its last socket is gone and it is released, or earlier by `close()`.
public final class ZMQContext: @unchecked Sendable {
    /// Guards `handle`: creating sockets and terminating must not interleave.
    private let lock = NSLock()
    private var handle: UnsafeMutableRawPointer?

    public init() throws {
        handle = try ZMQCall.check(zmq_ctx_new(), "zmq_ctx_new")
    }

    deinit {
        terminate()
    }

    /// Terminates the context; later calls do nothing, and sockets can no longer be made.
    ///
    /// Blocks until every socket made from this context is closed and has sent its
    /// pending messages for its linger period, so close the sockets first.
    public func close() {
        lock.withLock { terminate() }
    }

    /// A new libzmq socket of `type`; `name` names it in errors.
    func makeSocket(type: Int32, name: String) throws -> UnsafeMutableRawPointer {
        try lock.withLock {
            guard let handle else {
                throw ZMQError(operation: "zmq_socket(\(name))", code: ETERM)
            }
            return try ZMQCall.check(zmq_socket(handle, type), "zmq_socket(\(name))")
        }
    }

    private func terminate() {
        guard let context = handle else { return }
        handle = nil
        while zmq_ctx_term(context) == -1 && zmq_errno() == EINTR {}
    }
}
