import FedSimWire

/// libFuzzer entry point for the wire decoder. Any bytes must either decode or throw a
/// `WireError`; never trap, leak or read out of bounds. A message that decodes must
/// re-encode to bytes that decode to the same encoding (compared as bytes, so NaN
/// payloads compare equal).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let message = try? WireCodec.decode(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    let encoded = WireCodec.encode(message)
    guard let again = try? WireCodec.decode(encoded) else {
        fatalError("a decoded \(message.kind) does not decode after re-encoding")
    }
    precondition(WireCodec.encode(again) == encoded, "a decoded \(message.kind) changes when re-encoded")
    return 0
}
