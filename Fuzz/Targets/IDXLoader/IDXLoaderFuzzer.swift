import FedSimCore

/// libFuzzer entry point for the IDX loader. The first two bytes (big-endian) give the
/// length of the images file, which follows; the labels file is the rest. Either may be
/// gzip-compressed. Every input must load or throw a `DataError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDXLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 2, let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data + 2, count: size - 2)
    let imagesLength = min(Int(data[0]) << 8 | Int(data[1]), bytes.count)
    _ = try? IDXLoader.parse(images: Array(bytes[..<imagesLength]), imagesName: "fuzz-images.idx",
                             labels: Array(bytes[imagesLength...]), labelsName: "fuzz-labels.idx")
    return 0
}
