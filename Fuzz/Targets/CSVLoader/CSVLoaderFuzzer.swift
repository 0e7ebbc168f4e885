import FedSimCore

/// libFuzzer entry point for the CSV loader. The first byte picks the options (header
/// mode, label column, separator, class ids or real targets); the rest is the file.
/// Every input must load or throw a `DataError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let options = data[0]
    let headers: [CSVHeader] = [.detect, .present, .absent, .detect]
    let separators: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: " ")]
    let labelColumns = [-1, 0, 1, 5]
    let realTargets = options & 0x40 != 0
    _ = try? CSVLoader.parse(
        Array(UnsafeBufferPointer(start: data + 1, count: size - 1)), name: "fuzz.csv",
        labelColumn: labelColumns[Int(options >> 2) & 3], header: headers[Int(options) & 3],
        separator: separators[Int(options >> 4) & 3],
        labelValues: !realTargets && options & 0x80 != 0 ? [0, 1, 2] : nil, realTargets: realTargets)
    return 0
}
