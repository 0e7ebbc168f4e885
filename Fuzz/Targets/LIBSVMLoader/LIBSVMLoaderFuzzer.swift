import FedSimCore

/// libFuzzer entry point for the LIBSVM loader. The first byte picks the options (a
/// fixed feature count, class ids or real targets); the rest is the file. Every input
/// must load or throw a `DataError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLIBSVMLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let options = data[0]
    let featureCounts: [Int?] = [nil, 1, 8, 300]
    let realTargets = options & 0x04 != 0
    _ = try? LIBSVMLoader.parse(
        Array(UnsafeBufferPointer(start: data + 1, count: size - 1)), name: "fuzz.libsvm",
        featureCount: featureCounts[Int(options) & 3],
        labelValues: !realTargets && options & 0x08 != 0 ? [-1, 1] : nil, realTargets: realTargets)
    return 0
}
