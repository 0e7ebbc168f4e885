// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "fedsim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fedsim", targets: ["fedsim"]),
        .library(name: "FedSimCore", targets: ["FedSimCore"]),
        .library(name: "FedSimAlgorithms", targets: ["FedSimAlgorithms"]),
        .library(name: "FedSimWire", targets: ["FedSimWire"]),
        .library(name: "FedSimRuntime", targets: ["FedSimRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries, each wrapped once by the Swift module above it.
        // libzmq's pkg-config file adds include flags SwiftPM refuses; its header and
        // library are on the default search paths.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CProtobufC", pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // prctl(PR_SET_PDEATHSIG) behind an inline function, for workers that die with `fedsim run`.
        .systemLibrary(name: "CProcessControl"),
        // protoc-c output for Protos/*.proto (regenerate with scripts/generate-protos).
        .target(name: "FedSimProto", dependencies: ["CProtobufC"]),

        .target(name: "FedSimCore", dependencies: ["COpenBLAS", "CZlib"]),
        .target(name: "FedSimAlgorithms", dependencies: ["FedSimCore"]),
        .target(name: "FedSimWire", dependencies: ["FedSimCore", "CZeroMQ", "FedSimProto", "CProtobufC"]),
        .target(
            name: "FedSimRuntime",
            dependencies: [
                "FedSimCore", "FedSimAlgorithms", "FedSimWire", "CProcessControl",
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "fedsim",
            dependencies: [
                "FedSimRuntime", "FedSimAlgorithms",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "FedSimCoreTests", dependencies: ["FedSimCore"]),
        .testTarget(name: "FedSimAlgorithmsTests", dependencies: ["FedSimAlgorithms"]),
        .testTarget(name: "FedSimWireTests", dependencies: ["FedSimWire"]),
        .testTarget(name: "FedSimRuntimeTests", dependencies: ["FedSimRuntime"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["FedSimRuntime", "FedSimWire", .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets (Fuzz/Targets), in the package only for scripts/fuzz, which sets
// FEDSIM_FUZZ and builds with `--sanitize fuzzer`: libFuzzer supplies their `main`.
if Context.environment["FEDSIM_FUZZ"] != nil {
    let fuzzers: [(name: String, module: Target.Dependency)] = [
        ("WireDecoder", "FedSimWire"), ("ScenarioLoader", "FedSimRuntime"),
        ("CSVLoader", "FedSimCore"), ("LIBSVMLoader", "FedSimCore"), ("IDXLoader", "FedSimCore"),
    ]
    for fuzzer in fuzzers {
        package.targets.append(.executableTarget(
            name: "Fuzz\(fuzzer.name)", dependencies: [fuzzer.module], path: "Fuzz/Targets/\(fuzzer.name)"))
        package.products.append(.executable(name: "Fuzz\(fuzzer.name)", targets: ["Fuzz\(fuzzer.name)"]))
    }
}
