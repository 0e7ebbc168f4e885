/// TFRecord framing, in which TensorBoard reads an event file: each record is its data's
/// length (UInt64), the masked CRC of those 8 bytes (UInt32), the data, and the data's
/// masked CRC (UInt32), every integer little-endian.
enum TFRecord {
    /// `data` framed as one record; O(n).
    static func framed(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndianBytes(UInt64(data.count))
        return length + littleEndianBytes(maskedCRC(length)) + data + littleEndianBytes(maskedCRC(data))
    }

    /// The CRC32C of `bytes` rotated right by 15 bits, plus 0xa282ead8 (wrapping): TFRecord
    /// stores CRCs masked so that a CRC over bytes which hold CRCs stays a good check. O(n).
    static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        let crc = CRC32C.checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    private static func littleEndianBytes<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] {
        (0..<(Integer.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
