@testable import FedSimCore
import Foundation
import XCTest

/// Safetensors files: the format byte for byte, every damaged file refused with its
/// reason, and models stored under PyTorch's names and layouts.
final class SafeTensorsTests: XCTestCase {
    /// The bytes of a file whose header is `header` (unpadded) and whose data is `data`.
    private func file(header: String, data: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + Array(header.utf8) + data
    }

    private func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
    }

    private func problem(decoding bytes: [UInt8]) -> SafeTensorsError.Problem? {
        do {
            _ = try SafeTensorsFile(decoding: bytes, file: "m.safetensors")
            return nil
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.file, "m.safetensors")
            XCTAssertTrue(error.description.hasPrefix("m.safetensors: "), error.description)
            return error.problem
        } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func testAHandBuiltFileHasTheFormatsBytes() {
        let contents = SafeTensorsFile(tensors: [
            NamedTensor(name: "a", shape: [2], values: [1, -2]),
            NamedTensor(name: "b", shape: [1, 1], values: [0.5]),
        ], metadata: ["k": "v"])
        let bytes = contents.encoded()
        let json = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}"#
        XCTAssertEqual(json.utf8.count, 135)
        let padded = 136
        XCTAssertEqual(Array(bytes[0..<8]), [UInt8(padded), 0, 0, 0, 0, 0, 0, 0], "N, little-endian")
        XCTAssertEqual(String(decoding: bytes[8..<(8 + padded)], as: UTF8.self), json + " ",
                       "spaces pad the header to a multiple of 8")
        XCTAssertEqual(Array(bytes[(8 + padded)...]), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3F],
                       "1, -2 and 0.5 as little-endian float32, in the order of the tensors")
        XCTAssertEqual(try SafeTensorsFile(decoding: bytes, file: "f"), contents)

        // Another writer's file: tensors listed out of data order, whitespace, no padding.
        let other = file(header: #" { "y" : {"data_offsets":[4, 8], "shape":[], "dtype":"F32"}, "x": {"dtype":"F32","# +
                         #""shape":[1],"data_offsets":[0,4]}} "#, data: floatBytes([3, -0.25]))
        XCTAssertEqual(try SafeTensorsFile(decoding: other, file: "f"), SafeTensorsFile(tensors: [
            NamedTensor(name: "x", shape: [1], values: [3]), NamedTensor(name: "y", shape: [], values: [-0.25]),
        ]))
    }

    func testAWrittenFileReadsBackBitForBit() throws {
        let special: [Float] = [.nan, -.nan, Float(bitPattern: 0x7FC0_1234), -0.0, .infinity, -.infinity,
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.0 / 3.0]
        let contents = SafeTensorsFile(tensors: [
            NamedTensor(name: "layers.0.weight", shape: [3, 3], values: special),
            NamedTensor(name: "empty", shape: [0, 4], values: []),
            NamedTensor(name: "scalar \"quoted\" é", shape: [], values: [42]),
        ], metadata: ["fedsim.model_spec": #"{"a": "b\n"}"#, "other": ""])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try contents.write(to: path)
        let read = try SafeTensorsFile(contentsOf: path)
        XCTAssertEqual(read.tensors.map(\.name), contents.tensors.map(\.name))
        XCTAssertEqual(read.tensors.map(\.shape), contents.tensors.map(\.shape))
        XCTAssertEqual(read.tensors.map { $0.values.map(\.bitPattern) }, contents.tensors.map { $0.values.map(\.bitPattern) })
        XCTAssertEqual(read.metadata, contents.metadata)
        XCTAssertEqual((try Data(contentsOf: URL(fileURLWithPath: path)).count - 8) % 8, 0)
    }

    func testEveryDamagedFileIsRefusedWithItsReason() {
        let entry = #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
        let eight = floatBytes([1, 2])
        var beyond = file(header: "{}")
        beyond[0] = 200
        let cases: [(String, [UInt8], SafeTensorsError.Problem, String)] = [
            ("short", [1, 0, 0], .tooShort(bytes: 3), "3 bytes long"),
            ("header beyond", beyond, .headerBeyondFile(headerLength: 200, fileBytes: 10), "runs past the end of the file"),
            ("not JSON", file(header: "{\"w\": "), .headerNotJSON(reason: "unexpected end of text at byte 6"), "not JSON"),
            ("not an object", file(header: "[1]"), .headerNotObject, "not a JSON object"),
            ("metadata", file(header: #"{"__metadata__":{"k":1}}"#), .badMetadata(reason: "'k' is not a string"), "strings"),
            ("duplicate", file(header: "{\(entry),\(entry)}", data: eight), .duplicateName("w"), "'w' appears twice"),
            ("missing field", file(header: #"{"w":{"dtype":"F32","shape":[2]}}"#, data: eight),
             .badEntry("w", "has no 'data_offsets'"), "tensor 'w': its entry has no 'data_offsets'"),
            ("bad shape", file(header: #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight),
             .badEntry("w", "'shape' is not a list of non-negative integers"), "non-negative"),
            ("dtype", file(header: #"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eight),
             .unsupportedDType("w", "F16"), "dtype 'F16'"),
            ("size", file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight),
             .sizeMismatch("w", shape: [3], bytes: 8), "shape [3]"),
            ("huge shape", file(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
                                data: eight),
             .sizeMismatch("w", shape: [4_611_686_018_427_387_904, 4], bytes: 8), "does not fill"),
            ("outside", file(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eight),
             .outsideData("w", begin: 0, end: 16, dataBytes: 8), "run past the 8 bytes of data"),
            ("overlap", file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
                             + #""v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
             .overlap("v", "w"), "'v' overlaps tensor 'w'"),
            ("hole", file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight),
             .hole(from: 0, to: 4), "bytes 0..<4"),
            ("trailing data", file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight),
             .hole(from: 4, to: 8), "bytes 4..<8 of the data belong to no tensor"),
            ("deep", file(header: String(repeating: "[", count: 100_000)),
             .headerNotJSON(reason: "nested deeper than 64 levels at byte 64"), "nested deeper"),
            ("bad UTF-8", file(header: "{\"\u{7F}\"}").enumerated().map { $0.offset == 10 ? 0xFF : $0.element },
             .headerNotJSON(reason: "string is not valid UTF-8 at byte 4"), "UTF-8"),
        ]
        for (label, bytes, expected, message) in cases {
            let found = problem(decoding: bytes)
            XCTAssertEqual(found, expected, label)
            XCTAssertTrue(found?.description.contains(message) == true, "\(label): \(String(describing: found))")
        }
    }

    /// Two hidden layers, the first frozen, with distinct values everywhere.
    private func frozenMLP() throws -> (model: Sequential, trainable: [Float]) {
        let spec = ModelSpec(inputDim: 3, layers: [
            .dense(Dense(inputs: 3, outputs: 2, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 2)),
            .dense(Dense(inputs: 2, outputs: 4, initialization: .heNormal)),
        ])
        let model = try Sequential(spec, frozenParameters: (0..<8).map { Float($0) + 0.5 })
        return (model, (0..<12).map { -Float($0) })
    }

    func testAModelsTensorsFollowPyTorchsNamesAndLayout() throws {
        let (model, trainable) = try frozenMLP()
        let tensors = model.tensors(trainableParameters: trainable)
        XCTAssertEqual(tensors.map(\.name), ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        XCTAssertEqual(tensors.map(\.shape), [[2, 3], [2], [4, 2], [4]])
        XCTAssertEqual(model.tensorShapes.map(\.shape), tensors.map(\.shape))
        // Frozen W (3 x 2) = [[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]]; the file holds W^T.
        XCTAssertEqual(tensors[0].values, [0.5, 2.5, 4.5, 1.5, 3.5, 5.5])
        XCTAssertEqual(tensors[1].values, [6.5, 7.5])
        XCTAssertEqual(tensors[2].values, [0, -4, -1, -5, -2, -6, -3, -7])
        XCTAssertEqual(tensors[3].values, [-8, -9, -10, -11])

        let filled = try Sequential.filled(model.spec, from: tensors.reversed())
        XCTAssertEqual(filled.model.frozenParameters, model.frozenParameters)
        XCTAssertEqual(filled.trainableParameters, trainable)

        var wrong = tensors
        wrong[2].shape = [2, 4]
        XCTAssertThrowsError(try Sequential.filled(model.spec, from: wrong)) {
            XCTAssertEqual($0 as? ModelTensorsError, .shape(name: "layers.2.weight", found: [2, 4], expected: [4, 2]))
        }
        XCTAssertThrowsError(try Sequential.filled(model.spec, from: Array(tensors.dropLast()))) {
            XCTAssertEqual($0 as? ModelTensorsError, .missing(name: "layers.2.bias"))
        }
        XCTAssertThrowsError(try Sequential.filled(model.spec, from: tensors + [NamedTensor(name: "x", shape: [], values: [1])])) {
            XCTAssertEqual($0 as? ModelTensorsError, .unexpected(name: "x"))
        }
        XCTAssertThrowsError(try Sequential.filled(model.spec, from: tensors + [tensors[1]])) {
            XCTAssertEqual($0 as? ModelTensorsError, .duplicate(name: "layers.0.bias"))
        }
    }

    func testALoRAModelsTensorsAreItsBaseAndPEFTsAdapters() throws {
        // Dense(3 -> 4) with a rank-2 adapter whose A is frozen, then one whose A trains.
        let spec = ModelSpec(inputDim: 3, layers: [
            .loraDense(LoRADense(inputs: 3, outputs: 4, rank: 2, alpha: 4, baseInitialization: .heNormal, trainsFactorA: false)),
            .loraDense(LoRADense(inputs: 4, outputs: 2, rank: 1, alpha: 0.5, baseInitialization: .zeros, trainsFactorA: true)),
        ])
        let (model, start) = try Sequential.initialized(spec, seed: 3)
        let trainable = start.indices.map { Float($0) + 0.25 }
        let tensors = model.tensors(trainableParameters: trainable)
        XCTAssertEqual(tensors.map(\.name), ["layers.0.weight", "layers.0.bias", "layers.0.lora_A", "layers.0.lora_B",
                                             "layers.1.weight", "layers.1.bias", "layers.1.lora_A", "layers.1.lora_B"])
        XCTAssertEqual(tensors.map(\.shape), [[4, 3], [4], [2, 3], [4, 2], [2, 4], [2], [1, 4], [2, 1]])
        // A and B as they are stored: layer 0's A is its frozen slice after W0 and b, its B
        // the trainable vector's first 8 values; layer 1 trains A (4 values) then B (2).
        XCTAssertEqual(tensors[2].values, Array(model.frozenParameters[16..<22]))
        XCTAssertEqual(tensors[3].values, Array(trainable[0..<8]))
        XCTAssertEqual(tensors[6].values, Array(trainable[8..<12]))
        XCTAssertEqual(tensors[7].values, Array(trainable[12..<14]))
        let filled = try Sequential.filled(spec, from: tensors.shuffled())
        XCTAssertEqual(filled.model.frozenParameters, model.frozenParameters)
        XCTAssertEqual(filled.trainableParameters, trainable)
        XCTAssertEqual(try ModelSpec(jsonDescription: spec.jsonDescription), spec)
    }

    func testAdaptersGoOntoAPlainModelsValues() throws {
        let (plain, plainValues) = try frozenMLP()
        let adapted = ModelSpec(inputDim: 3, layers: [
            .loraDense(LoRADense(inputs: 3, outputs: 2, rank: 1, alpha: 1, baseInitialization: .heNormal, trainsFactorA: false)),
            .relu(ReLU(width: 2)),
            .dense(Dense(inputs: 2, outputs: 4, initialization: .heNormal)),
        ])
        let base = plain.tensors(trainableParameters: plainValues)
        let (model, trainable) = try Sequential.initialized(adapted, seed: 8, overwritingWith: base)
        let tensors = Dictionary(uniqueKeysWithValues: model.tensors(trainableParameters: trainable).map { ($0.name, $0) })
        for tensor in base { XCTAssertEqual(tensors[tensor.name], tensor, tensor.name) }
        let seeded = try Sequential.initialized(adapted, seed: 8)
        let seededTensors = seeded.model.tensors(trainableParameters: seeded.trainableParameters)
        XCTAssertEqual(tensors["layers.0.lora_A"], seededTensors[2], "the adapter starts from the seed")
        XCTAssertEqual(tensors["layers.0.lora_B"]?.values, [0, 0])
        XCTAssertThrowsError(try Sequential.initialized(adapted, seed: 8, overwritingWith: base + [base[0]])) {
            XCTAssertEqual($0 as? ModelTensorsError, .duplicate(name: "layers.0.weight"))
        }
        var reshaped = base
        reshaped[3].shape = [2, 2]
        XCTAssertThrowsError(try Sequential.initialized(adapted, seed: 8, overwritingWith: reshaped)) {
            XCTAssertEqual($0 as? ModelTensorsError, .shape(name: "layers.2.bias", found: [2, 2], expected: [4]))
        }
    }

    func testASpecDescriptionReadsBackAndNamesWhatIsWrong() throws {
        let spec = try frozenMLP().model.spec
        XCTAssertEqual(spec.jsonDescription,
                       #"{"input_dim":3,"layers":[{"kind":"dense","inputs":3,"outputs":2,"initialization":"he_normal","#
                       + #""trainable":false},{"kind":"relu","width":2},{"kind":"dense","inputs":2,"outputs":4,"#
                       + #""initialization":"he_normal","trainable":true}]}"#)
        XCTAssertEqual(try ModelSpec(jsonDescription: spec.jsonDescription), spec)
        let broken = [
            (#"{"input_dim":3,"layers":[{"kind":"conv"}]}"#, ModelError.invalidDescription(field: "layers[0].kind", reason: "unknown layer kind 'conv'")),
            (#"{"input_dim":3,"layers":[{"kind":"relu","width":"2"}]}"#, .invalidDescription(field: "layers[0].relu.width", reason: "must be an integer")),
            (#"{"input_dim":3,"layers":[{"kind":"relu","width":2}]}"#, .invalidSpec(field: "layers[0].relu.width", reason: "is 2, but inputDim is 3")),
            ("[]", .invalidDescription(field: "", reason: "not a JSON object")),
        ]
        for (text, error) in broken {
            XCTAssertThrowsError(try ModelSpec(jsonDescription: text)) { XCTAssertEqual($0 as? ModelError, error, text) }
        }
        let other = ModelSpec.multilayerPerceptron(inputDim: 3, hidden: [5], classes: 4)
        XCTAssertEqual(spec.architectureDifferences(from: other),
                       ["layers[0]: dense(inputs 3, outputs 2), expected dense(inputs 3, outputs 5)",
                        "layers[1]: relu(width 2), expected relu(width 5)",
                        "layers[2]: dense(inputs 2, outputs 4), expected dense(inputs 5, outputs 4)"])
        XCTAssertEqual(spec.architectureDifferences(from: .softmaxRegression(inputDim: 2, classes: 4)),
                       ["input width 3, expected 2", "3 layers, expected 1",
                        "layers[0]: dense(inputs 3, outputs 2), expected dense(inputs 2, outputs 4)"])
        XCTAssertEqual(spec.architectureDifferences(from: .multilayerPerceptron(inputDim: 3, hidden: [2], classes: 4)), [],
                       "how layers start and whether they train are not the architecture")
    }

    func testAModelFileKeepsTheModelAndRefusesAnother() throws {
        let (model, trainable) = try frozenMLP()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.write(model, trainableParameters: trainable, to: path)

        let read = try ModelFile(path: path)
        XCTAssertEqual(read.model.spec, model.spec)
        XCTAssertEqual(read.model.frozenParameters, model.frozenParameters)
        XCTAssertEqual(read.trainableParameters, trainable)

        // The scenario decides which layers train: here all of them, so the frozen values move to the trainable vector.
        let allTrainable = ModelSpec.multilayerPerceptron(inputDim: 3, hidden: [2], classes: 4)
        let moved = try read.values(for: allTrainable)
        XCTAssertEqual(moved.model.frozenParameters, [])
        XCTAssertEqual(moved.trainableParameters, model.frozenParameters + trainable)

        XCTAssertThrowsError(try read.values(for: .multilayerPerceptron(inputDim: 3, hidden: [5], classes: 4))) {
            let error = $0 as? SafeTensorsError
            XCTAssertEqual(error?.file, path)
            XCTAssertTrue("\($0)".contains("the file holds another model: layers[0]: dense(inputs 3, outputs 2), expected "
                                           + "dense(inputs 3, outputs 5)"), "\($0)")
        }
    }

    func testAModelFileNeedsItsSpecAndExactlyItsTensors() throws {
        let (model, trainable) = try frozenMLP()
        let tensors = model.tensors(trainableParameters: trainable)
        let spec = [ModelFile.specKey: model.spec.jsonDescription]
        let cases: [(SafeTensorsFile, SafeTensorsError.Problem, String)] = [
            (SafeTensorsFile(tensors: tensors), .missingSpec, "no 'fedsim.model_spec'"),
            (SafeTensorsFile(tensors: tensors, metadata: [ModelFile.specKey: "{}"]),
             .badSpec(.invalidDescription(field: "layers", reason: "must be a list of layers")), "must be a list of layers"),
            (SafeTensorsFile(tensors: Array(tensors.dropFirst()), metadata: spec),
             .tensors(.missing(name: "layers.0.weight")), "tensor 'layers.0.weight' is missing"),
            (SafeTensorsFile(tensors: tensors + [NamedTensor(name: "layers.1.weight", shape: [1], values: [0])], metadata: spec),
             .tensors(.unexpected(name: "layers.1.weight")), "not a tensor of the model"),
            (SafeTensorsFile(tensors: [NamedTensor(name: "layers.0.weight", shape: [3, 2], values: tensors[0].values)]
                                + tensors.dropFirst(), metadata: spec),
             .tensors(.shape(name: "layers.0.weight", found: [3, 2], expected: [2, 3])), "has shape [3, 2], the model's has shape [2, 3]"),
            // A spec of 2^48 frozen values over two small tensors: refused before any vector is made.
            (SafeTensorsFile(tensors: [NamedTensor(name: "layers.0.weight", shape: [1], values: [1]),
                                       NamedTensor(name: "layers.0.bias", shape: [1], values: [1])],
                             metadata: [ModelFile.specKey: #"{"input_dim":16777216,"layers":[{"kind":"dense","inputs":16777216,"#
                                 + #""outputs":16777216,"initialization":"zeros","trainable":false}]}"#]),
             .tensors(.shape(name: "layers.0.weight", found: [1], expected: [16_777_216, 16_777_216])), "has shape [1]"),
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (contents, expected, message) in cases {
            try contents.write(to: path)
            XCTAssertThrowsError(try ModelFile(path: path)) {
                XCTAssertEqual($0 as? SafeTensorsError, SafeTensorsError(file: path, problem: expected))
                XCTAssertTrue("\($0)".hasPrefix(path + ": ") && "\($0)".contains(message), "\($0)")
            }
        }
        XCTAssertThrowsError(try ModelFile(path: path + ".absent")) {
            XCTAssertEqual($0 as? SafeTensorsError, SafeTensorsError(file: path + ".absent", problem: .unreadable))
        }
    }
}
