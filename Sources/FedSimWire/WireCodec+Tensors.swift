import FedSimCore

/// Decoding of the two messages that carry a whole model, `Update` and `Model`, read
/// straight from the envelope's bytes: each tensor's floats are copied once, from the
/// received buffer into the Swift array, where protobuf-c would copy them twice (into
/// its own allocation, then out of it).
///
/// Only the canonical encoding `WireCodec.encode` writes is read here: fields in
/// increasing order, each at most once, repeated fields packed, no unknown fields, no
/// varint wider than its field. Anything else, valid or not, gives nil, and `decode`
/// reads the message with protobuf-c, which also names what is wrong; so the two
/// decoders agree on every input (the wire fuzzer checks it).
extension WireCodec {
    static func decodeTensorMessage(_ bytes: UnsafeRawBufferPointer) -> Message? {
        #if _endian(little)
        var envelope = CanonicalReader(bytes)
        guard case (1, .varint(UInt64(wireProtocolVersion)))? = envelope.next(),
              let (field, body) = envelope.next(), case let .bytes(body) = body, envelope.isAtEnd
        else { return nil }
        switch field {
        case 4: return model(body).map(Message.model)
        case 6: return update(body).map(Message.update)
        default: return nil
        }
        #else
        return nil
        #endif
    }

    private static func update(_ bytes: UnsafeRawBufferPointer) -> ClientUpdate? {
        var update = ClientUpdate(clientID: 0, modelVersion: 0, jobNumber: 0, delta: [], sampleCount: 0, trainLoss: 0,
                                  steps: 0, wallComputeSeconds: 0)
        var reader = CanonicalReader(bytes)
        var hasDelta = false
        while let (field, value) = reader.next() {
            switch (field, value) {
            case let (1, .varint(value)): guard let id = UInt32(exactly: value) else { return nil }; update.clientID = Int(id)
            case let (2, .varint(value)): update.modelVersion = value
            case let (3, .varint(value)): guard let job = UInt32(exactly: value) else { return nil }; update.jobNumber = Int(job)
            case let (4, .bytes(tensor)): guard let values = tensorValues(tensor) else { return nil }; update.delta = values; hasDelta = true
            case let (5, .varint(value)): guard let count = Int(exactly: value) else { return nil }; update.sampleCount = count
            case let (6, .fixed64(value)): update.trainLoss = Double(bitPattern: value)
            case let (7, .varint(value)): guard let steps = UInt32(exactly: value) else { return nil }; update.steps = Int(steps)
            case let (8, .fixed64(value)): update.wallComputeSeconds = Double(bitPattern: value)
            default: return nil
            }
        }
        return reader.isAtEnd && hasDelta ? update : nil
    }

    private static func model(_ bytes: UnsafeRawBufferPointer) -> ModelBroadcast? {
        var model = ModelBroadcast(version: 0, parameters: [])
        var reader = CanonicalReader(bytes)
        var hasParameters = false
        while let (field, value) = reader.next() {
            switch (field, value) {
            case let (1, .varint(value)): model.version = value
            case let (2, .bytes(tensor)): guard let values = tensorValues(tensor) else { return nil }; model.parameters = values; hasParameters = true
            case let (3, .bytes(packed)):
                guard let factors = floats(packed), factors.allSatisfy(\.isFinite) else { return nil }
                model.adapterFactors = factors
            default: return nil
            }
        }
        return reader.isAtEnd && hasParameters ? model : nil
    }

    /// A `Tensor`'s values when its shape holds exactly as many.
    private static func tensorValues(_ bytes: UnsafeRawBufferPointer) -> [Float]? {
        var reader = CanonicalReader(bytes)
        var shape: [Int] = []
        var values: [Float] = []
        while let (field, value) = reader.next() {
            switch (field, value) {
            case let (1, .bytes(packed)):
                var dimensions = CanonicalReader(packed)
                while !dimensions.isAtEnd {
                    guard let dimension = dimensions.varint().flatMap(UInt32.init(exactly:)) else { return nil }
                    shape.append(Int(dimension))
                }
            case let (2, .bytes(packed)):
                guard let floats = floats(packed) else { return nil }
                values = floats
            default:
                return nil
            }
        }
        guard reader.isAtEnd, elementCount(ofShape: shape) == values.count else { return nil }
        return values
    }

    /// Packed little-endian float32s, copied once.
    private static func floats(_ packed: UnsafeRawBufferPointer) -> [Float]? {
        guard packed.count % MemoryLayout<Float>.size == 0 else { return nil }
        return [Float](unsafeUninitializedCapacity: packed.count / MemoryLayout<Float>.size) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: packed)
            initialized = buffer.count
        }
    }
}

/// Reads protobuf fields in canonical order: `next` gives each field once, in
/// increasing field number, and nil at the end or at anything out of order, unknown
/// in kind (groups, fixed32) or cut short; `isAtEnd` tells the two apart.
private struct CanonicalReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(UnsafeRawBufferPointer)
    }

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private var lastField: UInt64 = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    /// The next field, if it comes after the last one and reads whole. When it does not,
    /// the reader stays before it, so `isAtEnd` says the bytes were not all read.
    mutating func next() -> (field: UInt64, value: Value)? {
        let start = offset
        guard let field = readField() else {
            offset = start
            return nil
        }
        return field
    }

    private mutating func readField() -> (field: UInt64, value: Value)? {
        guard !isAtEnd, let key = varint() else { return nil }
        let field = key >> 3
        guard field > lastField else { return nil }
        lastField = field
        switch key & 7 {
        case 0:
            return varint().map { (field, .varint($0)) }
        case 1:
            guard bytes.count - offset >= 8 else { return nil }
            let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            return (field, .fixed64(UInt64(littleEndian: value)))
        case 2:
            guard let length = varint(), length <= UInt64(bytes.count - offset) else { return nil }
            let start = offset
            offset += Int(length)
            return (field, .bytes(UnsafeRawBufferPointer(rebasing: bytes[start..<offset])))
        default:
            return nil
        }
    }

    /// A varint of at most 10 bytes whose value fits 64 bits.
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 70, by: 7) {
            guard offset < bytes.count else { return nil }
            let byte = UInt64(bytes[offset])
            offset += 1
            guard shift < 63 || byte <= 1 else { return nil }
            value |= (byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }
}
