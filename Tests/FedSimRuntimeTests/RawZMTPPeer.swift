import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A peer that speaks ZMTP 3.0 by hand over a plain TCP socket, with the NULL
/// mechanism: it says what a libzmq DEALER would say, but announces any routing id
/// (the READY command's Identity property) it is given, as a hostile peer can.
final class RawZMTPPeer {
    private let descriptor: Int32

    /// Connects to `127.0.0.1:port`, exchanges greetings and READY commands, announcing
    /// socket type DEALER and `identity` (empty: let the ROUTER generate one).
    init(port: Int, identity: [UInt8]) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestFailure("connect to port \(port): \(errno)")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        // Greeting: signature, version 3.0, mechanism NULL padded to 20 bytes, as-server 0, filler.
        var greeting: [UInt8] = [0xFF] + [UInt8](repeating: 0, count: 8) + [0x7F, 3, 0]
        greeting += Array("NULL".utf8) + [UInt8](repeating: 0, count: 16)
        greeting += [0] + [UInt8](repeating: 0, count: 31)
        try write(greeting)
        let theirs = try read(64)
        guard theirs[0] == 0xFF, theirs[9] == 0x7F, theirs[10] == 3 else { throw TestFailure("not a ZMTP 3 greeting") }

        var ready = [UInt8(5)] + Array("READY".utf8)
        ready += Self.property("Socket-Type", Array("DEALER".utf8))
        ready += Self.property("Identity", identity)
        try write([0x04, UInt8(ready.count)] + ready)
        // The ROUTER's READY: a short command frame.
        let header = try read(2)
        guard header[0] == 0x04 else { throw TestFailure("expected a command frame, got flags \(header[0])") }
        _ = try read(Int(header[1]))
    }

    deinit {
        close(descriptor)
    }

    /// Sends `frames` as one message (short frames only, each under 256 bytes).
    func send(_ frames: [[UInt8]]) throws {
        for (index, frame) in frames.enumerated() {
            precondition(frame.count < 256)
            try write([index == frames.count - 1 ? 0x00 : 0x01, UInt8(frame.count)] + frame)
        }
    }

    /// A ZMTP property: a one-byte name length, the name, a four-byte value length, the value.
    private static func property(_ name: String, _ value: [UInt8]) -> [UInt8] {
        let length = UInt32(value.count).bigEndian
        return [UInt8(name.utf8.count)] + Array(name.utf8) + withUnsafeBytes(of: length) { Array($0) } + value
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw TestFailure("send: \(errno)") }
            sent += count
        }
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = bytes[received...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { throw TestFailure("recv after \(received) of \(count) bytes: \(got == 0 ? "closed" : "\(errno)")") }
            received += got
        }
        return bytes
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
