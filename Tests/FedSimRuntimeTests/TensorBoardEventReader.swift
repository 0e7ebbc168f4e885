@testable import FedSimRuntime
import FedSimWire
import Foundation

/// Reads a TensorBoard event file back as TensorBoard does, apart from the writer's code:
/// TFRecords whose length and data CRCs are both checked, each an `Event` decoded by hand
/// from the protobuf wire format.
enum TensorBoardEventReader {
    enum Failure: Error, Equatable {
        /// The bytes end inside the record that begins at `offset`.
        case truncated(offset: Int)
        case badLengthCRC(offset: Int)
        case badDataCRC(offset: Int)
        /// The record's data is not an Event of the fields fedsim writes.
        case malformed(String)
    }

    /// The events of the event file at `path`.
    static func events(atPath path: String) throws -> [TensorBoardEvent] {
        try records(in: [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))).map(event)
    }

    /// The events of every event file in `folder`, file by file in name order.
    static func eventFiles(in folder: String) throws -> [[TensorBoardEvent]] {
        try TensorBoardEventFile.names(in: folder).map { try events(atPath: folder + "/" + $0) }
    }

    /// The data of each TFRecord in `bytes`: a UInt64 length, its masked CRC, the data,
    /// the data's masked CRC.
    static func records(in bytes: [UInt8]) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 12 else { throw Failure.truncated(offset: offset) }
            let lengthBytes = Array(bytes[offset..<(offset + 8)])
            guard littleEndian(bytes[(offset + 8)..<(offset + 12)]) == TFRecord.maskedCRC(lengthBytes) else {
                throw Failure.badLengthCRC(offset: offset)
            }
            let length: UInt64 = littleEndian(lengthBytes)
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                throw Failure.truncated(offset: offset)
            }
            let end = start + Int(length)
            let data = Array(bytes[start..<end])
            guard littleEndian(bytes[end..<(end + 4)]) == TFRecord.maskedCRC(data) else {
                throw Failure.badDataCRC(offset: offset)
            }
            records.append(data)
            offset = end + 4
        }
        return records
    }

    /// The Event in `data`: `wall_time` (1), `step` (2), and `file_version` (3) or a
    /// `summary` (5) whose values each have a `tag` (1) and a `simple_value` (2).
    static func event(_ data: [UInt8]) throws -> TensorBoardEvent {
        var wallTime = 0.0
        var step: Int64 = 0
        var content: TensorBoardEvent.Content?
        try forEachField(in: data) { number, field in
            switch (number, field) {
            case let (1, .fixed64(bits)): wallTime = Double(bitPattern: bits)
            case let (2, .varint(value)): step = Int64(bitPattern: value)
            case let (3, .bytes(text)): content = .fileVersion(String(decoding: text, as: UTF8.self))
            case let (5, .bytes(summary)): content = .scalars(try scalars(summary))
            default: throw Failure.malformed("Event field \(number) as \(field)")
            }
        }
        guard let content else { throw Failure.malformed("an Event with neither file_version nor summary") }
        return TensorBoardEvent(wallTime: wallTime, step: step, content: content)
    }

    private static func scalars(_ summary: [UInt8]) throws -> [TensorBoardEvent.Scalar] {
        var scalars: [TensorBoardEvent.Scalar] = []
        try forEachField(in: summary) { number, field in
            guard number == 1, case let .bytes(value) = field else { throw Failure.malformed("Summary field \(number)") }
            var tag = ""
            var simpleValue: Float?
            try forEachField(in: value) { number, field in
                switch (number, field) {
                case let (1, .bytes(text)): tag = String(decoding: text, as: UTF8.self)
                case let (2, .fixed32(bits)): simpleValue = Float(bitPattern: bits)
                default: throw Failure.malformed("Summary.Value field \(number) as \(field)")
                }
            }
            guard let simpleValue else { throw Failure.malformed("'\(tag)' has no simple_value") }
            scalars.append(TensorBoardEvent.Scalar(tag: tag, value: simpleValue))
        }
        return scalars
    }

    /// A protobuf field's value, by wire type.
    private enum Field {
        case varint(UInt64), fixed64(UInt64), bytes([UInt8]), fixed32(UInt32)
    }

    /// Calls `visit` with each field of the protobuf message `data`, in order.
    private static func forEachField(in data: [UInt8], _ visit: (Int, Field) throws -> Void) throws {
        var offset = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) where offset < data.count {
                let byte = data[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte & 0x80 == 0 { return value }
            }
            throw Failure.malformed("a varint at byte \(offset)")
        }
        func take(_ count: UInt64) throws -> [UInt8] {
            guard count <= UInt64(data.count - offset) else { throw Failure.malformed("\(count) bytes past the end") }
            defer { offset += Int(count) }
            return Array(data[offset..<(offset + Int(count))])
        }
        while offset < data.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: try visit(number, .varint(try varint()))
            case 1: try visit(number, .fixed64(littleEndian(try take(8))))
            case 2: try visit(number, .bytes(try take(try varint())))
            case 5: try visit(number, .fixed32(littleEndian(try take(4))))
            default: throw Failure.malformed("wire type \(key & 7) of field \(number)")
            }
        }
    }

    private static func littleEndian<Integer: FixedWidthInteger>(_ bytes: some Collection<UInt8>) -> Integer {
        bytes.reversed().reduce(0) { $0 << 8 | Integer($1) }
    }
}
