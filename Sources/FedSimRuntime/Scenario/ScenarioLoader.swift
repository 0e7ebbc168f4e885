import FedSimAlgorithms
import FedSimCore
import Foundation
import Yams

/// Reads scenario files: YAML with a fixed set of fields (see README), every problem
/// reported with file, line, column and field, every relative path resolved against
/// the scenario file's folder.
public enum ScenarioLoader {
    /// Loads and validates the scenario at `path`, with `overrides` ("field.path=value",
    /// the value in YAML: `aggregator.rule=krum`, `attack=null`, `aggregator.pre=[nnm]`)
    /// applied on top of the file before it is read; errors name them as `--set`s.
    public static func load(path: String, overrides: [String] = []) throws -> Scenario {
        try load(path: path, overrides: overrides.map { ScenarioOverride($0, option: "--set") })
    }

    /// Loads and validates the scenario at `path` with `overrides` applied, each named in
    /// errors by the option that gave it.
    public static func load(path: String, overrides: [ScenarioOverride]) throws -> Scenario {
        try load(path: path, overrides: overrides, recorder: nil)
    }

    /// `load(path:overrides:)`, recording every field read in `recorder`.
    static func load(path: String, overrides: [ScenarioOverride], recorder: FieldRecorder?) throws -> Scenario {
        let url = URL(fileURLWithPath: path)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ScenarioError(issues: [ScenarioIssue(
                file: path, line: 1, column: 1, field: "",
                message: FileManager.default.fileExists(atPath: path)
                    ? "cannot read the scenario file (is it UTF-8 text?)" : "no such scenario file")])
        }
        let baseDirectory = url.deletingLastPathComponent().path
        return try reading(text, file: path, overrides: overrides, recorder: recorder) {
            read($0, file: path, baseDirectory: baseDirectory)
        }
    }

    /// Parses scenario text; `file` names it in errors, `baseDirectory` anchors relative paths.
    public static func parse(_ text: String, file: String, baseDirectory: String,
                             overrides: [ScenarioOverride] = []) throws -> Scenario {
        try reading(text, file: file, overrides: overrides, recorder: nil) {
            read($0, file: file, baseDirectory: baseDirectory)
        }
    }

    /// Parses a data recipe (`Scenario.dataRecipe`): the name, seed, data, partition and
    /// model kind that decide every client's rows. The rest of the scenario is defaults.
    public static func parseDataRecipe(_ text: String, file: String) throws -> Scenario {
        try reading(text, file: file, overrides: [], recorder: nil) { root in
            let name = root.string("name", default: "recipe") ?? "recipe"
            let seed = UInt64(root.integer("seed", default: 0, in: 0...Int.max))
            let dataReader = root.section("data", required: true)
            let data = readData(dataReader, baseDirectory: "/")
            let partitionReader = root.section("partition", required: true)
            let partition = readPartition(partitionReader, data: data)
            let modelReader = root.section("model", required: true)
            let kind: ModelKind = modelReader.choice("kind")
            for reader in [dataReader, partitionReader, modelReader, root] { reader.finish() }
            return Scenario(name: name, seed: seed, data: data, partition: partition, model: ModelSettings(kind: kind),
                            training: LocalTraining(work: .epochs(1), batchSize: 1, learningRate: 0),
                            server: ServerSettings(), evaluation: EvaluationSettings())
        }
    }

    /// What `body` reads from the YAML of `text` with `overrides` applied; throws every
    /// problem it reported. `recorder` records every field read.
    private static func reading(_ text: String, file: String, overrides: [ScenarioOverride], recorder: FieldRecorder?,
                                _ body: (YAMLFieldReader) -> Scenario) throws -> Scenario {
        let diagnostics = ScenarioDiagnostics(file: file)
        diagnostics.recorder = recorder
        var root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ScenarioError(issues: [yamlIssue(error, file: file)])
        }
        for override in overrides {
            root = try applying(override, to: root)
        }
        let reader = YAMLFieldReader(root, path: "", diagnostics: diagnostics)
        if root == nil {
            diagnostics.report(at: nil, field: "", "the scenario file is empty")
        }
        let scenario = body(reader)
        guard diagnostics.issues.isEmpty else {
            throw ScenarioError(issues: diagnostics.issues.map { locatingOverrides($0, overrides) })
        }
        return scenario
    }

    private static func read(_ root: YAMLFieldReader, file: String, baseDirectory: String) -> Scenario {
        let defaultName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let name = root.reading("name", as: .string, documentedDefault: "the file's name") {
            root.string("name", default: defaultName)
        } ?? defaultName
        let seed = UInt64(root.integer("seed", default: 0, in: 0...Int.max))
        let dataSeed = root.has("data_seed") ? UInt64(root.integer("data_seed", default: 0, in: 0...Int.max)) : nil

        let dataReader = root.section("data", required: true)
        let data = readData(dataReader, baseDirectory: baseDirectory)
        let partitionReader = root.section("partition", required: true)
        let partition = readPartition(partitionReader, data: data)
        let decentralizedReader = root.has("decentralized") ? root.section("decentralized") : nil
        let modelReader = root.section("model", required: true)
        var model = readModel(modelReader, decentralized: decentralizedReader != nil)
        model.base = readBase(modelReader, model: model, decentralized: decentralizedReader != nil,
                              baseDirectory: baseDirectory)
        checkTargets(model: model, data: data, partition: partition, modelReader: modelReader, dataReader: dataReader,
                     partitionReader: partitionReader)
        let isObjective = model.kind.isObjective(decentralized: decentralizedReader != nil)
        var training = LocalTraining(work: .epochs(1), batchSize: 32, learningRate: 0.1)
        var trainingReader: YAMLFieldReader?
        var expertModel: String?
        if isObjective {
            if root.has("training") {
                root.report(root.value("training"), "training",
                            "applies to network models (model.kind mlp); on an objective the algorithm's own settings "
                            + "(decentralized:) set the steps")
            }
        } else {
            let reader = root.section("training", required: true)
            training = readTraining(reader)
            trainingReader = reader
            expertModel = readExpert(reader, model: model, baseDirectory: baseDirectory)
        }
        if let decentralizedReader {
            for field in ["ordering", "expert_model"]
            where trainingReader?.has(field) == true && (field != "ordering" || training.ordering != nil) {
                trainingReader?.report(trainingReader?.value(field), field,
                                       "ordered local learning is for server runs; a decentralized run shuffles")
            }
            for section in serverSections where section != "attack" && root.has(section) {
                root.report(root.value(section), section,
                            "applies to server runs; a decentralized run (decentralized:) has no \(section) section")
            }
            let decentralized = readDecentralized(decentralizedReader, isObjective: isObjective, nodes: partition.clients,
                                                  baseDirectory: baseDirectory)
            let attack = readAttack(root.section("attack"), clients: partition.clients, seed: seed)
            if let attack {
                checkDecentralizedAttack(attack, decentralized, attackReader: root.section("attack"),
                                         decentralizedReader: decentralizedReader)
            }
            for reader in [dataReader, partitionReader, modelReader, decentralizedReader, root] + [trainingReader].compactMap({ $0 }) {
                reader.finish()
            }
            var scenario = Scenario(name: name, seed: seed, data: data, partition: partition, model: model,
                                    training: training, server: ServerSettings(), attack: attack,
                                    evaluation: EvaluationSettings(), decentralized: decentralized)
            scenario.dataSeed = dataSeed
            return scenario
        }

        let serverReader = root.section("server", required: true)
        var server = readServer(serverReader, clients: partition.clients, hasAdapters: model.lora != nil)
        let system = readSystem(root.section("system"), clients: partition.clients, seed: seed,
                                baseDirectory: baseDirectory)
        let privacy = readPrivacy(root.section("privacy"), server: server, system: system)
        checkOrdering(&training, trainingReader: trainingReader, server: server, privacy: privacy)
        if var fedAvg = server.strategy as? FedAvg, case var .curriculum(curriculum) = fedAvg.selection {
            if let rounds = server.rounds {
                curriculum.rounds = rounds
                fedAvg.selection = .curriculum(curriculum)
                server.strategy = fedAvg
            } else {
                serverReader.report(serverReader.value("selection"), "selection",
                                    "a curriculum over clients paces the run's client updates; it needs server.rounds")
            }
        }
        if privacy != nil, let fedAvg = server.strategy as? FedAvg, fedAvg.stragglers > 0 || server.hasPartialWork {
            serverReader.report(serverReader.value(fedAvg.stragglers > 0 ? "stragglers" : "straggler_work"),
                                fedAvg.stragglers > 0 ? "stragglers" : "straggler_work",
                                "a private run plans every client's local steps before training; stragglers change them")
        }
        if privacy != nil, server.strategy.clientSelection.readsLosses {
            serverReader.report(serverReader.value("selection"), "selection",
                                "a private run plans every client's participation before training; a selection "
                                + "by reported losses depends on training, so the two do not combine")
        }
        if privacy?.mode == .sample, let trainingReader, trainingReader.has("gradient_clip") {
            trainingReader.report("gradient_clip", "sample-level DP-SGD clips each example's gradient to privacy.clip "
                                  + "already; remove gradient_clip")
        }
        if privacy?.mode == .client, var fedAvg = server.strategy as? FedAvg {
            if serverReader.has("weighting"), fedAvg.weighting != .uniform {
                serverReader.report(serverReader.value("weighting"), "weighting",
                                    "client-level privacy (privacy.mode: client) weighs every update 1/clients_per_round; "
                                    + "use weighting: uniform or leave it out")
            }
            fedAvg.weighting = .uniform
            server.strategy = fedAvg
        }
        if let deadline = (server.strategy as? FedAvg)?.deadline,
           let machines = try? system.makeModel(clients: partition.clients, seed: seed) {
            let fastest = (0..<partition.clients).map(machines.computeTime).min() ?? 0
            if deadline < fastest {
                serverReader.report(serverReader.value("deadline"), "deadline",
                                    "every client's job takes at least \(fastest) s (system.compute), so a deadline of \(deadline) s would drop them all")
            }
        }
        let attack = readAttack(root.section("attack"), clients: partition.clients, seed: seed)
        let aggregatorReader = root.section("aggregator")
        let aggregator = readAggregator(aggregatorReader, server: server)
        if privacy?.mode == .client, aggregator != nil {
            aggregatorReader.report(aggregatorReader.node, "rule",
                                    "client-level privacy bounds each client's effect on the clipped average; "
                                    + "a robust rule changes that bound, so the two do not combine")
        }
        let evaluationReader = root.section("evaluation")
        let evaluation = EvaluationSettings(
            every: evaluationReader.integer("every", default: 1, in: 1...100_000_000),
            globalTrainEvery: evaluationReader.optionalInteger("global_train_every", in: 1...100_000_000))

        for reader in [dataReader, partitionReader, modelReader, serverReader, evaluationReader, root]
            + [trainingReader].compactMap({ $0 }) {
            reader.finish()
        }
        var scenario = Scenario(name: name, seed: seed, data: data, partition: partition, model: model,
                                training: training, server: server, system: system, attack: attack,
                                aggregator: aggregator, evaluation: evaluation, privacy: privacy)
        scenario.expertModel = expertModel
        scenario.dataSeed = dataSeed
        return scenario
    }

    /// The sections of a server run, which a decentralized one refuses.
    static let serverSections = ["server", "system", "attack", "aggregator", "privacy", "evaluation"]

    /// The `model:` section. `l2` is required by the logistic and softmax objectives of
    /// decentralized runs, optional for least squares (a ridge) and refused elsewhere.
    private static func readModel(_ reader: YAMLFieldReader, decentralized: Bool) -> ModelSettings {
        let kind: ModelKind = reader.choice("kind")
        let l2: Double?
        if kind == .leastSquares {
            l2 = reader.optionalNumber("l2", in: 0...1e6, excludingLowerBound: true)
        } else if kind.isObjective(decentralized: decentralized) {
            l2 = reader.number("l2", in: 0...1e6, excludingLowerBound: true)
        } else {
            l2 = nil
        }
        let hidden = reader.integerList("hidden", default: [], elementsIn: 1...1_000_000)
        let model = ModelSettings(
            kind: kind, hidden: hidden, l2: l2,
            lora: reader.has("lora") ? readLoRA(reader, kind: kind, hidden: hidden, decentralized: decentralized) : nil,
            layers: readLayers(reader, kind: kind), image: readImage(reader, kind: kind))
        if model.kind == .mlp, model.hidden.isEmpty {
            reader.report(reader.node, "hidden", "an mlp needs at least one hidden layer, like hidden: [64]")
        }
        if model.kind != .mlp, !model.hidden.isEmpty {
            let what = kind == .cnn || kind == .layers ? "a \(kind.rawValue) model lists its stages in layers" : "\(kind.rawValue) regression has no hidden layers"
            reader.report(reader.node, "hidden", "\(what); remove hidden or use kind: mlp")
        }
        if kind == .logistic || kind == .leastSquares, !decentralized {
            reader.report(reader.value("kind"), "kind",
                          "\(kind == .logistic ? "logistic regression" : "least-squares linear regression") is an "
                          + "objective for decentralized runs (decentralized:); a server run uses softmax or mlp")
        }
        if !kind.isObjective(decentralized: decentralized), reader.has("l2") {
            reader.report(reader.value("l2"), "l2",
                          "applies to the objectives of decentralized runs (logistic, softmax, least_squares); a "
                          + "network takes training.weight_decay")
        }
        return model
    }

    /// `model.layers`, the stages of a `layers` model, each `relu`, `flatten`,
    /// `{conv: {filters: F, kernel: K, stride: 1, padding: 0}}`, `{maxpool: S}` or
    /// `{dense: UNITS}`; convolutions and pooling only before the first flatten or dense
    /// stage. The dense layer to the classes comes after them by itself.
    private static func readLayers(_ reader: YAMLFieldReader, kind: ModelKind) -> [LayerRecipe] {
        guard kind == .layers else {
            if let list = reader.value("layers") {
                reader.report(list, "layers", "lists the stages of kind layers; \(kind.rawValue) has its own (use kind: layers)")
            }
            return []
        }
        guard let list = reader.value("layers", required: true) else { return [] }
        guard let elements = list.sequence, !elements.isEmpty else {
            reader.report(list, "layers", "must be a list of stages, like [{conv: {filters: 32, kernel: 5}}, relu, {maxpool: 2}, flatten]")
            return []
        }
        var recipe: [LayerRecipe] = []
        var flattened = false
        for (index, element) in elements.enumerated() {
            let field = "layers[\(index)]"
            let stage: LayerRecipe?
            if let name = element.string, element.scalar != nil {
                switch name {
                case "relu": stage = .relu
                case "flatten": stage = .flatten
                default:
                    reader.report(element, field, "unknown stage '\(name)'; a stage is relu, flatten, {conv: ...}, {maxpool: S} or {dense: UNITS}")
                    stage = nil
                }
            } else if let mapping = element.mapping, mapping.count == 1, let name = mapping.first?.key.string {
                let stageReader = reader.element(element, of: "layers", at: index)
                switch name {
                case "conv":
                    let conv = stageReader.section("conv", required: true)
                    stage = .conv(filters: conv.integer("filters", in: 1...65_536), kernel: conv.integer("kernel", in: 1...1024),
                                  stride: conv.integer("stride", default: 1, in: 1...1024),
                                  padding: conv.integer("padding", default: 0, in: 0...1023))
                    conv.finish()
                case "maxpool": stage = .maxPool(size: stageReader.integer("maxpool", in: 1...1024))
                case "dense": stage = .dense(units: stageReader.integer("dense", in: 1...1_000_000))
                default:
                    reader.report(element, field, "unknown stage '\(name)'; a stage is relu, flatten, {conv: ...}, {maxpool: S} or {dense: UNITS}")
                    stage = nil
                }
            } else {
                reader.report(element, field, "a stage is relu, flatten, or a mapping of one stage name: {conv: ...}, {maxpool: S}, {dense: UNITS}")
                stage = nil
            }
            guard let stage else { continue }
            if stage.needsImage, flattened {
                reader.report(element, field, "works on images, and the stages before it flattened the image")
            }
            if !stage.needsImage, stage != .relu { flattened = true }
            recipe.append(stage)
        }
        return recipe
    }

    /// `model.image: [channels, rows, columns]` for a `cnn` or `layers` model; nil when absent.
    private static func readImage(_ reader: YAMLFieldReader, kind: ModelKind) -> ImageShape? {
        guard reader.has("image") else { return nil }
        guard kind == .cnn || kind == .layers else {
            reader.report("image", "is the image shape of a cnn or layers model; \(kind.rawValue) reads rows of features")
            return nil
        }
        let sizes = reader.integerList("image", default: [], elementsIn: 1...1_000_000)
        guard sizes.count == 3 else {
            reader.report("image", "must be [channels, rows, columns], like [1, 28, 28]")
            return nil
        }
        return ImageShape(channels: sizes[0], rows: sizes[1], columns: sizes[2])
    }

    /// Least squares and data with real targets go together: least squares reads a
    /// file's labels as targets (csv, libsvm) or takes synthetic_regression data, which
    /// no other model can learn. Classes do not apply to targets (label_groups, the
    /// label-skewing partitions), and without a ridge every synthetic client needs at least
    /// as many training rows as features.
    private static func checkTargets(model: ModelSettings, data: DataSettings, partition: PartitionSettings,
                                     modelReader: YAMLFieldReader, dataReader: YAMLFieldReader,
                                     partitionReader: YAMLFieldReader) {
        let isRegression = model.kind == .leastSquares
        switch data.source {
        case .syntheticRegression where !isRegression:
            modelReader.report(modelReader.value("kind"), "kind",
                               "synthetic_regression data has real targets, not classes: use kind: least_squares")
        case .idx, .synthetic, .syntheticIID, .leaf:
            if isRegression {
                modelReader.report(modelReader.value("kind"), "kind",
                                   "least squares needs real targets, and \(data.source.kind) data has classes; use "
                                   + "data.source synthetic_regression, or csv or libsvm whose labels are real targets")
            }
        default:
            break
        }
        guard isRegression else { return }
        if data.classes != nil {
            dataReader.report(dataReader.value("classes"), "classes",
                              "reads the labels as class ids, and least squares reads them as real targets")
        }
        if data.labelGroups != nil {
            dataReader.report(dataReader.value("label_groups"), "label_groups",
                              "makes classes of labels, and least squares reads real targets")
        }
        if partition.scheme == .dirichlet || partition.scheme == .shards {
            partitionReader.report(partitionReader.value("scheme"), "scheme",
                                   "\(partition.scheme.rawValue) skews the classes, and least squares reads real targets "
                                   + "without classes; use scheme: iid")
        }
        if model.l2 == nil, case let .syntheticRegression(features, samples, _, _, _) = data.source, samples * 9 / 10 < features {
            dataReader.report(dataReader.value("samples_per_client"), "samples_per_client",
                              "each client trains on floor(0.9 x \(samples)) = \(samples * 9 / 10) rows, fewer than its "
                              + "\(features) features, so least squares without model.l2 is not strongly convex at any "
                              + "node; draw at least \((features * 10 + 8) / 9) samples a client or set model.l2")
        }
    }

    /// `model.lora`: rank, alpha (default: the rank) and the wrapped layers, which must be
    /// the dense layers of the stack (`layers.<index>` in model files), in a server run.
    private static func readLoRA(_ model: YAMLFieldReader, kind: ModelKind, hidden: [Int], decentralized: Bool)
        -> LoRASettings {
        let reader = model.section("lora")
        reader.recognize(["layers"])
        defer { reader.finish() }
        let rank = reader.integer("rank", in: 1...1_000_000)
        let lora = LoRASettings(rank: rank, alpha: reader.number("alpha", default: Double(rank), in: 0...1e6,
                                                                 excludingLowerBound: true),
                                layers: reader.has("layers") ? reader.integerList("layers", default: [], elementsIn: 0...1_000_000) : nil)
        if decentralized || !(kind == .softmax || kind == .mlp) {
            model.report("lora", "adapters are for the networks of server runs (model.kind softmax or mlp)")
        }
        // The stack: Dense (ReLU Dense) per hidden layer, so the dense layers sit at even indices.
        let dense = Array(stride(from: 0, through: 2 * (kind == .mlp ? hidden.count : 0), by: 2))
        if let layers = lora.layers {
            if layers.isEmpty {
                reader.report("layers", "lists no layer; leave it out to wrap every dense layer")
            } else if let stray = layers.first(where: { !dense.contains($0) }) {
                reader.report("layers", "layer \(stray) is not a dense layer of the model, whose dense layers are "
                              + dense.map(String.init).joined(separator: ", "))
            } else if Set(layers).count != layers.count {
                reader.report("layers", "lists a layer twice")
            }
        }
        return lora
    }

    private static func readTraining(_ reader: YAMLFieldReader) -> LocalTraining {
        LocalTraining(
            work: readWork(reader),
            batchSize: reader.integer("batch_size", default: 32, in: 1...10_000_000),
            learningRate: Float(reader.number("learning_rate", in: 0...1e6, excludingLowerBound: true)),
            optimizer: reader.choice("optimizer", default: .sgd),
            momentum: Float(reader.number("momentum", default: 0.9, in: 0...1)),
            weightDecay: Float(reader.number("weight_decay", default: 0, in: 0...1e6)),
            proximalMu: Float(reader.number("proximal_mu", default: 0, in: 0...1e6)),
            gradientClip: reader.optionalNumber("gradient_clip", in: 0...1e12, excludingLowerBound: true).map(Float.init),
            ordering: readOrdering(reader))
    }

    /// `training.ordering` (`shuffle`, the default, or a `DataOrdering.Order`) and
    /// `training.pacing`: `function` (linear), `start` b (0.2), `full_at` a (0.8) and
    /// `over` (`local_steps`, or `rounds`, whose count `checkOrdering` fills in). With
    /// `shuffle` the pacing is checked and unused, so a sweep over orderings keeps one.
    private static func readOrdering(_ reader: YAMLFieldReader) -> DataOrdering? {
        let name = reader.name("ordering", among: ["shuffle"] + DataOrdering.Order.allCases.map(\.rawValue),
                               default: "shuffle")
        let pacing = reader.section("pacing")
        defer { pacing.finish() }
        let over = pacing.name("over", among: ["local_steps", "rounds"], default: "local_steps")
        var settings = Pacing.read(pacing)
        if over == "rounds" { settings.span = .rounds(current: 0, total: 1) }
        return DataOrdering.Order(rawValue: name).map { DataOrdering(order: $0, pacing: settings) }
    }

    /// Ordered local learning in a server run: not with sample-level DP-SGD (which
    /// samples rows rather than walking them); pacing over rounds spans `server.rounds`,
    /// which it needs.
    private static func checkOrdering(_ training: inout LocalTraining, trainingReader: YAMLFieldReader?,
                                      server: ServerSettings, privacy: PrivacySettings?) {
        guard var ordering = training.ordering, let trainingReader else { return }
        if privacy?.mode == .sample {
            trainingReader.report(trainingReader.value("ordering"), "ordering",
                                  "sample-level DP-SGD draws Poisson samples of all rows; it cannot walk them in order")
        }
        guard case .rounds = ordering.pacing.span else { return }
        guard let rounds = server.rounds else {
            let pacing = trainingReader.section("pacing")
            pacing.report(pacing.value("over"), "over", "pacing over rounds needs server.rounds")
            return
        }
        ordering.pacing.span = .rounds(current: 0, total: rounds)
        training.ordering = ordering
    }

    /// `local_epochs` (in 1...100_000, 1 when neither is given) or `local_steps` (in
    /// 1...1_000_000): a task takes one or the other, and a scenario giving both is
    /// reported at `local_steps`.
    private static func readWork(_ reader: YAMLFieldReader) -> LocalWork {
        guard reader.has("local_steps") else {
            return .epochs(reader.integer("local_epochs", default: 1, in: 1...LocalTraining.maximumEpochs))
        }
        if reader.has("local_epochs") {
            reader.recognize(["local_epochs"])
            reader.report("local_steps", "excludes local_epochs: a task takes either local_epochs passes over the "
                          + "client's data or local_steps optimizer steps; remove one of them")
        }
        return .steps(reader.integer("local_steps", in: 1...LocalTraining.maximumSteps))
    }

    private static func readData(_ reader: YAMLFieldReader, baseDirectory: String) -> DataSettings {
        let issuesBefore = reader.issueCount
        let named = reader.name("source", among: ["csv", "libsvm", "idx", "leaf", "synthetic", "synthetic_iid",
                                                  "synthetic_regression"])
        // An unknown or missing source reads no further fields.
        let kind = reader.issueCount == issuesBefore ? named : ""
        func file(_ key: String) -> String {
            existingFile(reader, key, baseDirectory: baseDirectory, kind: "data file") ?? ""
        }
        let source: DataSource
        switch kind {
        case "csv":
            source = .csv(path: file("path"), labelColumn: reader.integer("label_column", default: -1, in: -100_000...100_000))
        case "libsvm":
            source = .libsvm(path: file("path"), features: reader.integer("features", default: 0, in: 0...LIBSVMLoader.maximumFeatures))
        case "idx":
            source = .idx(images: file("images"), labels: file("labels"))
        case "leaf":
            source = .leaf(path: file("path"), testPath: reader.has("test_path") ? file("test_path") : nil)
        case "synthetic":
            source = .synthetic(
                alpha: reader.number("alpha", default: 1, in: 0...1e6),
                beta: reader.number("beta", default: 1, in: 0...1e6),
                features: reader.integer("features", default: 60, in: 1...1_000_000),
                classes: reader.integer("classes", default: 10, in: 2...1_000_000),
                maxSamplesPerClient: reader.integer("max_samples_per_client", default: 1000, in: 51...10_000_000))
        case "synthetic_iid":
            source = .syntheticIID(
                features: reader.integer("features", default: 60, in: 1...1_000_000),
                classes: reader.integer("classes", default: 10, in: 2...1_000_000),
                maxSamplesPerClient: reader.integer("max_samples_per_client", default: 1000, in: 51...10_000_000))
        case "synthetic_regression":
            let features = reader.integer("features", default: 10, in: 1...1_000_000)
            source = .syntheticRegression(
                features: features,
                samplesPerClient: reader.integer("samples_per_client", default: 100, in: 2...10_000_000),
                informative: reader.reading("informative", as: .integer(1...1_000_000), documentedDefault: "features") {
                    reader.integer("informative", default: features, in: 1...features)
                },
                noise: reader.number("noise", default: 10, in: 0...1e12),
                slopeRange: reader.numberRange("slope_range", default: 0.01...5, in: -1e12...1e12))
        default:
            source = .synthetic(alpha: 1, beta: 1, features: 60, classes: 10, maxSamplesPerClient: 1000)
        }
        return DataSettings(
            source: source,
            normalize: reader.choice("normalize", default: Normalization.none),
            testFraction: reader.number("test_fraction", default: 0.2, in: 0...1, excludingLowerBound: true),
            labelGroups: readLabelGroups(reader),
            transform: readTransform(reader, source: source),
            classes: source.isGenerated ? nil : reader.optionalInteger("classes", in: 2...1_000_000),
            clientColumn: readClientColumn(reader, source: source))
    }

    /// `client_column`: a csv column index (negative from the end) or, for libsvm, `qid`.
    private static func readClientColumn(_ reader: YAMLFieldReader, source: DataSource) -> ClientColumn? {
        guard let node = reader.value("client_column") else { return nil }
        switch source {
        case let .csv(_, labelColumn):
            let column = reader.integer("client_column", in: -100_000...100_000)
            if column == labelColumn {
                reader.report(node, "client_column", "is the label column (\(labelColumn))")
            }
            return .index(column)
        case .libsvm:
            reader.recognize(["client_column"])
            guard node.string == "qid" else {
                reader.report(node, "client_column", "a libsvm row names its client with a qid:N token: use client_column: qid")
                return nil
            }
            return .qid
        default:
            reader.recognize(["client_column"])
            reader.report(node, "client_column", "applies to csv and libsvm files, not \(source.kind) data"
                          + (source.isSplitByClient ? ", which comes split by client" : ""))
            return nil
        }
    }

    /// `transform`: `{kind: permute, seed: s}` (seed 0 when left out),
    /// `{kind: rotate, degrees: 90 | 180 | 270}` or `{kind: flip}`, for data read from files.
    private static func readTransform(_ reader: YAMLFieldReader, source: DataSource) -> FeatureTransform? {
        guard let node = reader.value("transform") else { return nil }
        guard node.mapping != nil else {
            reader.report(node, "transform", "must be a mapping like {kind: permute, seed: 1}, {kind: rotate, degrees: 90} "
                          + "or {kind: flip}")
            return nil
        }
        if source.isGenerated {
            reader.report(node, "transform", "applies to data read from files (csv, libsvm, idx, leaf), not \(source.kind) data")
        }
        let section = reader.section("transform")
        let kind: FeatureTransform.Kind = section.choice("kind")
        rejectFields(of: [FeatureTransform.Kind.permute: ["seed"], .rotate: ["degrees"], .flip: []], except: kind,
                     in: section, what: "transform kind")
        let transform: FeatureTransform
        switch kind {
        case .permute:
            transform = .permute(seed: UInt64(section.integer("seed", default: 0, in: 0...Int.max)))
        case .rotate:
            let issuesBefore = section.issueCount
            let degrees = section.integer("degrees", in: Int.min...Int.max)
            if section.issueCount == issuesBefore, ![90, 180, 270].contains(degrees) {
                section.report("degrees", "must be 90, 180 or 270 (counterclockwise), got \(degrees)")
            }
            transform = .rotate(quarterTurns: degrees / 90)
        case .flip:
            transform = .flip
        }
        section.finish()
        return transform
    }

    /// `label_groups`: a list of at least one non-empty list of labels, no label twice.
    private static func readLabelGroups(_ reader: YAMLFieldReader) -> [[Int]]? {
        guard let node = reader.value("label_groups") else { return nil }
        let example = "like [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]"
        guard let groups = node.sequence, !groups.isEmpty else {
            reader.report(node, "label_groups", "must be a list of lists of labels, \(example)")
            return nil
        }
        var seen = Set<Int>()
        var result: [[Int]] = []
        for group in groups {
            guard let labels = group.sequence, !labels.isEmpty,
                  case let values = labels.compactMap(\.int), values.count == labels.count, values.allSatisfy({ $0 >= 0 }) else {
                reader.report(group, "label_groups", "each group must be a non-empty list of labels (integers >= 0), \(example)")
                return nil
            }
            if let repeated = values.first(where: { !seen.insert($0).inserted }) {
                reader.report(group, "label_groups", "label \(repeated) is in two groups")
                return nil
            }
            result.append(values)
        }
        return result
    }

    /// The path in field `key`, resolved against `baseDirectory`; reported and nil when
    /// the field is missing or names no file.
    static func existingFile(_ reader: YAMLFieldReader, _ key: String, baseDirectory: String,
                                     kind: String) -> String? {
        guard let relative = reader.string(key) else { return nil }
        let path = relative.hasPrefix("/") ? relative
            : URL(fileURLWithPath: baseDirectory).appendingPathComponent(relative).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            reader.report(reader.value(key), key, "missing \(kind) '\(path)' (paths are relative to the scenario file's folder)")
            return nil
        }
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        guard type == .typeRegular else {
            let what = type == .typeDirectory ? "a directory" : "not a regular file (a pipe, socket or device)"
            reader.report(reader.value(key), key, "'\(path)' is \(what); \(key) names a \(kind)")
            return nil
        }
        return path
    }

    /// Reports every field of `reader` that only other choices than `chosen` read,
    /// naming the choices that do: `owners` lists the fields each choice reads.
    static func rejectFields(of owners: [String: [String]], except chosen: String, in reader: YAMLFieldReader,
                             what: String) {
        let allowed = Set(owners[chosen] ?? [])
        var readers: [String: [String]] = [:]
        for (owner, fields) in owners {
            for field in fields where !allowed.contains(field) { readers[field, default: []].append(owner) }
        }
        for (field, names) in readers.sorted(by: { $0.key < $1.key }) where reader.has(field) {
            let list = names.sorted().joined(separator: ", ")
            reader.report(reader.value(field), field,
                          "applies to \(what)\(names.count > 1 ? "s" : "") \(list), not \(chosen)")
        }
    }

    /// `rejectFields` for choices that are an enumeration's cases.
    static func rejectFields<Choice: RawRepresentable & Hashable>(
        of owners: [Choice: [String]], except chosen: Choice, in reader: YAMLFieldReader, what: String
    ) where Choice.RawValue == String {
        rejectFields(of: Dictionary(uniqueKeysWithValues: owners.map { ($0.key.rawValue, $0.value) }),
                     except: chosen.rawValue, in: reader, what: what)
    }

    /// The `server:` section: the algorithm named by `algorithm` reads its own fields
    /// (fields of other algorithms are reported, naming the algorithms that read them),
    /// then the fields every algorithm shares.
    private static func readServer(_ reader: YAMLFieldReader, clients: Int, hasAdapters: Bool) -> ServerSettings {
        let name = reader.name("algorithm", among: ServerStrategies.names, default: FedAvg.name)
        let algorithm = ServerStrategies.type(named: name) ?? FedAvg.self
        rejectFields(of: Dictionary(uniqueKeysWithValues: ServerStrategies.all.map { ($0.name, $0.fields) }),
                     except: algorithm.name, in: reader, what: "algorithm")

        let rounds = reader.optionalInteger("rounds", in: 1...100_000_000)
        let timeBudget = reader.optionalNumber("time_budget", in: 0...1e12, excludingLowerBound: true)
        if rounds == nil, timeBudget == nil {
            reader.report(reader.node, "rounds", "missing field 'rounds' (or 'time_budget', in virtual seconds)")
        }
        let strategy = ServerStrategies.read(algorithm, from: reader, clients: clients)
        let optimizer: ServerOptimizerKind = reader.choice("optimizer", default: .sgd)
        rejectFields(of: [ServerOptimizerKind.momentum: ["beta1"], .adam: ["beta1", "beta2", "tau"], .yogi: ["beta1", "beta2", "tau"]],
                     except: optimizer, in: reader, what: "optimizer")
        let settings = ServerSettings(
            strategy: strategy, rounds: rounds, timeBudget: timeBudget,
            learningRate: reader.number("learning_rate", default: 1, in: 0...1e6, excludingLowerBound: true),
            optimizer: optimizer,
            beta1: reader.number("beta1", default: 0.9, in: 0...0.999_999),
            beta2: reader.number("beta2", default: 0.99, in: 0...0.999_999),
            tau: reader.number("tau", default: 1e-3, in: 0...1e6, excludingLowerBound: true),
            adapter: hasAdapters ? reader.choice("adapter", default: .lora) : .lora,
            svdPeriod: reader.integer("svd_period", default: 1, in: 1...100_000_000))
        reader.recognize(["adapter"])
        if !hasAdapters, reader.has("adapter") {
            reader.report("adapter", "applies to a model with adapters (model.lora)")
        }
        if settings.adapter != .fedsvd, reader.has("svd_period") {
            reader.report("svd_period", "applies to server.adapter fedsvd")
        }
        return settings
    }

    private static func readPartition(_ reader: YAMLFieldReader, data: DataSettings) -> PartitionSettings {
        let isSplitByClient = data.isSplitByClient
        let scheme: PartitionKind = reader.choice("scheme", default: isSplitByClient ? .natural : .iid)
        let partition = PartitionSettings(
            scheme: scheme,
            clients: reader.integer("clients", in: 1...10_000_000),
            alpha: reader.number("alpha", default: 0.5, in: 0...1e6, excludingLowerBound: true),
            minSamples: reader.integer("min_samples", default: 1, in: 0...10_000_000),
            shardsPerClient: reader.integer("shards_per_client", default: 2, in: 1...10_000_000))
        if isSplitByClient != (scheme == .natural) {
            reader.report(
                reader.value("scheme"), "scheme",
                isSplitByClient ? "\(data.source.kind) data \(data.clientColumn == nil ? "comes" : "with a client_column is") "
                    + "split by client: use scheme: natural"
                    + (data.source.kind == "synthetic" ? " (source synthetic_iid makes IID clients)" : "")
                    : "scheme natural needs data with its own clients (source: synthetic, synthetic_iid, "
                    + "synthetic_regression or leaf, or a csv or libsvm file with a client_column)")
        }
        return partition
    }

    /// `issue` placed at the override that gave its field, when one did: a value set from
    /// the command line has no line in the file.
    private static func locatingOverrides(_ issue: ScenarioIssue, _ overrides: [ScenarioOverride]) -> ScenarioIssue {
        guard let override = overrides.last(where: { override in
            issue.field == override.field || issue.field.hasPrefix(override.field + ".")
        }) else { return issue }
        return ScenarioIssue(file: override.option, line: 1, column: 1, field: issue.field,
                             message: "\(issue.message) (from \(override.option) \(override.assignment))")
    }

    private static func yamlIssue(_ error: YamlError, file: String) -> ScenarioIssue {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return ScenarioIssue(file: file, line: mark.line, column: mark.column, field: "",
                                 message: "invalid YAML: \(context.map { "\($0.text) " } ?? "")\(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ScenarioIssue(file: file, line: context.mark.line, column: context.mark.column,
                                 field: "", message: "duplicate field \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
        default:
            return ScenarioIssue(file: file, line: 1, column: 1, field: "", message: "invalid YAML: \(error)")
        }
    }
}
