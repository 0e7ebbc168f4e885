import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

/// The `decentralized:` section of scenario files, and what it refuses.
final class DecentralizedScenarioLoaderTests: XCTestCase {
    private static let scenarios = ScenarioLoaderTests.scenarios

    /// A valid decentralized scenario's text, with `replacements` substituted.
    private func text(_ replacements: [String: String] = [:]) -> String {
        var yaml = """
            name: gossip
            seed: 5
            data:
              source: csv
              path: ../data/digits.csv
              label_groups: [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
            partition:
              scheme: iid
              clients: 16
            model:
              kind: logistic
              l2: 0.5
            decentralized:
              algorithm: dsgd
              topology: {kind: ring, nodes: 16}
              time_budget: 30
              step_size: 0.1

            """
        for (old, new) in replacements {
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        return yaml
    }

    private func parse(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml, file: "gossip.yaml", baseDirectory: Self.scenarios.path)
    }

    /// The problems `yaml` is refused for, as printed.
    private func problems(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try parse(yaml)
            XCTFail("expected the scenario to be refused", file: file, line: line)
            return []
        } catch let error as ScenarioError {
            return error.issues.map(\.description)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return []
        }
    }

    func testTheSectionLoadsWithItsDefaultsAndWritesBack() throws {
        let scenario = try parse(text())
        let settings = try XCTUnwrap(scenario.decentralized)
        XCTAssert(settings.algorithm.isEqual(to: DSGD(stepSize: 0.1)))
        XCTAssertEqual(settings.topology, .ring(nodes: 16))
        XCTAssertEqual(settings.timeBudget, 30)
        XCTAssertEqual(settings.evaluationInterval, 1)
        XCTAssertEqual(scenario.model, ModelSettings(kind: .logistic, l2: 0.5))
        let resolved = scenario.resolvedYAML
        XCTAssert(resolved.contains("""
            decentralized:
              algorithm: dsgd
              topology:
                kind: ring
                nodes: 16
              time_budget: 30.0
              evaluation_interval: 1.0
              variant: plain
              step_size: 0.1
              local_steps: 1
            """), resolved)
        XCTAssertFalse(resolved.contains("server:"))
        XCTAssertFalse(resolved.contains("training:"))
        XCTAssertEqual(try ScenarioLoader.parse(resolved, file: "resolved.yaml", baseDirectory: "/"), scenario)
    }

    func testATopologyFileIsReadRelativeToTheScenario() throws {
        let scenario = try parse(text(["{kind: ring, nodes: 16}": "../topologies/ring-16.txt"]))
        XCTAssertEqual(scenario.decentralized?.topology,
                       .file(path: Self.scenarios.deletingLastPathComponent().appendingPathComponent("topologies/ring-16.txt").path))
    }

    func testServerSectionsAndTrainingOfAnObjectiveAreRefused() {
        XCTAssertEqual(problems(text(["model:": "server:\n  rounds: 3\naggregator:\n  rule: median\nmodel:",
                                      "  l2: 0.5": "  l2: 0.5\ntraining:\n  learning_rate: 0.1"])), [
            "gossip.yaml:18:3: error: training: applies to network models (model.kind mlp); on an objective the algorithm's own settings (decentralized:) set the steps",
            "gossip.yaml:11:3: error: server: applies to server runs; a decentralized run (decentralized:) has no server section",
            "gossip.yaml:13:3: error: aggregator: applies to server runs; a decentralized run (decentralized:) has no aggregator section",
        ])
    }

    func testByzantineNodesAndRobustMixingLoadAndWriteBack() throws {
        let monna = try parse(text(["algorithm: dsgd": "algorithm: monna\n  f: 2",
                                    "  step_size: 0.1\n": "  step_size: 0.1\nattack:\n  kind: alie\n  clients: [4, 1]\n  tau: 20\n"]))
        XCTAssert(monna.decentralized?.algorithm.isEqual(to: MoNNA(stepSize: 0.1, f: 2)) == true)
        XCTAssertEqual(monna.attack, AttackSettings(kind: .alie, clients: [1, 4], tau: 20))
        let resolved = monna.resolvedYAML
        XCTAssert(resolved.contains("  momentum: 0.99\n  step_size: 0.1\n  f: 2\nattack:\n  kind: alie\n  clients: [1, 4]\n  tau: 20.0\n"),
                  resolved)
        XCTAssertEqual(try ScenarioLoader.parse(resolved, file: "resolved.yaml", baseDirectory: "/"), monna)

        let robust = try parse(text(["  step_size: 0.1\n": "  step_size: 0.1\n  aggregator: {rule: trimmed_mean, f: 1}\nattack:\n  kind: gaussian\n  count: 2\n"]))
        XCTAssertEqual(robust.decentralized?.mixing, .rule(RobustAggregatorDescription(rule: "trimmed_mean", parameters: ["f": 1])))
        XCTAssertEqual(robust.attack?.clients.count, 2)
        XCTAssert(robust.resolvedYAML.contains("  aggregator:\n    rule: trimmed_mean\n    f: 1.0\n"), robust.resolvedYAML)
        XCTAssertEqual(try ScenarioLoader.parse(robust.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), robust)
        let clipped = try parse(text(["  step_size: 0.1\n": "  step_size: 0.1\n  aggregator: {rule: clipped_gossip, tau: 0.5}\n"]))
        XCTAssertEqual(clipped.decentralized?.mixing, .clippedGossip(tau: 0.5))
    }

    func testATokenWalkReadsItsTokenSectionAndWritesItBack() throws {
        let walk = try parse(text(["algorithm: dsgd": "algorithm: sa_srrw",
                                   "  step_size: 0.1\n": "  token: {alpha: 2, b: 0.95, link_latency: 0.1}\n"]))
        XCTAssert(walk.decentralized?.algorithm.isEqual(to: SASRRW(alpha: 2, b: 0.95, linkLatency: 0.1)) == true)
        let resolved = walk.resolvedYAML
        XCTAssert(resolved.contains("  token:\n    alpha: 2.0\n    a: 0.8\n    b: 0.95\n    step_time: 1.0\n"), resolved)
        XCTAssertEqual(try ScenarioLoader.parse(resolved, file: "resolved.yaml", baseDirectory: "/"), walk)
        XCTAssertEqual(problems(text(["algorithm: dsgd": "algorithm: sa_srrw",
                                      "  step_size: 0.1\n": "  token: {a: 0.9, b: 0.85, alpah: 1}\n"])), [
            "gossip.yaml:17:22: error: decentralized.token.b: needs 0.5 < a < b <= 1, got a = 0.9 and b = 0.85",
            "gossip.yaml:17:28: error: decentralized.token.alpah: unknown field 'alpah'; did you mean 'alpha'? (fields here: a, alpha, b, link_bandwidth, link_latency, step_size, step_time)",
        ])
        XCTAssertEqual(problems(text(["algorithm: dsgd": "algorithm: sa_srrw", "  step_size: 0.1\n": "attack:\n  kind: alie\n  count: 1\n"])), [
            "gossip.yaml:14:14: error: decentralized.algorithm: sa_srrw has no Byzantine nodes; an attack: section needs algorithm dsgd or monna",
        ])
    }

    func testAttacksAndRulesThatDoNotFitTheRunAreNamed() {
        let attack = "  step_size: 0.1\nattack:\n  kind: optimal_alie\n  count: 9\n"
        XCTAssertEqual(problems(text(["algorithm: dsgd": "algorithm: monna", "  step_size: 0.1\n": attack])), [
            "gossip.yaml:19:9: error: attack.kind: optimal_alie searches against the server's aggregator; in a decentralized run use ipm, alie, sign_flip, gaussian, mimic or label_flip",
            "gossip.yaml:20:10: error: attack.count: MoNNA tolerates at most (n - 1) / 2 = 7 Byzantine nodes of 16, got 9",
        ])
        XCTAssertEqual(problems(text(["  step_size: 0.1\n": "  step_size: 0.1\n  variant: gradient_tracking\nattack:\n  kind: alie\n  count: 1\n"])), [
            "gossip.yaml:18:12: error: decentralized.variant: a Byzantine node sends one vector; gradient tracking's messages carry x and y (use variant plain with an attack)",
        ])
        XCTAssertEqual(problems(text(["algorithm: dsgd": "algorithm: monna",
                                      "  step_size: 0.1\n": "  step_size: 0.1\n  aggregator: {rule: median}\n"])), [
            "gossip.yaml:18:15: error: decentralized.aggregator: a robust aggregator replaces D-SGD's averaging (algorithm dsgd); monna combines as its own rule says",
        ])
        XCTAssertEqual(problems(text(["  step_size: 0.1\n": "  step_size: 0.1\n  aggregator: {rule: trimmed_mean, f: 2}\n"])), [
            "gossip.yaml:18:39: error: decentralized.aggregator.f: trimmed_mean: f = 2 is too large for 3 inputs; the trimmed mean needs 2f < n (a node of degree 2 combines its own vector and 2 more)",
        ])
        XCTAssertEqual(problems(text(["  step_size: 0.1\n": "  step_size: 0.1\n  aggregator: {rule: clipped_gossip, tau: -1}\n"])), [
            "gossip.yaml:18:22: error: decentralized.aggregator.rule: clipped_gossip: tau must be a finite number > 0 and the only parameter",
        ])
    }

    func testModelsAndAlgorithmsThatDoNotFitAreNamed() {
        // DADAO needs a strongly convex objective; D-SGD's step size is for one.
        let network = text(["  kind: logistic\n  l2: 0.5": "  kind: mlp\n  hidden: [8]\ntraining:\n  learning_rate: 0.1"])
        XCTAssertEqual(problems(network.replacingOccurrences(of: "algorithm: dsgd", with: "algorithm: dadao")
                                    .replacingOccurrences(of: "  step_size: 0.1\n", with: "")), [
            "gossip.yaml:16:14: error: decentralized.algorithm: dadao needs a strongly convex objective: model.kind logistic or softmax with model.l2, or least_squares",
        ])
        XCTAssertEqual(problems(network), [
            "gossip.yaml:19:14: error: decentralized.step_size: applies to an objective (model.kind logistic, softmax or least_squares); a network trains as training: says",
        ])
        // An objective needs its regularization; logistic regression is for decentralized runs.
        XCTAssertEqual(problems(text(["  l2: 0.5\n": ""])), ["gossip.yaml:11:3: error: model.l2: missing field 'l2'"])
        XCTAssertEqual(problems(text(["decentralized:\n  algorithm: dsgd\n  topology: {kind: ring, nodes: 16}\n  time_budget: 30\n  step_size: 0.1\n":
                                        "training:\n  learning_rate: 0.1\nserver:\n  rounds: 3\n  clients_per_round: 4\n"])).first,
                       "gossip.yaml:11:9: error: model.kind: logistic regression is an objective for decentralized runs (decentralized:); a server run uses softmax or mlp")
        XCTAssertEqual(problems(text(["algorithm: dsgd": "algorithm: gossip"])).first,
                       "gossip.yaml:14:14: error: decentralized.algorithm: unknown value 'gossip'; expected one of dadao, dsgd, monna, sa_srrw")
        XCTAssertEqual(problems(text(["  step_size: 0.1": "  variant: gradient_tracking\n  local_steps: 2"])), [
            "gossip.yaml:18:16: error: decentralized.local_steps: gradient tracking takes one gradient per round; remove local_steps",
        ])
    }

    /// A least-squares scenario over synthetic regression data, with `replacements`.
    private func regression(_ replacements: [String: String] = [:]) -> String {
        var yaml = text([
            "  source: csv\n  path: ../data/digits.csv\n  label_groups: [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]":
                "  source: synthetic_regression\n  features: 10\n  samples_per_client: 40",
            "  scheme: iid": "  scheme: natural",
            "  kind: logistic\n  l2: 0.5": "  kind: least_squares",
        ])
        for (old, new) in replacements {
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        return yaml
    }

    func testLeastSquaresLoadsOverRegressionDataAndWritesBack() throws {
        let scenario = try parse(regression())
        XCTAssertEqual(scenario.model, ModelSettings(kind: .leastSquares))
        XCTAssertEqual(scenario.data.source, .syntheticRegression(features: 10, samplesPerClient: 40, informative: 10,
                                                                  noise: 10, slopeRange: 0.01...5))
        let reread = try parse(scenario.resolvedYAML)
        XCTAssertEqual(reread.data, scenario.data)
        XCTAssertEqual(reread.model, scenario.model)
        // A ridge is optional for least squares.
        XCTAssertEqual(try parse(regression(["  kind: least_squares": "  kind: least_squares\n  l2: 0.01"])).model.l2, 0.01)
        // A csv's labels are read as targets, without classes to stratify or group.
        XCTAssertNoThrow(try parse(text(["  kind: logistic\n  l2: 0.5": "  kind: least_squares",
                                         "  label_groups: [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]\n": ""])))
    }

    func testTargetsAndClassesDoNotMix() {
        // Regression data needs least squares, and least squares needs targets.
        XCTAssertEqual(problems(regression(["  kind: least_squares": "  kind: logistic\n  l2: 0.5"])), [
            "gossip.yaml:11:9: error: model.kind: synthetic_regression data has real targets, not classes: use kind: least_squares",
        ])
        XCTAssertEqual(problems(text(["  kind: logistic\n  l2: 0.5": "  kind: least_squares"])), [
            "gossip.yaml:6:17: error: data.label_groups: makes classes of labels, and least squares reads real targets",
        ])
        XCTAssertEqual(problems(text(["  kind: logistic\n  l2: 0.5": "  kind: least_squares",
                                      "  label_groups: [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]\n": "",
                                      "scheme: iid": "scheme: dirichlet"])), [
            "gossip.yaml:7:11: error: partition.scheme: dirichlet skews the classes, and least squares reads real targets without classes; use scheme: iid",
        ])
        // Without a ridge, a node with fewer rows than features has no unique minimizer.
        XCTAssertEqual(problems(regression(["samples_per_client: 40": "samples_per_client: 10"])), [
            "gossip.yaml:6:23: error: data.samples_per_client: each client trains on floor(0.9 x 10) = 9 rows, fewer than its 10 features, so least squares without model.l2 is not strongly convex at any node; draw at least 12 samples a client or set model.l2",
        ])
        XCTAssertNoThrow(try parse(regression(["samples_per_client: 40": "samples_per_client: 10",
                                               "  kind: least_squares": "  kind: least_squares\n  l2: 0.1"])))
        XCTAssertEqual(problems(regression(["samples_per_client: 40": "samples_per_client: 40\n  slope_range: [5, 1]"])), [
            "gossip.yaml:7:16: error: data.slope_range: must be a list of two numbers [low, high] with low <= high, both in -1000000000000.0...1000000000000.0, like [0.01, 5.0]",
        ])
        // Least squares is an objective of decentralized runs only.
        XCTAssertEqual(problems(regression(["decentralized:\n  algorithm: dsgd\n  topology: {kind: ring, nodes: 16}\n  time_budget: 30\n  step_size: 0.1\n":
                                                "training:\n  learning_rate: 0.1\nserver:\n  rounds: 3\n  clients_per_round: 4\n"])).first,
                       "gossip.yaml:11:9: error: model.kind: least-squares linear regression is an objective for decentralized runs (decentralized:); a server run uses softmax or mlp")
    }

    func testTopologyProblemsAreNamed() throws {
        func problem(_ topology: String) -> String? {
            problems(text(["{kind: ring, nodes: 16}": topology])).first
        }
        XCTAssertEqual(problem("{kind: ring, nodes: 12}"),
                       "gossip.yaml:15:13: error: decentralized.topology: the graph has 12 nodes and partition.clients is 16: a decentralized run has one node per part of the partition")
        XCTAssertEqual(problem("{kind: ring}"),
                       "gossip.yaml:15:13: error: decentralized.topology.nodes: missing field 'nodes' (kind ring takes nodes)")
        XCTAssertEqual(problem("{kind: torus, rows: 4, columns: 4, p: 0.5}"),
                       "gossip.yaml:15:51: error: decentralized.topology.p: does not apply to kind torus, which takes rows, columns")
        XCTAssertEqual(problem("{kind: barbell, nodes: 15}"),
                       "gossip.yaml:15:36: error: decentralized.topology.nodes: a barbell needs an even number of nodes (two complete graphs of nodes/2), got 15")
        XCTAssertEqual(problem("{kind: rings, nodes: 16}"),
                       "gossip.yaml:15:20: error: decentralized.topology.kind: unknown value 'rings'; expected one of ring, path, torus, grid, complete, star, barbell, erdos_renyi, random_geometric, exponential; did you mean 'ring'?")
        XCTAssert(problem("missing.txt")?.hasPrefix("gossip.yaml:15:13: error: decentralized.topology: missing topology file '") == true)

        // A bad edge list is named by its own file and line.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-topology-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let selfLoop = folder.appendingPathComponent("loop.txt").path
        try "# a ring with a self-loop\n0 1\n1 1\n".write(toFile: selfLoop, atomically: true, encoding: .utf8)
        XCTAssertEqual(problem(selfLoop), "gossip.yaml:15:13: error: decentralized.topology: \(selfLoop):3: self-loop at node 1")

        // Two components: D-SGD runs each on its own, DADAO needs one.
        let halves = folder.appendingPathComponent("halves.txt").path
        try ((0..<7).map { "\($0) \($0 + 1)" } + (8..<15).map { "\($0) \($0 + 1)" }).joined(separator: "\n")
            .write(toFile: halves, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try parse(text(["{kind: ring, nodes: 16}": halves])))
        XCTAssertEqual(problems(text(["{kind: ring, nodes: 16}": halves, "algorithm: dsgd": "algorithm: dadao",
                                      "  step_size: 0.1\n": ""])),
                       ["gossip.yaml:15:13: error: decentralized.topology: dadao needs a connected graph, and this one is not"])
    }
}
