import CZeroMQ

/// One frame of a ZeroMQ message in libzmq's own buffer (a `zmq_msg_t`), so a received
/// message is read, and an encoded one sent, without copying its bytes.
///
/// A received frame holds the buffer libzmq filled; an outgoing one is written once in
/// place (`init(count:fill:)`) and can then be sent any number of times, to any number
/// of peers: each send shares the buffer (`zmq_msg_copy` counts references to buffers
/// over 33 bytes) instead of copying it. The bytes never change once written.
public final class ZMQFrame: @unchecked Sendable {
    /// Heap-allocated: libzmq needs the `zmq_msg_t` at a stable address.
    let message: UnsafeMutablePointer<zmq_msg_t>

    /// An empty frame, for `zmq_msg_recv` to fill.
    init() throws {
        message = .allocate(capacity: 1)
        do {
            try ZMQCall.check(zmq_msg_init(message), "zmq_msg_init")
        } catch {
            message.deallocate()
            throw error
        }
    }

    /// A frame of `count` bytes that `fill` writes in place; `fill` returns how many it
    /// wrote, which must be `count`. O(count) for `fill`, nothing else. Like a Swift
    /// array's, the allocation traps when memory is exhausted (libzmq's only failure here).
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Int) {
        message = .allocate(capacity: 1)
        guard zmq_msg_init_size(message, count) == 0 else {
            preconditionFailure("out of memory for a ZeroMQ frame of \(count) bytes (errno \(zmq_errno()))")
        }
        let written = fill(UnsafeMutableRawBufferPointer(start: zmq_msg_data(message), count: count))
        precondition(written == count, "a frame of \(count) bytes was filled with \(written)")
    }

    /// A frame holding a copy of `bytes`.
    public convenience init(copying bytes: [UInt8]) {
        self.init(count: bytes.count) { buffer in
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            return bytes.count
        }
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }

    /// The frame's length in bytes.
    public var count: Int { zmq_msg_size(message) }

    /// Calls `body` with the frame's bytes, valid only during the call.
    @inlinable
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(rawBytes)
    }

    @usableFromInline
    var rawBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))
    }

    /// A copy of the frame's bytes. O(count).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// A property libzmq attached to a received frame (`Peer-Address`, `User-Id`).
    func property(_ name: String) -> String? {
        zmq_msg_gets(message, name).map { String(cString: $0) }
    }

    /// Whether more frames of the same message follow this received one.
    var hasMore: Bool { zmq_msg_more(message) != 0 }

    /// Sends the frame on `socket` without copying it: a new `zmq_msg_t` sharing the
    /// buffer goes to libzmq, and this frame stays as it was, to be sent again.
    func send(on socket: UnsafeMutableRawPointer, flags: Int32) throws {
        var shared = zmq_msg_t()
        try ZMQCall.check(zmq_msg_init(&shared), "zmq_msg_init")
        do {
            try ZMQCall.check(zmq_msg_copy(&shared, message), "zmq_msg_copy")
            try ZMQCall.retryingOnInterrupt { try ZMQCall.check(zmq_msg_send(&shared, socket, flags), "zmq_msg_send") }
        } catch {
            zmq_msg_close(&shared)
            throw error
        }
    }
}
