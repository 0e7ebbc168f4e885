import CZeroMQ
import FedSimCore

/// A libzmq call that failed: which call (with its argument), and libzmq's reason.
///
/// Its description reads like `zmq_bind(tcp://127.0.0.1:5555): Address already in use`.
public struct ZMQError: FedSimError, Equatable, Sendable {
    /// The failing call and its argument, e.g. `zmq_bind(tcp://127.0.0.1:5555)`.
    public let operation: String
    /// The errno value libzmq reported.
    public let code: Int32
    /// libzmq's explanation of `code`.
    public let reason: String

    /// The error `code` means for `operation`, explained by `zmq_strerror`.
    init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        self.reason = String(cString: zmq_strerror(code))
    }

    public var description: String { "\(operation): \(reason)" }
}

/// The one place libzmq's C conventions (-1 or NULL, then `zmq_errno()`) become a
/// thrown `ZMQError`.
enum ZMQCall {
    /// `result`, unless it is libzmq's -1 failure, which is thrown as the error of `operation`.
    @discardableResult
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        guard result == -1 else { return result }
        throw ZMQError(operation: operation(), code: zmq_errno())
    }

    /// `result`, unless it is libzmq's NULL failure, which is thrown as the error of `operation`.
    static func check(_ result: UnsafeMutableRawPointer?, _ operation: @autoclosure () -> String) throws
        -> UnsafeMutableRawPointer
    {
        guard let result else { throw ZMQError(operation: operation(), code: zmq_errno()) }
        return result
    }

    /// The result of `call`, which is repeated while it fails because a signal interrupted it.
    @discardableResult
    static func retryingOnInterrupt<Result>(_ call: () throws -> Result) throws -> Result {
        while true {
            do {
                return try call()
            } catch let error as ZMQError where error.code == EINTR {
                continue
            }
        }
    }
}
