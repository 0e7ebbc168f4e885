/// CRC-32C, the Castagnoli CRC that TFRecord framing uses: polynomial 0x1EDC6F41 (bits
/// reflected: 0x82F63B78), initial value and final XOR 0xFFFFFFFF. crc32c("123456789")
/// is 0xE3069283.
enum CRC32C {
    /// The CRC register after shifting each byte value through it alone.
    private static let table: [UInt32] = (0...255).map { byte in
        var register = UInt32(byte)
        for _ in 0..<8 {
            register = register & 1 == 1 ? (register >> 1) ^ 0x82F6_3B78 : register >> 1
        }
        return register
    }

    /// The checksum of `bytes`; O(n), one table lookup per byte.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var register: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            register = table[Int((register ^ UInt32(byte)) & 0xFF)] ^ (register >> 8)
        }
        return ~register
    }
}
