import FedSimWire

/// libFuzzer entry point for the wire decoder. Any bytes must either decode or throw a
/// `WireError`; never trap, leak or read out of bounds. The decoder's fast path for
/// Updates and Models must agree with protobuf-c alone, and a message that decodes must
/// re-encode to bytes that decode to the same encoding (messages are compared as their
/// encodings, so NaN payloads compare equal).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let decoded = try? WireCodec.decode(bytes)
    let reference = try? WireCodec.decode(bytes, tensorFastPath: false)
    precondition(decoded.map { WireCodec.encode($0) } == reference.map { WireCodec.encode($0) },
                 "the fast path and protobuf-c disagree on a \(reference?.kind ?? decoded?.kind ?? "")")
    guard let message = decoded else { return 0 }
    let encoded = WireCodec.encode(message)
    guard let again = try? WireCodec.decode(encoded) else {
        fatalError("a decoded \(message.kind) does not decode after re-encoding")
    }
    precondition(WireCodec.encode(again) == encoded, "a decoded \(message.kind) changes when re-encoded")
    return 0
}
