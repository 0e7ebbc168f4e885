extension Array where Element == Float {
    /// Whether every element is finite (no NaN, no infinity). One pass of an integer
    /// maximum over the exponent bits, which the compiler vectorizes, where
    /// `allSatisfy(\.isFinite)` tests element by element. O(n).
    @inlinable
    public var allFinite: Bool {
        withUnsafeBufferPointer { values in
            let exponentBits: UInt32 = 0x7F80_0000
            var largest: UInt32 = 0
            values.withMemoryRebound(to: UInt32.self) { bits in
                for pattern in bits { largest = Swift.max(largest, pattern & exponentBits) }
            }
            return largest != exponentBits
        }
    }
}
