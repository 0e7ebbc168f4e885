import FedSimRuntime

/// libFuzzer entry point for the scenario loader. The input is the scenario text (read as
/// UTF-8, invalid sequences replaced); every input must load or throw a `ScenarioError`.
/// Relative paths resolve against a folder that does not exist, so no input reaches a
/// data file by accident.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScenarioLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? ScenarioLoader.parse(text, file: "fuzz.yaml", baseDirectory: "/nonexistent/fedsim-fuzz")
    return 0
}
