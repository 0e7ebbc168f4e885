import FedSimWire

/// Writes protobuf wire format by hand, to play a peer that sends what `WireCodec`
/// never would: wrong sizes, unknown names, out-of-range values.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    init(_ build: (inout ProtobufWriter) -> Void = { _ in }) {
        build(&self)
    }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, wireType: 0)
        appendVarint(value)
    }

    /// An int32 field: negative values are sign-extended to ten bytes, as protobuf does.
    mutating func int32(_ field: Int, _ value: Int32) {
        varint(field, UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        appendLittleEndian(value.bitPattern)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, wireType: 1)
        appendLittleEndian(value.bitPattern)
    }

    mutating func bytes(_ field: Int, _ payload: [UInt8]) {
        key(field, wireType: 2)
        appendVarint(UInt64(payload.count))
        bytes += payload
    }

    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        bytes(field, ProtobufWriter(build).bytes)
    }

    mutating func packedVarints(_ field: Int, _ values: [UInt64]) {
        var payload = ProtobufWriter()
        values.forEach { payload.appendVarint($0) }
        bytes(field, payload.bytes)
    }

    mutating func packedInt32s(_ field: Int, _ values: [Int32]) {
        packedVarints(field, values.map { UInt64(bitPattern: Int64($0)) })
    }

    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var payload = ProtobufWriter()
        values.forEach { payload.appendLittleEndian($0.bitPattern) }
        bytes(field, payload.bytes)
    }

    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        var payload = ProtobufWriter()
        values.forEach { payload.appendLittleEndian($0.bitPattern) }
        bytes(field, payload.bytes)
    }

    private mutating func key(_ field: Int, wireType: Int) {
        appendVarint(UInt64(field << 3 | wireType))
    }

    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func appendLittleEndian(_ value: some FixedWidthInteger) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// Field numbers of Protos/fedsim.proto's Envelope body.
enum EnvelopeBody: Int {
    case hello = 2, assign, model, task, update, gossip, heartbeat, metrics, stop, refused, events, snapshot, nodeStates
}

/// An envelope of `version` carrying the body `build` writes.
func envelope(version: UInt32 = wireProtocolVersion, _ body: EnvelopeBody,
              _ build: (inout ProtobufWriter) -> Void) -> [UInt8] {
    ProtobufWriter {
        $0.varint(1, UInt64(version))
        $0.message(body.rawValue, build)
    }.bytes
}
