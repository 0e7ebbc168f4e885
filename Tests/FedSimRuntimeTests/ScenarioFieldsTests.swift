@testable import FedSimRuntime
import Foundation
import XCTest

/// `ScenarioFields.all` is what the loader reads: every shipped scenario and the variants
/// below, loaded with a `FieldRecorder`, must give exactly the committed list. With
/// FEDSIM_WRITE_FIELDS=1 the test writes the list (and docs/scenario-fields.md) instead.
final class ScenarioFieldsTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let generatedSource = "Sources/FedSimRuntime/Scenario/ScenarioFields+All.swift"
    static let page = "docs/scenario-fields.md"

    /// Shipped scenarios with `--set`s that take the loader's other branches: each
    /// algorithm, data source, model, system profile, attack and privacy mode.
    static let variants: [(scenario: String, overrides: [String])] = [
        // Fields left out, so that their defaults are read.
        ("quickstart.yaml", ["name=null", "seed=null", "partition.scheme=null", "training.batch_size=null",
                             "training.local_epochs=null", "server.algorithm=null", "evaluation.every=null"]),
        ("lora/fedsvd.yaml", ["model.lora.alpha=null", "model.lora.layers=null"]),
        ("decentralized/dsgd.yaml", ["decentralized.evaluation_interval=null"]),
        ("quickstart.yaml", ["server.algorithm=fedbuff", "server.buffer_size=5", "server.concurrency=10",
                             "server.async_weighting=weight"]),
        ("quickstart.yaml", ["server.algorithm=fedasync", "server.staleness={kind: hinge}"]),
        ("quickstart.yaml", ["server.algorithm=fedasync", "server.staleness={kind: polynomial}"]),
        ("quickstart.yaml", ["server.algorithm=fedfix", "server.period=2"]),
        ("quickstart.yaml", ["server.selection=power_of_choice", "server.deadline=5", "server.time_budget=100"]),
        ("quickstart.yaml", ["server.selection=curriculum"]),
        ("decentralized/sa-srrw.yaml", ["decentralized.token={}"]),
        ("quickstart.yaml", ["system={compute: {profile: linear, heterogeneity: 2}, link: {latency: 0.1, "
                             + "download_bandwidth: 1e6, upload_bandwidth: 1e6}, availability: {profile: probability, "
                             + "p: 0.5, period: 10}}"]),
        ("quickstart.yaml", ["system={compute: {profile: exponential, redraw: per_job}, availability: {profile: on_off, "
                             + "mean_online: 5, mean_offline: 5}}"]),
        ("quickstart.yaml", ["system={compute: {profile: lognormal, redraw: per_job}, availability: {profile: trace, "
                             + "path: trace.txt}}"]),
        ("quickstart.yaml", ["system={compute: {profile: trace, path: trace.txt}}"]),
        ("quickstart.yaml", ["privacy={clip: 1, noise_multiplier: 1, sampling_rate: 0.1}"]),
        ("quickstart.yaml", ["privacy={mode: client, clip: 1, target_epsilon: 8}"]),
        ("quickstart.yaml", ["attack={kind: gaussian, count: 2}", "aggregator={rule: krum, f: 1, pre: [nnm]}"]),
        ("quickstart.yaml", ["attack={kind: mimic, fraction: 0.1}"]),
        ("quickstart.yaml", ["attack={kind: ipm, clients: [1, 2], tau: 0.5}"]),
        ("quickstart.yaml", ["data.client_column=0", "data.transform={kind: permute}"]),
        ("quickstart.yaml", ["data.transform={kind: rotate, degrees: 90}"]),
        ("quickstart.yaml", ["data={source: libsvm, path: data.svm}"]),
        ("quickstart.yaml", ["data={source: leaf, path: train.json, test_path: test.json}", "partition.scheme=natural"]),
        ("quickstart.yaml", ["data={source: synthetic}", "partition.scheme=null"]),
        ("quickstart.yaml", ["data={source: synthetic_iid}", "partition.scheme=natural"]),
        ("quickstart.yaml", ["data={source: synthetic_regression}", "partition.scheme=natural", "model.kind=least_squares"]),
        ("quickstart.yaml", ["model={kind: layers, image: [1, 8, 8], layers: [{conv: {filters: 4, kernel: 3, stride: 1, "
                             + "padding: 1}}, relu, {conv: {filters: 4, kernel: 3}}, {maxpool: 2}, flatten, {dense: 10}]}"]),
        ("quickstart.yaml", ["model={kind: mlp, hidden: [32]}", "training.local_steps=5",
                             "training.local_epochs=null"]),
        ("quickstart.yaml", ["training.expert_model=expert.safetensors", "training.ordering=curriculum",
                             "training.pacing={over: rounds}"]),
        ("decentralized/dsgd.yaml", ["decentralized.topology={kind: torus, rows: 8, columns: 8}",
                                     "decentralized.variant=gradient_tracking", "decentralized.step_size=0.1"]),
        ("decentralized/dsgd.yaml", ["decentralized.topology={kind: erdos_renyi, nodes: 64, p: 0.5, seed: 1}",
                                     "decentralized.aggregator={rule: trimmed_mean, f: 1}"]),
        ("decentralized/dsgd.yaml", ["decentralized.topology=ring.txt"]),
    ]

    /// Every field the loader reads in the shipped scenarios and `variants`.
    static func recordedFields() throws -> [ScenarioField] {
        let recorder = FieldRecorder()
        let scenarios = repository.appendingPathComponent("scenarios")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: scenarios.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") }.sorted()
        for file in files { recorder.load(path: scenarios.appendingPathComponent(file).path) }
        for variant in variants {
            recorder.load(path: scenarios.appendingPathComponent(variant.scenario).path, overrides: variant.overrides)
        }
        return recorder.fields
    }

    func testTheCommittedFieldListIsWhatTheLoaderReads() throws {
        let fields = try Self.recordedFields()
        let source = Self.swiftSource(fields)
        let url = Self.repository.appendingPathComponent(Self.generatedSource)
        let pageURL = Self.repository.appendingPathComponent(Self.page)
        if ProcessInfo.processInfo.environment["FEDSIM_WRITE_FIELDS"] == "1" {
            try source.write(to: url, atomically: true, encoding: .utf8)
            try ScenarioFields.markdown(fields).write(to: pageURL, atomically: true, encoding: .utf8)
            return
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), source,
                       "the loader reads other fields than \(Self.generatedSource) lists; rewrite it with "
                       + "FEDSIM_WRITE_FIELDS=1 swift test --filter ScenarioFieldsTests")
        XCTAssertEqual(ScenarioFields.all, fields)
        XCTAssertEqual(try String(contentsOf: pageURL, encoding: .utf8), ScenarioFields.markdown(),
                       "\(Self.page) is not `fedsim fields --markdown`; rewrite it with "
                       + "FEDSIM_WRITE_FIELDS=1 swift test --filter ScenarioFieldsTests")
    }

    func testEveryFieldHasAMeaningAndEveryMeaningAField() {
        let paths = ScenarioFields.all.map(\.path)
        XCTAssertEqual(paths.filter { (ScenarioFields.meanings[$0] ?? "").isEmpty }, [], "fields without a meaning")
        XCTAssertEqual(Set(ScenarioFields.meanings.keys).subtracting(paths).sorted(), [], "meanings of no field")
    }

    func testTypesAndDefaultsReadAsTheLoaderReadsThem() throws {
        let deadline = try XCTUnwrap(ScenarioFields.field(at: "server.deadline"))
        XCTAssertEqual(deadline.typeDescription, "number > 0")
        XCTAssertEqual(deadline.presenceDescription, "unset")
        let scheme = try XCTUnwrap(ScenarioFields.field(at: "partition.scheme"))
        XCTAssertEqual(scheme.kinds, [.choice(["iid", "dirichlet", "shards", "natural"])])
        XCTAssertEqual(scheme.presence, .defaults(["iid", "natural"]))
        XCTAssertEqual(ScenarioFields.field(at: "partition.clients")?.presence, .required)
        XCTAssertEqual(ScenarioFields.field(at: "test_fraction"), nil)
        XCTAssertEqual(ScenarioFields.field(at: "data.test_fraction")?.typeDescription, "number in (0, 1]")
        XCTAssertEqual(ScenarioFields.field(at: "model.layers[].conv.stride")?.presence, .defaults(["1"]))
        XCTAssertEqual(ScenarioFields.field(at: "decentralized.topology")?.kinds, [.section, .string])
        XCTAssertEqual(ScenarioFields.names(inside: "system"), ["availability", "compute", "link"])
        XCTAssertEqual(ScenarioFields.fields(under: "system.link").map(\.name),
                       ["link", "bandwidth_sigma", "download_bandwidth", "latency", "upload_bandwidth"])
    }

    // MARK: - Hints in the loader's errors

    private func messages(_ overrides: [String]) -> [String] {
        let path = Self.repository.appendingPathComponent("scenarios/quickstart.yaml").path
        do {
            _ = try ScenarioLoader.load(path: path, overrides: overrides)
            XCTFail("expected \(overrides) to be refused")
            return []
        } catch let error as ScenarioError {
            return error.issues.map { "\($0.field): \($0.message)" }
        } catch {
            XCTFail("\(error)")
            return []
        }
    }

    /// A misspelled field gets the closest field the section may hold, whichever setting
    /// reads it, and the list of them.
    func testAMisspelledFieldIsMatchedAgainstEveryFieldOfItsSection() throws {
        let message = try XCTUnwrap(messages(["server.concurency=4"]).first)
        XCTAssertTrue(message.hasPrefix("server.concurency: unknown field 'concurency'; did you mean 'concurrency'?"),
                      message)
        for field in ["deadline", "time_budget", "concurrency", "buffer_size", "period", "rounds", "optimizer"] {
            XCTAssertTrue(message.contains(field), "\(field) missing from \(message)")
        }
        XCTAssertEqual(messages(["training.batchsize=4"]).first?.contains("did you mean 'batch_size'?"), true)
    }

    /// A field the section may hold under other settings is said not to apply, not to be unknown.
    func testAFieldOfAnotherSettingIsSaidNotToApply() {
        XCTAssertEqual(messages(["data.source=synthetic", "partition.scheme=natural"]),
                       ["data.path: field 'path' does not apply with these settings (fedsim fields data.path says "
                        + "what it is for)",
                        "data.label_column: field 'label_column' does not apply with these settings (fedsim fields "
                        + "data.label_column says what it is for)"])
    }

    /// Every key the loader and the algorithms name in a read (`reader.integer("rounds", ...`)
    /// is a field of the list: a branch no scenario takes would otherwise go unlisted. Reads
    /// of computed parameters (`parameters`, a robust rule's `p`) and writes are not fields.
    func testEveryKeyTheSourcesReadIsListed() throws {
        let names = Set(ScenarioFields.all.map(\.name))
        let read = try NSRegularExpression(pattern:
            #"\b(\w+)\??\.(?:string|integer|number|choice|name|section|integerList|numberRange|optionalInteger|optionalNumber|value|has)\("([a-z0-9_]+)""#)
        var missing: [String] = []
        for folder in ["Sources/FedSimRuntime/Scenario", "Sources/FedSimAlgorithms"] {
            let root = Self.repository.appendingPathComponent(folder)
            for file in try XCTUnwrap(FileManager.default.enumerator(atPath: root.path)).compactMap({ $0 as? String })
            where file.hasSuffix(".swift") {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                for match in read.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let receiver = String(text[Range(match.range(at: 1), in: text)!])
                    let key = String(text[Range(match.range(at: 2), in: text)!])
                    if !["parameters", "p", "writer"].contains(receiver), !names.contains(key) { missing.append("\(file): \(key)") }
                }
            }
        }
        XCTAssertEqual(missing, [], "read in the sources but taken by no scenario of ScenarioFieldsTests: add a variant")
    }

    // MARK: - Writing the list as Swift

    static func swiftSource(_ fields: [ScenarioField]) -> String {
        """
        // Written by `FEDSIM_WRITE_FIELDS=1 swift test --filter ScenarioFieldsTests` from what
        // ScenarioLoader reads in scenarios/ and the test's variants of them; do not edit.
        // ScenarioFieldsTests fails when the loader reads differently from this list.

        extension ScenarioFields {
            /// Every field a scenario file may hold, as the loader reads it.
            public static let all: [ScenarioField] = [
        \(fields.map { "        " + literal($0) + "," }.joined(separator: "\n"))
            ]
        }

        """
    }

    private static func literal(_ field: ScenarioField) -> String {
        let presence: String
        switch field.presence {
        case .required: presence = ".required"
        case .optional: presence = ".optional"
        case let .defaults(values): presence = ".defaults([\(values.map(quoted).joined(separator: ", "))])"
        }
        return ".init(\(quoted(field.path)), [\(field.kinds.map(literal).joined(separator: ", "))], \(presence))"
    }

    private static func literal(_ kind: ScenarioField.Kind) -> String {
        switch kind {
        case .section: return ".section"
        case .string: return ".string"
        case .value: return ".value"
        case let .integer(range): return ".integer(\(literal(range)))"
        case let .integerList(range): return ".integerList(\(literal(range)))"
        case let .number(range, excluding): return ".number(\(literal(range)), excludingLowerBound: \(excluding))"
        case let .numberPair(range): return ".numberPair(\(literal(range)))"
        case let .openNumber(range): return ".openNumber(\(literal(range)))"
        case let .choice(names): return ".choice([\(names.map(quoted).joined(separator: ", "))])"
        }
    }

    private static func literal(_ range: ClosedRange<Int>) -> String {
        "\(range.lowerBound)...\(range.upperBound == .max ? "Int.max" : "\(range.upperBound)")"
    }

    private static func literal(_ range: ClosedRange<Double>) -> String {
        func number(_ value: Double) -> String { value == .infinity ? ".infinity" : "\(value)" }
        return "\(number(range.lowerBound))...\(number(range.upperBound))"
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
