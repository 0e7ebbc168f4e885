/// A 128-bit digest of a client's data, by which a worker that built its clients'
/// rows itself shows they are the coordinator's, byte for byte.
///
/// The hash reads the bytes in 32-byte blocks over four independent 64-bit lanes
/// (multiply, rotate, multiply, as xxHash64's rounds do), so it runs near memory speed;
/// the lanes are then merged with the length and finalized twice with SplitMix64 for
/// the two halves. It detects data that differs (another file, another partition, another
/// release's generator); it is not a cryptographic hash and does not stand against forgery.
public struct ContentHash: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The digest from its 16 bytes, big-endian (as `bytes` gives them); nil for another length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        let word = { (range: Range<Int>) in bytes[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        self.init(high: word(0..<8), low: word(8..<16))
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        (0..<16).map { index in UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8))) }
    }

    /// 32 hexadecimal digits.
    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// Builds a `ContentHash` from byte runs given one after the other. The digest
/// depends on the runs and their boundaries (each run's length is mixed in). O(bytes).
public struct ContentHasher {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (prime1 &+ prime2, prime2, 0, 0 &- prime1)
    private var length: UInt64 = 0

    public init() {}

    @inline(__always)
    private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = lane &+ word &* prime2
        return (mixed << 31 | mixed >> 33) &* prime1
    }

    /// Adds the bytes of `run`.
    public mutating func combine(_ run: UnsafeRawBufferPointer) {
        let count = run.count
        var offset = 0
        while count - offset >= 32 {
            lanes.0 = Self.round(lanes.0, run.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
            lanes.1 = Self.round(lanes.1, run.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).littleEndian)
            lanes.2 = Self.round(lanes.2, run.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self).littleEndian)
            lanes.3 = Self.round(lanes.3, run.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self).littleEndian)
            offset += 32
        }
        var tail: UInt64 = 0
        for (shift, index) in (offset..<count).enumerated() {
            tail |= UInt64(run[index]) << (8 * UInt64(shift % 8))
            if shift % 8 == 7 || index == count - 1 {
                lanes.0 = Self.round(lanes.0, tail)
                tail = 0
            }
        }
        lanes.1 = Self.round(lanes.1, UInt64(count))
        length &+= UInt64(count)
    }

    /// Adds the bytes of `values` (their in-memory, little-endian representation).
    public mutating func combine<Element: BitwiseCopyable>(_ values: [Element]) {
        values.withUnsafeBytes { combine($0) }
    }

    /// Adds one integer.
    public mutating func combine(_ value: Int) {
        combine([Int64(value)])
    }

    public func finalize() -> ContentHash {
        let merged = (lanes.0 << 1 | lanes.0 >> 63) &+ (lanes.1 << 7 | lanes.1 >> 57)
            &+ (lanes.2 << 12 | lanes.2 >> 52) &+ (lanes.3 << 18 | lanes.3 >> 46) &+ length
        let high = RandomStream.splitMix(merged ^ lanes.0 ^ lanes.2)
        return ContentHash(high: high, low: RandomStream.splitMix(high ^ merged ^ lanes.1 ^ lanes.3))
    }
}

extension Dataset {
    /// The digest of every byte of the data: shape, features, labels and targets.
    public var contentHash: ContentHash {
        var hasher = ContentHasher()
        hasher.combine(count)
        hasher.combine(featureCount)
        hasher.combine(classCount)
        hasher.combine(features)
        hasher.combine(labels)
        hasher.combine(targets.map { _ in 1 } ?? 0)
        if let targets { hasher.combine(targets) }
        return hasher.finalize()
    }
}
