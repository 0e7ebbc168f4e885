import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

final class ScenarioLoaderTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarios = repository.appendingPathComponent("scenarios")

    /// A valid scenario's text, with `replacing` substituted.
    private func text(_ replacements: [String: String] = [:]) -> String {
        var yaml = """
            name: test
            seed: 5
            data:
              source: csv
              path: ../data/digits.csv
              normalize: minmax
            partition:
              scheme: dirichlet
              clients: 20
              alpha: 0.5
            model:
              kind: softmax
            training:
              local_epochs: 1
              batch_size: 16
              learning_rate: 0.1
            server:
              rounds: 3
              clients_per_round: 5

            """
        for (old, new) in replacements {
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        return yaml
    }

    private func parse(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml, file: "test.yaml", baseDirectory: Self.scenarios.path)
    }

    private func issues(_ yaml: String) -> [ScenarioIssue] {
        do {
            _ = try parse(yaml)
            XCTFail("expected the scenario to be rejected")
            return []
        } catch let error as ScenarioError {
            return error.issues
        } catch {
            XCTFail("unexpected error \(error)")
            return []
        }
    }

    func testQuickstartLoadsWithItsValuesAndDefaults() throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("quickstart.yaml").path)
        XCTAssertEqual(scenario.name, "quickstart")
        XCTAssertEqual(scenario.data.source, .csv(path: Self.repository.appendingPathComponent("data/digits.csv").path,
                                                  labelColumn: -1))
        XCTAssertEqual(scenario.partition, PartitionSettings(scheme: .dirichlet, clients: 100, alpha: 0.5))
        XCTAssertEqual(scenario.model, ModelSettings(kind: .softmax))
        XCTAssertEqual(scenario.training, LocalTraining(work: .epochs(1), batchSize: 16, learningRate: 0.1))
        XCTAssertEqual(scenario.server, ServerSettings(strategy: FedAvg(clientsPerRound: 10), rounds: 100))
        XCTAssertEqual(scenario.evaluation.every, 1)
    }

    func testEveryShippedScenarioLoads() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.scenarios.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 20)
        for file in files {
            XCTAssertNoThrow(try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path), file)
        }
    }

    func testResolvedYAMLLoadsBackToTheSameScenario() throws {
        for file in ["quickstart.yaml", "digits-mlp.yaml", "synthetic-1-1.yaml", "quickstart-fedasync.yaml",
                     "fedfix/fedfix-0.5.yaml", "fedfix/fedbuff-5.yaml", "privacy/quickstart-eps3.yaml",
                     "decentralized/dadao.yaml", "decentralized/dsgd-mlp.yaml", "decentralized/dadao-rgg300.yaml",
                     "bench/mlp-1m.yaml", "bench/clients-100k.yaml"] {
            let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path)
            let again = try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/")
            XCTAssertEqual(again, scenario, file)
        }
    }

    func testUnknownKeyIsNamedWithLineAndSuggestion() {
        let found = issues(text(["  batch_size: 16": "  batchsize: 16"]))
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.line, 15)
        XCTAssertEqual(found.first?.column, 3)
        XCTAssertEqual(found.first?.field, "training.batchsize")
        XCTAssert(found.first?.description.hasPrefix("test.yaml:15:3: error: training.batchsize: unknown field 'batchsize'; did you mean 'batch_size'?") == true,
                  found.first?.description ?? "")
    }

    func testWrongTypeIsNamedWithLine() {
        let found = issues(text(["  rounds: 3": "  rounds: three"]))
        XCTAssertEqual(found.map(\.field), ["server.rounds"])
        XCTAssertEqual(found.first?.line, 18)
        XCTAssertEqual(found.first?.message, "must be an integer, got 'three'")
    }

    func testMissingDataFileNamesThePath() {
        let found = issues(text(["../data/digits.csv": "../data/nope.csv"]))
        XCTAssertEqual(found.map(\.field), ["data.path"])
        XCTAssertEqual(found.first?.line, 5)
        XCTAssert(found.first?.message.contains("missing data file '\(Self.repository.path)/data/nope.csv'") == true,
                  found.first?.message ?? "")
    }

    func testEveryProblemIsReportedAtOnce() {
        let found = issues(text([
            "  kind: softmax": "  kind: softmx",
            "  learning_rate: 0.1": "  learning_rate: -1",
            "  clients_per_round: 5": "  clients_per_round: 50",
        ]))
        XCTAssertEqual(found.map(\.field), ["model.kind", "training.learning_rate", "server.clients_per_round"])
        XCTAssert(found[0].message.contains("did you mean 'softmax'?"), found[0].message)
        XCTAssertEqual(found[2].message, "50 clients per round but only 20 clients (partition.clients)")
    }

    func testADataPathThatIsNoRegularFileIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-paths-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertEqual(mkfifo(folder + "/pipe.csv", 0o600), 0)
        for (path, what) in [(folder, "a directory"), (folder + "/pipe.csv", "not a regular file (a pipe, socket or device)")] {
            let found = issues(text(["path: ../data/digits.csv": "path: \(path)"]))
            XCTAssertEqual(found.map(\.field), ["data.path"])
            XCTAssertEqual(found.first?.message, "'\(path)' is \(what); path names a data file")
        }
    }

    func testGradientClipLoadsWritesBackAndStaysOutOfDPSGD() throws {
        let scenario = try parse(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  gradient_clip: 1"]))
        XCTAssertEqual(scenario.training.gradientClip, 1)
        XCTAssertEqual(try parse(scenario.resolvedYAML).training, scenario.training)
        XCTAssertNil(try parse(text()).training.gradientClip)
        let found = issues(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  gradient_clip: 1",
                                 "  clients_per_round: 5": "  clients_per_round: 5\nprivacy:\n  clip: 1\n  noise_multiplier: 1"]))
        XCTAssertEqual(found.map(\.field), ["training.gradient_clip"])
        XCTAssertEqual(found.first?.message,
                       "sample-level DP-SGD clips each example's gradient to privacy.clip already; remove gradient_clip")
    }

    func testADataSeedFixesTheDataWhileTheSeedVaries() throws {
        let fixed = try parse(text(["seed: 5": "seed: 5\ndata_seed: 42"]))
        XCTAssertEqual(fixed.dataSeed, 42)
        XCTAssertEqual(fixed.effectiveDataSeed, 42)
        XCTAssertEqual(try parse(fixed.resolvedYAML), fixed)
        XCTAssertNil(try parse(text()).dataSeed)
        XCTAssertEqual(try parse(text()).effectiveDataSeed, 5)

        var other = fixed
        other.seed = 6
        let data = try Simulation.prepareData(fixed)
        XCTAssertEqual(try Simulation.prepareData(other).clients, data.clients)
        XCTAssertNotEqual(try Simulation.prepareData(try parse(text())).clients, data.clients)
        // The workers' recipe carries the data seed.
        let recipe = try ScenarioLoader.parseDataRecipe(other.dataRecipe, file: "recipe")
        XCTAssertEqual(try Simulation.prepareData(recipe).clients, data.clients)
    }

    func testStragglersLoadWriteBackAndNameTheirMistakes() throws {
        let partial = try parse(text(["  clients_per_round: 5": "  clients_per_round: 5\n  stragglers: 0.5\n  straggler_work: partial"]))
        let fedAvg = try XCTUnwrap(partial.server.strategy as? FedAvg)
        XCTAssertEqual(fedAvg.stragglers, 0.5)
        XCTAssertEqual(fedAvg.stragglerWork, .partial)
        XCTAssert(partial.server.hasPartialWork)
        XCTAssertEqual(try parse(partial.resolvedYAML), partial)
        XCTAssertFalse(try parse(text()).server.hasPartialWork)

        XCTAssertEqual(issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  stragglers: 0.95"])).first?.message,
                       "of the 5 clients a round starts, none would train once the stragglers are dropped; lower the share "
                       + "or use straggler_work: partial")
        XCTAssertEqual(issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  stragglers: 1"])).first?.message,
                       "every client would straggle; the share must be below 1")
        let unused = try parse(text(["  clients_per_round: 5": "  clients_per_round: 5\n  straggler_work: partial"]))
        XCTAssertFalse(unused.server.hasPartialWork, "without stragglers or a deadline nobody straggles")
        let private_ = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  stragglers: 0.5\n"
                                    + "privacy:\n  clip: 1\n  noise_multiplier: 1"]))
        XCTAssertEqual(private_.map(\.field), ["server.stragglers"])
    }

    func testComputeTimesMayBeDrawnAfreshForEveryJob() throws {
        let redrawn = try parse(text(["  clients_per_round: 5": "  clients_per_round: 5\nsystem:\n  compute: {profile: lognormal, sigma: 0.8, redraw: per_job}"]))
        XCTAssert(redrawn.system.redrawsCompute)
        XCTAssertEqual(try parse(redrawn.resolvedYAML), redrawn)
        XCTAssertFalse(try parse(text()).system.redrawsCompute)
        let constant = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\nsystem:\n  compute: {profile: constant, redraw: per_job}"]))
        XCTAssertEqual(constant.map(\.field), ["system.compute.redraw"])
    }

    func testSyntheticIIDIsFedProxsIIDVariant() throws {
        let yaml = """
            name: iid
            seed: 4
            data: {source: synthetic_iid, features: 6, classes: 3, max_samples_per_client: 200}
            partition: {clients: 5}
            model: {kind: softmax}
            training: {learning_rate: 0.1}
            server: {rounds: 1, clients_per_round: 2}

            """
        let scenario = try ScenarioLoader.parse(yaml, file: "iid.yaml", baseDirectory: "/")
        XCTAssertEqual(scenario.data.source, .syntheticIID(features: 6, classes: 3, maxSamplesPerClient: 200))
        XCTAssertEqual(scenario.partition.scheme, .natural)
        XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "r.yaml", baseDirectory: "/"), scenario)
        let expected = try LEAFSynthetic(variant: .iid, featureCount: 6, classCount: 3, maxSamplesPerClient: 200, seed: 4)
            .generate(clients: 5)
        XCTAssertEqual(try Simulation.prepareData(scenario).clients, expected.clients)
        let stray = issues(yaml.replacingOccurrences(of: "features: 6,", with: "features: 6, alpha: 1,"))
        XCTAssertEqual(stray.map(\.field), ["data.alpha"])
    }

    func testAMisspelledRunLengthIsMatchedAgainstRoundsAndTimeBudget() {
        let found = issues(text(["  rounds: 3": "  rounds: 3\n  time_budgt: 30"]))
        XCTAssertEqual(found.map(\.field), ["server.time_budgt"])
        XCTAssert(found.first?.message.contains("did you mean 'time_budget'?") == true, found.first?.message ?? "")
    }

    func testOrderedLocalLearningLoadsWritesBackAndNamesItsMistakes() throws {
        let ordered = try parse(text(["  learning_rate: 0.1": """
              learning_rate: 0.1
              ordering: anti_curriculum
              pacing: {function: exponential, start: 0.5, over: rounds}
            """]))
        XCTAssertEqual(ordered.training.ordering, DataOrdering(order: .antiCurriculum, pacing: Pacing(
            function: .exponential, start: 0.5, fullAt: 0.8, span: .rounds(current: 0, total: 3))))
        XCTAssertEqual(try parse(ordered.resolvedYAML).training, ordered.training)
        let curriculum = try parse(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  ordering: curriculum"]))
        XCTAssertEqual(curriculum.training.ordering, DataOrdering(order: .curriculum, pacing: Pacing()))
        XCTAssertEqual(try parse(curriculum.resolvedYAML).training, curriculum.training)
        let shuffled = try parse(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  ordering: shuffle\n  pacing: {start: 0.1}"]))
        XCTAssertNil(shuffled.training.ordering, "shuffling leaves a pacing unused")
        XCTAssertEqual(try parse(shuffled.resolvedYAML).training, shuffled.training)

        let typo = issues(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  ordering: curiculum\n  pacing: {start: 2}"]))
        XCTAssertEqual(typo.map(\.field), ["training.ordering", "training.pacing.start"])
        XCTAssert(typo[0].message.contains("did you mean 'curriculum'?"), typo[0].message)
        let badPacing = issues(text(["  learning_rate: 0.1": """
              learning_rate: 0.1
              ordering: random
              pacing: {function: cubic, start: 0, fullat: 0.5}
            """]))
        XCTAssertEqual(badPacing.map(\.field), ["training.pacing.function", "training.pacing.start", "training.pacing.fullat"])
        XCTAssert(badPacing[2].message.contains("did you mean 'full_at'?"), badPacing[2].message)
        let noRounds = issues(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  ordering: curriculum\n  pacing: {over: rounds}",
                                    "  rounds: 3": "  time_budget: 30"]))
        XCTAssertEqual(noRounds.map(\.field), ["training.pacing.over"])
        XCTAssertEqual(noRounds.first?.message, "pacing over rounds needs server.rounds")
        let private_ = issues(text(["  learning_rate: 0.1": "  learning_rate: 0.1\n  ordering: curriculum",
                                    "  clients_per_round: 5": "  clients_per_round: 5\nprivacy:\n  clip: 1\n  noise_multiplier: 1"]))
        XCTAssertEqual(private_.map(\.field), ["training.ordering"])
    }

    func testClientSelectionLoadsWritesBackAndNamesItsMistakes() throws {
        let chosen = try parse(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: power_of_choice"]))
        XCTAssertEqual((chosen.server.strategy as? FedAvg)?.selection, .powerOfChoice(candidates: 10, losses: .globalModel))
        XCTAssertEqual(try parse(chosen.resolvedYAML), chosen)
        let twelve = try parse(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: power_of_choice\n  candidates: 12\n  losses: reported"]))
        XCTAssertEqual((twelve.server.strategy as? FedAvg)?.selection, .powerOfChoice(candidates: 12, losses: .reported))
        let paced = try parse(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: anti_curriculum\n  pacing: {function: root, start: 0.5}"]))
        XCTAssertEqual((paced.server.strategy as? FedAvg)?.selection, .curriculum(ClientCurriculum(
            order: .antiCurriculum, function: .root, start: 0.5, fullAt: 0.8, rounds: 3)))
        XCTAssertEqual(try parse(paced.resolvedYAML), paced)
        XCTAssert(paced.asksClientLosses)
        let budget = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: curriculum",
                                  "  rounds: 3": "  time_budget: 30"]))
        XCTAssertEqual(budget.first?.message, "a curriculum over clients paces the run's client updates; it needs server.rounds")
        let misplaced = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: curriculum\n  candidates: 8"]))
        XCTAssertEqual(misplaced.first?.message, "applies to selection: power_of_choice")
        XCTAssertEqual((try parse(text()).server.strategy as? FedAvg)?.selection, .uniform)

        let typo = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: power_of_chocie"]))
        XCTAssertEqual(typo.map(\.field), ["server.selection"])
        XCTAssert(typo[0].message.contains("did you mean 'power_of_choice'?"), typo[0].message)
        let few = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: power_of_choice\n  candidates: 4"]))
        XCTAssertEqual(few.first?.message, "4 candidates cannot yield the 5 clients a round starts")
        let many = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: power_of_choice\n  candidates: 21"]))
        XCTAssertEqual(many.first?.message, "21 candidates but only 20 clients (partition.clients)")
        let stray = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  candidates: 8"]))
        XCTAssertEqual(stray.map(\.field), ["server.candidates"])
        XCTAssertFalse(try parse(text()).asksClientLosses)
        let private_ = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  selection: power_of_choice\n"
                                    + "privacy:\n  clip: 1\n  noise_multiplier: 1"]))
        XCTAssertEqual(private_.map(\.field), ["server.selection"])
    }

    func testAdaptersLoadAndWriteBack() throws {
        let scenario = try parse(text([
            "  kind: softmax": "  kind: mlp\n  hidden: [32, 16]\n  lora: {rank: 4, layers: [0, 4]}",
            "  clients_per_round: 5": "  clients_per_round: 5\n  adapter: fedsvd\n  svd_period: 2",
        ]))
        XCTAssertEqual(scenario.model.lora, LoRASettings(rank: 4, alpha: 4, layers: [0, 4]), "alpha defaults to the rank")
        XCTAssertEqual(scenario.server.adapter, .fedsvd)
        XCTAssertEqual(scenario.server.svdPeriod, 2)
        let reread = try parse(scenario.resolvedYAML)
        XCTAssertEqual(reread.model, scenario.model)
        XCTAssertEqual(reread.server, scenario.server)
        XCTAssertEqual(try parse(text(["  kind: softmax": "  kind: softmax\n  lora: {rank: 2, alpha: 8}"])).server.adapter,
                       .lora, "plain LoRA is the default rule")
    }

    func testAdapterProblemsAreNamed() {
        func problems(_ replacements: [String: String]) -> [String] {
            issues(text(replacements)).map { "\($0.field): \($0.message)" }
        }
        XCTAssertEqual(problems(["  kind: softmax": "  kind: mlp\n  hidden: [32]\n  lora: {rank: 4, layers: [1]}"]),
                       ["model.lora.layers: layer 1 is not a dense layer of the model, whose dense layers are 0, 2"])
        XCTAssertEqual(problems(["  kind: softmax": "  kind: softmax\n  lora: {rank: 0}"]),
                       ["model.lora.rank: must be in 1...1000000, got 0"])
        XCTAssertEqual(problems(["  kind: softmax": "  kind: softmax\n  lora: {rank: 2, alhpa: 3}"]),
                       ["model.lora.alhpa: unknown field 'alhpa'; did you mean 'alpha'? (fields here: alpha, layers, rank)"])
        XCTAssertEqual(problems(["  clients_per_round: 5": "  clients_per_round: 5\n  adapter: fedsvd"]),
                       ["server.adapter: applies to a model with adapters (model.lora)"])
        XCTAssertEqual(problems(["  kind: softmax": "  kind: softmax\n  lora: {rank: 2}",
                                 "  clients_per_round: 5": "  clients_per_round: 5\n  svd_period: 3"]),
                       ["server.svd_period: applies to server.adapter fedsvd"])
        XCTAssertEqual(problems(["  kind: softmax": "  kind: softmax\n  lora: {rank: 2}",
                                 "  clients_per_round: 5": "  clients_per_round: 5\n  adapter: fedsdv"]).first?.hasPrefix(
                                    "server.adapter: unknown value 'fedsdv'; expected one of lora, ffa_lora, fedsvd"), true)
    }

    func testMissingSectionAndFieldAreNamed() {
        let found = issues(text(["model:\n  kind: softmax\n": ""]))
        XCTAssertEqual(found.map(\.field), ["model"])
        XCTAssertEqual(found.first?.message, "missing field 'model'")
    }

    func testInvalidYAMLReportsItsLine() {
        let found = issues("name: x\ndata: [unclosed\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertGreaterThan(found.first?.line ?? 0, 1)
        XCTAssert(found.first?.message.hasPrefix("invalid YAML") == true)
    }

    func testMLPNeedsHiddenLayers() {
        let found = issues(text(["  kind: softmax": "  kind: mlp"]))
        XCTAssertEqual(found.map(\.field), ["model.hidden"])
    }

    func testImageModelsLoadTheirStagesAndWriteThemBack() throws {
        let layered = try parse(text(["  kind: softmax": """
              kind: layers
              image: [1, 8, 8]
              layers:
                - {conv: {filters: 4, kernel: 3, padding: 1}}
                - relu
                - {maxpool: 2}
                - flatten
                - {dense: 16}
                - relu
            """]))
        XCTAssertEqual(layered.model.layers, [.conv(filters: 4, kernel: 3, stride: 1, padding: 1), .relu, .maxPool(size: 2),
                                              .flatten, .dense(units: 16), .relu])
        XCTAssertEqual(layered.model.image, ImageShape(channels: 1, rows: 8, columns: 8))
        XCTAssertEqual(try ScenarioLoader.parse(layered.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), layered)
        let spec = layered.model.spec(inputDim: 64, classes: 10)
        XCTAssertNoThrow(try spec.validate())
        XCTAssertEqual(spec.layers.map(\.kindName), ["conv2d", "relu", "maxpool2d", "flatten", "dense", "relu", "dense"])
        XCTAssertEqual(spec.trainableParameterCount, (9 + 1) * 4 + (64 + 1) * 16 + (16 + 1) * 10)

        let cnn = try parse(text(["  kind: softmax": "  kind: cnn"]))
        XCTAssertEqual(cnn.model.spec(inputDim: 784, classes: 10).trainableParameterCount, 1_663_370)
        XCTAssertEqual(try ScenarioLoader.parse(cnn.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), cnn)
    }

    func testImageModelProblemsAreNamed() {
        func problems(_ model: String) -> [String] {
            issues(text(["  kind: softmax": model])).map { "\($0.field): \($0.message)" }
        }
        XCTAssertEqual(problems("  kind: layers\n  layers: [flatten, {conv: {filters: 2, kernel: 3}}]"),
                       ["model.layers[1]: works on images, and the stages before it flattened the image"])
        XCTAssertEqual(problems("  kind: layers\n  layers: [tanh, {pool: 2}, {conv: {filters: 2}}]"), [
            "model.layers[0]: unknown stage 'tanh'; a stage is relu, flatten, {conv: ...}, {maxpool: S} or {dense: UNITS}",
            "model.layers[1]: unknown stage 'pool'; a stage is relu, flatten, {conv: ...}, {maxpool: S} or {dense: UNITS}",
            "model.layers[2].conv.kernel: missing field 'kernel'",
        ])
        XCTAssertEqual(problems("  kind: layers"), ["model.layers: missing field 'layers'"])
        XCTAssertEqual(problems("  kind: cnn\n  image: [28, 28]"), ["model.image: must be [channels, rows, columns], like [1, 28, 28]"])
        XCTAssertEqual(problems("  kind: mlp\n  hidden: [8]\n  layers: [relu]"),
                       ["model.layers: lists the stages of kind layers; mlp has its own (use kind: layers)"])
        XCTAssertEqual(problems("  kind: cnn\n  hidden: [8]"),
                       ["model.hidden: a cnn model lists its stages in layers; remove hidden or use kind: mlp"])
    }

    func testSoftmaxHasNoHiddenLayers() {
        let found = issues(text(["  kind: softmax": "  kind: softmax\n  hidden: [8]"]))
        XCTAssertEqual(found.map(\.field), ["model.hidden"])
        XCTAssert(found[0].message.contains("use kind: mlp"), found[0].message)
    }

    func testSyntheticDataNeedsNaturalPartition() {
        let found = issues(text(["  source: csv\n  path: ../data/digits.csv\n": "  source: synthetic\n"]))
        XCTAssertEqual(found.map(\.field), ["partition.scheme"])
    }

    func testMissingScenarioFile() {
        XCTAssertThrowsError(try ScenarioLoader.load(path: "/nonexistent/x.yaml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/x.yaml:1:1: error: no such scenario file")
        }
    }

    // MARK: - System, server optimizer, FedProx

    func testSystemSectionReadsEveryProfile() throws {
        let scenario = try parse(text(["server:": """
            system:
              compute:
                profile: linear
                heterogeneity: 80
                slowest: 2
              link:
                latency: 0.05
                download_bandwidth: 1e6
                upload_bandwidth: 2.5e5
                bandwidth_sigma: 0.3
              availability:
                profile: on_off
                mean_online: 20
                mean_offline: 5
            server:
            """]))
        XCTAssertEqual(scenario.system, SystemSettings(
            compute: .linear(heterogeneity: 80, slowest: 2),
            link: LinkProfile(latency: 0.05, downloadBytesPerSecond: 1e6, uploadBytesPerSecond: 2.5e5,
                              bandwidthHeterogeneity: 0.3),
            availability: .onOff(meanOnline: 20, meanOffline: 5)))
        let again = try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/")
        XCTAssertEqual(again, scenario)
    }

    func testNoSystemSectionMeansOneSecondJobsAlwaysOnline() throws {
        XCTAssertEqual(try parse(text()).system, SystemSettings(compute: .constant(seconds: 1)))
    }

    /// Writes `contents` to a file in a fresh temporary folder; returns its path.
    private func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-loader-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTracesAreReadRelativeToTheScenarioAndWrittenBackByPath() throws {
        let speeds = (0..<20).map { "\($0),\(1 + Double($0) / 10)" }.joined(separator: "\n")
        let compute = try temporaryFile("speeds.csv", "client_id,seconds\n" + speeds + "\n")
        let folder = URL(fileURLWithPath: compute).deletingLastPathComponent().path
        try "client_id,start,end\n0,0,10\n0,20,inf\n3,5,6\n".write(
            toFile: folder + "/online.csv", atomically: true, encoding: .utf8)
        let yaml = text(["server:": """
            system:
              compute:
                profile: trace
                path: speeds.csv
              availability:
                profile: trace
                path: online.csv
            server:
            """, "../data/digits.csv": ScenarioLoaderTests.repository.path + "/data/digits.csv"])
        let scenario = try ScenarioLoader.parse(yaml, file: "test.yaml", baseDirectory: folder)
        XCTAssertEqual(scenario.system.compute, .trace((0..<20).map { 1 + Double($0) / 10 }))
        XCTAssertEqual(scenario.system.computeTrace, compute)
        guard case let .trace(online) = scenario.system.availability else { return XCTFail("not a trace") }
        XCTAssertEqual(online[0], [0...10, 20...Double.infinity])
        XCTAssertEqual(online[3], [5...6])
        XCTAssertEqual(online[1], [])
        let again = try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/")
        XCTAssertEqual(again, scenario)
    }

    func testTraceProblemsAreReportedAtThePathWithTheTraceLine() throws {
        let trace = try temporaryFile("speeds.csv", "0,1\n1,2\n25,1\n")
        let found = issues(text(["server:": "system:\n  compute:\n    profile: trace\n    path: \(trace)\nserver:"]))
        XCTAssertEqual(found.map(\.field), ["system.compute.path"])
        XCTAssertEqual(found.first?.line, 20)
        XCTAssertEqual(found.first?.message, "bad trace: \(trace):3: unknown client id 25; ids run from 0 to 19")

        let missing = issues(text(["server:": "system:\n  availability:\n    profile: trace\n    path: nope.csv\nserver:"]))
        XCTAssertEqual(missing.map(\.field), ["system.availability.path"])
        XCTAssert(missing.first?.message.hasPrefix("missing availability trace '") == true, missing.first?.message ?? "")
    }

    func testSystemFieldsOfAnotherProfileAndOutOfRangeValuesAreNamed() {
        let found = issues(text(["server:": """
            system:
              compute:
                profile: exponential
                heterogeneity: 80
              link:
                latency: -1
              availability:
                profile: probability
                p: 1.5
            server:
            """]))
        XCTAssertEqual(found.map(\.field), ["system.compute.heterogeneity", "system.link.latency",
                                            "system.availability.p", "system.availability.period"])
        XCTAssertEqual(found[0].message, "applies to profile linear, not exponential")
        XCTAssertEqual(found[2].message, "must be greater than 0.0 and at most 1.0, got 1.5")
        XCTAssertEqual(found[3].message, "missing field 'period'")
    }

    func testFMinus100IsRejected() {
        let found = issues(text(["server:": "system:\n  compute:\n    profile: linear\n    heterogeneity: 100\nserver:"]))
        XCTAssertEqual(found.map(\.field), ["system.compute.heterogeneity"])
    }

    func testLocalStepsLoadAndWriteBackInPlaceOfEpochs() throws {
        let scenario = try parse(text(["  local_epochs: 1": "  local_steps: 10"]))
        XCTAssertEqual(scenario.training.work, .steps(10))
        let resolved = scenario.resolvedYAML
        XCTAssert(resolved.contains("\n  local_steps: 10\n") && !resolved.contains("local_epochs"), resolved)
        XCTAssertEqual(try ScenarioLoader.parse(resolved, file: "resolved.yaml", baseDirectory: "/"), scenario)

        let epochs = try parse(text(["  local_epochs: 1\n": ""]))
        XCTAssertEqual(epochs.training.work, .epochs(1), "neither field: one epoch")
        XCTAssert(epochs.resolvedYAML.contains("\n  local_epochs: 1\n") && !epochs.resolvedYAML.contains("local_steps"))
    }

    func testLocalStepsAndLocalEpochsExcludeEachOther() {
        let found = issues(text(["  local_epochs: 1": "  local_epochs: 1\n  local_steps: 10"]))
        XCTAssertEqual(found.map(\.field), ["training.local_steps"])
        XCTAssertEqual(found.first?.description,
                       "test.yaml:15:16: error: training.local_steps: excludes local_epochs: a task takes either "
                       + "local_epochs passes over the client's data or local_steps optimizer steps; remove one of them")
    }

    func testLocalStepsMustBeAnIntegerFromOneToAMillion() {
        for (value, message) in [("0", "must be in 1...1000000, got 0"), ("1000001", "must be in 1...1000000, got 1000001"),
                                 ("ten", "must be an integer, got 'ten'")] {
            let found = issues(text(["  local_epochs: 1": "  local_steps: \(value)"]))
            XCTAssertEqual(found.map(\.field), ["training.local_steps"], value)
            XCTAssertEqual(found.first?.message, message)
            XCTAssertEqual(found.first?.line, 14)
        }
    }

    func testServerOptimizerAndProximalMu() throws {
        let scenario = try parse(text([
            "  clients_per_round: 5": "  clients_per_round: 5\n  optimizer: adam\n  beta2: 0.999\n  tau: 0.01",
            "  learning_rate: 0.1": "  learning_rate: 0.1\n  proximal_mu: 0.01",
        ]))
        XCTAssertEqual(scenario.server.optimizer, .adam)
        XCTAssertEqual(scenario.server.beta1, 0.9)
        XCTAssertEqual(scenario.server.beta2, 0.999)
        XCTAssertEqual(scenario.server.tau, 0.01)
        XCTAssertEqual(scenario.training.proximalMu, 0.01)
        XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), scenario)

        let found = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  optimizer: momentum\n  beta2: 0.9"]))
        XCTAssertEqual(found.map(\.field), ["server.beta2"])
        XCTAssertEqual(found.first?.message, "applies to optimizers adam, yogi, not momentum")
    }

    func testServerFieldOfAnotherAlgorithmIsNamed() {
        let found = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  concurrency: 4"]))
        XCTAssertEqual(found.map(\.field), ["server.concurrency"])
        XCTAssertEqual(found.first?.message, "applies to algorithms fedasync, fedbuff, not fedavg")
    }

    func testADeadlineShorterThanEveryJobIsRejected() {
        let found = issues(text(["  clients_per_round: 5": "  clients_per_round: 5\n  deadline: 0.5"]))
        XCTAssertEqual(found.map(\.field), ["server.deadline"])
        XCTAssertEqual(found.first?.message,
                       "every client's job takes at least 1.0 s (system.compute), so a deadline of 0.5 s would drop them all")
    }

    func testLabelGroupsLoadWriteBackAndNameTheirProblems() throws {
        let scenario = try parse(text(["  alpha: 0.5\n": "  alpha: 0.5\n", "normalize: minmax": "normalize: minmax\n  label_groups: [[1, 3], [7]]"]))
        XCTAssertEqual(scenario.data.labelGroups, [[1, 3], [7]])
        XCTAssertEqual(try parse(scenario.resolvedYAML), scenario)
        for (groups, message) in [("[1, 2]", "must be a non-empty list of labels"), ("[[1], [1]]", "label 1 is in two groups"),
                                  ("[]", "must be a list of lists of labels"), ("[[-1]]", "must be a non-empty list of labels")] {
            let found = issues(text(["normalize: minmax": "normalize: minmax\n  label_groups: \(groups)"]))
            XCTAssertEqual(found.map(\.field), ["data.label_groups"], groups)
            XCTAssert(found.first?.message.contains(message) == true, "\(groups): \(found)")
        }
    }

    func testDataClassesMakeLabelsClassIdsAndNameALabelOutsideThem() throws {
        let scenario = try parse(text(["normalize: minmax": "normalize: minmax\n  classes: 10"]))
        XCTAssertEqual(scenario.data.classes, 10)
        XCTAssertEqual(try parse(scenario.resolvedYAML), scenario)
        let prepared = try Simulation.prepareData(scenario)
        XCTAssertEqual(prepared.test.classCount, 10)
        let asFound = try Simulation.prepareData(parse(text()))
        XCTAssertEqual(prepared.clients, asFound.clients, "the digits' labels are already 0...9")
        XCTAssertEqual(prepared.test, asFound.test)

        // Label 7 among classes 0...2 is refused where it stands; without `classes` it
        // would silently become a fourth class.
        let stray = try temporaryFile("stray.csv", "0.5,1,0\n1,2,1\n0,0,2\n3,1,7\n2,2,1\n1,1,0\n")
        let small = ["../data/digits.csv": stray, "clients: 20": "clients: 2",
                     "clients_per_round: 5": "clients_per_round: 2", "scheme: dirichlet": "scheme: iid"]
        XCTAssertEqual(try Simulation.prepareData(parse(text(small))).test.classCount, 4)
        var declared = small
        declared["normalize: minmax"] = "normalize: minmax\n  classes: 3"
        XCTAssertThrowsError(try Simulation.prepareData(parse(text(declared)))) { error in
            XCTAssertEqual("\(error)", "data: \(stray):4: field 3: label 7 is not one of the class ids 0...2")
        }

        for (yaml, message) in [("classes: 1", "must be"), ("classes: ten", "must be an integer")] {
            let found = issues(text(["normalize: minmax": "normalize: minmax\n  \(yaml)"]))
            XCTAssertEqual(found.map(\.field), ["data.classes"], yaml)
            XCTAssert(found.first?.message.contains(message) == true, "\(yaml): \(found)")
        }
    }

    /// The test scenario with `data.transform: yaml` on line 7.
    private func transforming(_ yaml: String) -> String {
        text(["normalize: minmax": "normalize: minmax\n  transform: \(yaml)"])
    }

    func testDataTransformLoadsAndWritesBack() throws {
        let cases: [(String, FeatureTransform)] = [
            ("{kind: permute, seed: 4}", .permute(seed: 4)), ("{kind: permute}", .permute(seed: 0)),
            ("{kind: rotate, degrees: 90}", .rotate(quarterTurns: 1)), ("{kind: rotate, degrees: 270}", .rotate(quarterTurns: 3)),
            ("{kind: flip}", .flip),
        ]
        for (yaml, transform) in cases {
            let scenario = try parse(transforming(yaml))
            XCTAssertEqual(scenario.data.transform, transform, yaml)
            XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"),
                           scenario, yaml)
        }
        XCTAssert(try parse(transforming("{kind: rotate, degrees: 180}")).resolvedYAML
                    .contains("\n  transform:\n    kind: rotate\n    degrees: 180\n"))
        let plain = try parse(text())
        XCTAssertNil(plain.data.transform)
        XCTAssertFalse(plain.resolvedYAML.contains("transform"))
    }

    func testDataTransformProblemsAreNamedWithTheirPositions() {
        let problems = [
            ("{kind: rotate, degrees: 45}",
             "test.yaml:7:38: error: data.transform.degrees: must be 90, 180 or 270 (counterclockwise), got 45"),
            ("{kind: rotate}", "test.yaml:7:14: error: data.transform.degrees: missing field 'degrees'"),
            ("{kind: spin}",
             "test.yaml:7:21: error: data.transform.kind: unknown value 'spin'; expected one of permute, rotate, flip"),
            ("{kind: flip, seed: 2}", "test.yaml:7:33: error: data.transform.seed: applies to transform kind permute, not flip"),
            ("{kind: permute, sed: 2}",
             "test.yaml:7:30: error: data.transform.sed: unknown field 'sed'; did you mean 'seed'? (fields here: degrees, kind, seed)"),
            ("flip", "test.yaml:7:14: error: data.transform: must be a mapping like {kind: permute, seed: 1}, "
                + "{kind: rotate, degrees: 90} or {kind: flip}"),
        ]
        for (yaml, expected) in problems {
            XCTAssertEqual(issues(transforming(yaml)).map(\.description), [expected], yaml)
        }
        let synthetic = issues(text(["  source: csv\n  path: ../data/digits.csv\n  normalize: minmax":
                                         "  source: synthetic\n  transform: {kind: flip}",
                                     "scheme: dirichlet": "scheme: natural"]))
        XCTAssertEqual(synthetic.map(\.description),
                       ["test.yaml:5:14: error: data.transform: applies to data read from files (csv, libsvm, idx, leaf), not synthetic data"])
    }

    func testDataTransformRearrangesEveryRowBeforeTheSplit() throws {
        let plain = try parse(text(["normalize: minmax": "normalize: none"]))
        var rotated = plain
        rotated.data.transform = .rotate(quarterTurns: 1)
        let plainData = try Simulation.prepareData(plain)
        let rotatedData = try Simulation.prepareData(rotated)
        XCTAssertEqual(rotatedData.test, try plainData.test.transformed(.rotate(quarterTurns: 1)))
        XCTAssertEqual(rotatedData.clients, try plainData.clients.map { try $0.transformed(.rotate(quarterTurns: 1)) })
        XCTAssertNotEqual(rotatedData.test, plainData.test)

        let threeFeatures = try temporaryFile("three.csv", "1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n2,2,2,0\n")
        var nonSquare = try parse(text(["../data/digits.csv": threeFeatures, "clients: 20": "clients: 2",
                                        "clients_per_round: 5": "clients_per_round: 2", "scheme: dirichlet": "scheme: iid"]))
        nonSquare.data.transform = .flip
        XCTAssertThrowsError(try Simulation.prepareData(nonSquare)) { error in
            XCTAssertEqual("\(error)", "data.transform: flip needs square images, side x side features with the pixels "
                           + "row-major; 3 features is not a square")
        }
    }


    func testAttackAndAggregatorSectionsLoadAndWriteBack() throws {
        let scenario = try parse(text(["server:": """
            attack:
              kind: alie
              fraction: 0.2
              tau: 1
            aggregator:
              rule: krum
              f: 1
              original: true
              pre: [nnm, {name: static_clipping, c: 5}]
            server:
            """]))
        let attack = try XCTUnwrap(scenario.attack)
        XCTAssertEqual(attack.kind, .alie)
        XCTAssertEqual(attack.tau, 1)
        XCTAssertEqual(attack.clients.count, 4)
        XCTAssertEqual(attack.clients, attack.clients.sorted())
        XCTAssertEqual(scenario.aggregator, RobustAggregatorDescription(
            rule: "krum", parameters: ["f": 1, "original": 1],
            pre: [PreAggregatorDescription("nnm"), PreAggregatorDescription("static_clipping", parameters: ["c": 5])]))
        XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), scenario)
    }

    func testByzantineClientsByIdsAndTheirDefaults() throws {
        let scenario = try parse(text(["server:": "attack:\n  kind: ipm\n  clients: [3, 1]\nserver:"]))
        XCTAssertEqual(scenario.attack, AttackSettings(kind: .ipm, clients: [1, 3], tau: 2))
        XCTAssertNil(scenario.aggregator)
    }

    func testAnFTooLargeForTheStepIsNamedAtF() {
        // Five clients a round: the trimmed mean needs 2f < 5.
        let found = issues(text(["server:": "aggregator:\n  rule: trimmed_mean\n  f: 3\nserver:"]))
        XCTAssertEqual(found.map(\.field), ["aggregator.f"])
        XCTAssert(found.first?.message.hasSuffix("(each step aggregates 5 updates)") == true, found.first?.message ?? "")
    }

    func testBadAttackAndAggregatorSettingsAreNamed() {
        let found = issues(text(["server:": """
            attack:
              kind: sign_flp
              count: 2
              fraction: 0.1
              tau: 3
            aggregator:
              rule: krun
            server:
            """]))
        XCTAssertEqual(found.map(\.field), ["attack.kind", "attack.fraction", "aggregator.rule"])
        XCTAssert(found[0].message.contains("did you mean 'sign_flip'?"), found[0].message)
        XCTAssertEqual(found[1].message, "give exactly one of count, fraction or clients to say which clients are Byzantine")
        XCTAssert(found[2].message.contains("krun"), found[2].message)
    }

    func testFedAsyncTakesNoRobustRule() {
        let found = issues(text(["  clients_per_round: 5": "  algorithm: fedasync",
                                 "server:": "aggregator:\n  rule: median\nserver:"]))
        XCTAssertEqual(found.map(\.field), ["aggregator.rule"])
    }

    // MARK: - Privacy

    func testPrivacySectionIsReadAndResolvesBack() throws {
        let calibrated = try parse(text() + "privacy:\n  clip: 0.5\n  target_epsilon: 3\n")
        XCTAssertEqual(calibrated.privacy, PrivacySettings(mode: .sample, clipNorm: 0.5, targetEpsilon: 3, delta: 1e-5))
        let given = try parse(text() + """
            privacy:
              mode: sample
              clip: 1
              noise_multiplier: 1.25
              delta: 1e-6
              sampling_rate: 0.2

            """)
        XCTAssertEqual(given.privacy, PrivacySettings(mode: .sample, clipNorm: 1, noiseMultiplier: 1.25, delta: 1e-6,
                                                      samplingRate: 0.2))
        let client = try parse(text() + "privacy:\n  mode: client\n  clip: 2\n  noise_multiplier: 0.9\n")
        XCTAssertEqual(client.privacy?.mode, .client)
        XCTAssertEqual((client.server.strategy as? FedAvg)?.weighting, .uniform, "DP-FedAvg weighs every update 1/k")
        var resolved = calibrated
        resolved.privacy?.noiseMultiplier = 2.718281828459045
        for scenario in [calibrated, given, client, resolved] {
            XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"),
                           scenario, scenario.resolvedYAML)
        }
        XCTAssertNil(try parse(text()).privacy)
    }

    /// The one issue `privacy` (lines from 20 on) raises.
    private func privacyIssue(_ privacy: String, server: String = "", file: StaticString = #filePath,
                              line: UInt = #line) -> ScenarioIssue? {
        var yaml = text() + "privacy:\n" + privacy
        if !server.isEmpty { yaml = yaml.replacingOccurrences(of: "  rounds: 3\n", with: "  rounds: 3\n" + server) }
        let found = issues(yaml)
        XCTAssertEqual(found.count, 1, "\(found)", file: file, line: line)
        return found.first
    }

    func testSamplingRateOutsideZeroToOneIsNamed() {
        for bad in ["0", "1.5", "-0.25"] {
            let issue = privacyIssue("  clip: 1\n  noise_multiplier: 1\n  sampling_rate: \(bad)\n")
            XCTAssertEqual(issue?.field, "privacy.sampling_rate")
            XCTAssertEqual(issue?.line, 23)
            XCTAssert(issue?.message.hasPrefix("must be greater than 0.0 and at most 1.0") == true, issue?.message ?? "")
        }
    }

    func testNoiseMultiplierMustBePositive() {
        for bad in ["0", "-1"] {
            let issue = privacyIssue("  clip: 1\n  noise_multiplier: \(bad)\n")
            XCTAssertEqual(issue?.field, "privacy.noise_multiplier")
            XCTAssertEqual(issue?.line, 22)
            XCTAssert(issue?.message.hasPrefix("must be greater than 0.0") == true, issue?.message ?? "")
        }
        let clip = privacyIssue("  clip: 0\n  noise_multiplier: 1\n")
        XCTAssertEqual(clip?.field, "privacy.clip")
    }

    func testDeltaMustBeBelowOne() {
        for bad in ["1", "2.5", "0", "-1e-5"] {
            let issue = privacyIssue("  clip: 1\n  target_epsilon: 3\n  delta: \(bad)\n")
            XCTAssertEqual(issue?.field, "privacy.delta")
            XCTAssertEqual(issue?.line, 23)
            XCTAssert(issue?.message.hasPrefix("must be in (0, 1), got") == true, issue?.message ?? "")
        }
    }

    func testUnreachableTargetEpsilonIsNamed() throws {
        let issue = privacyIssue("  clip: 1\n  target_epsilon: 0.1\n")
        XCTAssertEqual(issue?.field, "privacy.target_epsilon")
        XCTAssertEqual(issue?.line, 22)
        XCTAssert(issue?.message.contains("target epsilon 0.1 is unreachable at delta 1e-05") == true, issue?.message ?? "")
        // The floor falls as delta grows: 0.1 is reachable at delta 1e-3.
        XCTAssertNoThrow(try parse(text() + "privacy:\n  clip: 1\n  target_epsilon: 0.1\n  delta: 1e-3\n"))
    }

    func testPrivacyNeedsNoiseOrTargetAndKnownFields() {
        let missing = privacyIssue("  clip: 1\n")
        XCTAssertEqual(missing?.field, "privacy.noise_multiplier")
        XCTAssertEqual(missing?.line, 21)
        XCTAssert(missing?.message.contains("'target_epsilon'") == true, missing?.message ?? "")

        let unknown = privacyIssue("  clip: 1\n  noise_multiplier: 1\n  epsilon: 3\n")
        XCTAssertEqual(unknown?.field, "privacy.epsilon")
        XCTAssertEqual(unknown?.line, 23)
        XCTAssertEqual(privacyIssue("  mode: user\n  clip: 1\n  noise_multiplier: 1\n")?.field, "privacy.mode")
        XCTAssertEqual(privacyIssue("  noise_multiplier: 1\n")?.message, "missing field 'clip'")
    }

    func testClientLevelPrivacyNeedsFedAvgOverEveryClient() {
        let rate = privacyIssue("  mode: client\n  clip: 1\n  noise_multiplier: 1\n  sampling_rate: 0.1\n")
        XCTAssertEqual(rate?.field, "privacy.sampling_rate")
        XCTAssertEqual(rate?.message, "applies to mode sample, not client")

        let weighting = privacyIssue("  mode: client\n  clip: 1\n  noise_multiplier: 1\n", server: "  weighting: samples\n")
        XCTAssertEqual(weighting?.field, "server.weighting")

        let found = issues(text([
            "  rounds: 3\n  clients_per_round: 5\n": "  algorithm: fedasync\n  rounds: 3\n",
        ]) + "privacy:\n  mode: client\n  clip: 1\n  noise_multiplier: 1\n")
        XCTAssertEqual(found.map(\.field), ["privacy.mode"])
        XCTAssert(found.first?.message.contains("needs server.algorithm fedavg") == true, found.first?.message ?? "")
    }

    func testClientLevelPrivacyTakesNoRobustRule() {
        let found = issues(text(["server:": "aggregator:\n  rule: median\nserver:"])
                           + "privacy:\n  mode: client\n  clip: 1\n  noise_multiplier: 1\n")
        XCTAssertEqual(found.map(\.field), ["aggregator.rule"])
    }
}

extension ScenarioLoaderTests {
    func testARunFolderKeepsFilePathsRelativeToItselfWhenTheyShareAFolder() throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("quickstart.yaml").path)
        let data = Self.repository.appendingPathComponent("data/digits.csv").path
        let inside = Self.repository.appendingPathComponent("runs/some-run").path
        let relative = scenario.resolvedYAML(filesRelativeTo: inside)
        XCTAssert(relative.contains("  path: \"../../data/digits.csv\"\n"), relative)
        XCTAssertEqual(try ScenarioLoader.parse(relative, file: "scenario.yaml", baseDirectory: inside), scenario)
        // As a container sees the same files under /fedsim.
        var moved = scenario
        moved.data.source = .csv(path: "/fedsim/data/digits.csv", labelColumn: -1)
        XCTAssert(moved.resolvedYAML(filesRelativeTo: "/fedsim/runs/compose").contains("  path: \"../../data/digits.csv\"\n"))
        // Sharing only the root, a path stays absolute; the plain form is always absolute.
        XCTAssert(scenario.resolvedYAML(filesRelativeTo: "/nonexistent/run").contains("  path: \"\(data)\"\n"))
        XCTAssert(scenario.resolvedYAML.contains("  path: \"\(data)\"\n"))
    }
}
