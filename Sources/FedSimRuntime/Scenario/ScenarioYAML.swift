import Foundation
import FedSimAlgorithms
import FedSimCore

extension Scenario {
    /// The scenario with every default filled in, in the scenario-file format, every
    /// file at its absolute path.
    public var resolvedYAML: String { resolvedYAML(files: FilePaths(relativeTo: nil)) }

    /// `resolvedYAML` as a run folder keeps it, so that it runs again as it is from
    /// where it lies: a file path that shares a folder other than the root with `folder`
    /// is written relative to `folder` (`../../data/digits.csv` from `runs/NAME`), so the
    /// copy a container wrote under `/fedsim/runs` runs on the host too; other paths stay
    /// absolute.
    public func resolvedYAML(filesRelativeTo folder: String) -> String {
        resolvedYAML(files: FilePaths(relativeTo: folder))
    }

    private func resolvedYAML(files: FilePaths) -> String {
        var lines = ["name: \(quoted(name))", "seed: \(seed)"] + (dataSeed.map { ["data_seed: \($0)"] } ?? [])
            + dataYAML(files) + [
            "model:",
            "  kind: \(model.kind.rawValue)",
            "  hidden: [\(model.hidden.map(String.init).joined(separator: ", "))]",
        ]
        if let l2 = model.l2 { lines.append("  l2: \(l2)") }
        if let image = model.image { lines.append("  image: [\(image.channels), \(image.rows), \(image.columns)]") }
        if !model.layers.isEmpty {
            lines.append("  layers:")
            lines += model.layers.map { "    - " + $0.yaml }
        }
        if let base = model.base { lines.append("  base: \(files(base))") }
        if let lora = model.lora {
            lines += ["  lora:", "    rank: \(lora.rank)", "    alpha: \(lora.alpha)"]
            if let layers = lora.layers { lines.append("    layers: [\(layers.map(String.init).joined(separator: ", "))]") }
        }
        if let decentralized {
            if !model.kind.isObjective(decentralized: true) { lines += trainingYAML(files) }
            lines += decentralizedYAML(decentralized, files)
            lines += byzantineYAML
            return lines.joined(separator: "\n") + "\n"
        }
        lines += trainingYAML(files)
        lines += serverYAML
        lines += systemYAML(files)
        lines += byzantineYAML
        lines += ["evaluation:", "  every: \(evaluation.every)"]
            + (evaluation.globalTrainEvery.map { ["  global_train_every: \($0)"] } ?? [])
        if let privacy {
            lines += ["privacy:", "  mode: \(privacy.mode.rawValue)", "  clip: \(privacy.clipNorm)"]
            if let sigma = privacy.noiseMultiplier { lines.append("  noise_multiplier: \(sigma)") }
            if let target = privacy.targetEpsilon { lines.append("  target_epsilon: \(target)") }
            lines.append("  delta: \(privacy.delta)")
            if let rate = privacy.samplingRate { lines.append("  sampling_rate: \(rate)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The scenario's data and partition sections, with every default filled in: with
    /// the seed and the model's kind, all that decides every client's rows.
    private func dataYAML(_ files: FilePaths) -> [String] {
        var lines = ["data:", "  source: \(data.source.kind)"]
        let classIDs = data.classes.map { ["  classes: \($0)"] } ?? []
        switch data.source {
        case let .csv(path, labelColumn):
            lines += ["  path: \(files(path))", "  label_column: \(labelColumn)"] + classIDs
        case let .libsvm(path, features):
            lines += ["  path: \(files(path))", "  features: \(features)"] + classIDs
        case let .idx(images, labels):
            lines += ["  images: \(files(images))", "  labels: \(files(labels))"] + classIDs
        case let .leaf(path, testPath):
            lines += ["  path: \(files(path))"] + (testPath.map { ["  test_path: \(files($0))"] } ?? []) + classIDs
        case let .synthetic(alpha, beta, features, classes, maxSamplesPerClient):
            lines += ["  alpha: \(alpha)", "  beta: \(beta)", "  features: \(features)", "  classes: \(classes)",
                      "  max_samples_per_client: \(maxSamplesPerClient)"]
        case let .syntheticIID(features, classes, maxSamplesPerClient):
            lines += ["  features: \(features)", "  classes: \(classes)", "  max_samples_per_client: \(maxSamplesPerClient)"]
        case let .syntheticRegression(features, samplesPerClient, informative, noise, slopeRange):
            lines += ["  features: \(features)", "  samples_per_client: \(samplesPerClient)",
                      "  informative: \(informative)", "  noise: \(noise)",
                      "  slope_range: [\(slopeRange.lowerBound), \(slopeRange.upperBound)]"]
        }
        switch data.clientColumn {
        case let .index(column)?: lines.append("  client_column: \(column)")
        case .qid?: lines.append("  client_column: qid")
        case nil: break
        }
        lines += [
            "  normalize: \(data.normalize.rawValue)",
            "  test_fraction: \(data.testFraction)",
        ]
        if let groups = data.labelGroups {
            lines.append("  label_groups: [" + groups.map { "[\($0.map(String.init).joined(separator: ", "))]" }
                .joined(separator: ", ") + "]")
        }
        if let transform = data.transform {
            lines += ["  transform:", "    kind: \(transform.kind.rawValue)"]
            switch transform {
            case let .permute(seed): lines.append("    seed: \(seed)")
            case let .rotate(quarterTurns): lines.append("    degrees: \(quarterTurns * 90)")
            case .flip: break
            }
        }
        return lines + [
            "partition:",
            "  scheme: \(partition.scheme.rawValue)",
            "  clients: \(partition.clients)",
            "  alpha: \(partition.alpha)",
            "  min_samples: \(partition.minSamples)",
            "  shards_per_client: \(partition.shardsPerClient)",
        ]
    }

    /// How a worker builds the clients' rows itself (`Simulation.prepareClients`): a
    /// scenario of this one's name, seed, data and partition sections and model kind.
    public var dataRecipe: String {
        (["name: \(quoted(name))", "seed: \(effectiveDataSeed)"] + dataYAML(FilePaths(relativeTo: nil))
            + ["model:", "  kind: \(model.kind.rawValue)"])
            .joined(separator: "\n") + "\n"
    }

    /// The training section; the local work as `local_epochs` or `local_steps`, whichever
    /// the scenario set.
    private func trainingYAML(_ files: FilePaths) -> [String] {
        let work: String
        switch training.work {
        case .epochs(let epochs): work = "local_epochs: \(epochs)"
        case .steps(let steps): work = "local_steps: \(steps)"
        }
        return [
            "training:",
            "  \(work)",
            "  batch_size: \(training.batchSize)",
            "  learning_rate: \(training.learningRate)",
            "  optimizer: \(training.optimizer.rawValue)",
            "  momentum: \(training.momentum)",
            "  weight_decay: \(training.weightDecay)",
            "  proximal_mu: \(training.proximalMu)",
        ] + (training.gradientClip.map { ["  gradient_clip: \($0)"] } ?? []) + (training.ordering.map(orderingYAML) ?? [])
            + (expertModel.map { ["  expert_model: \(files($0))"] } ?? [])
    }

    /// `training.ordering` and its pacing.
    private func orderingYAML(_ ordering: DataOrdering) -> [String] {
        let over: String
        switch ordering.pacing.span {
        case .localSteps: over = "local_steps"
        case .rounds: over = "rounds"
        }
        return ["  ordering: \(ordering.order.rawValue)",
                "  pacing: {function: \(ordering.pacing.function.rawValue), start: \(ordering.pacing.start), "
                + "full_at: \(ordering.pacing.fullAt), over: \(over)}"]
    }

    /// The decentralized section: the algorithm, the topology (a path or a generator's
    /// fields), the run's length, then the algorithm's own fields.
    private func decentralizedYAML(_ settings: DecentralizedSettings, _ files: FilePaths) -> [String] {
        var lines = ["decentralized:", "  algorithm: \(settings.algorithmName)"]
        if let kind = settings.topology.kind {
            lines += ["  topology:", "    kind: \(kind.rawValue)"]
            lines += settings.topology.parameters.fields.map { "    \($0.name): \($0.value)" }
        } else if case let .file(path) = settings.topology {
            lines.append("  topology: \(files(path))")
        }
        lines += ["  time_budget: \(settings.timeBudget)", "  evaluation_interval: \(settings.evaluationInterval)"]
        var algorithm = SettingsWriter(indent: "  ")
        settings.algorithm.writeSettings(to: &algorithm)
        // A network trains as `training:` says: the fields for an objective do not apply.
        let skipped = model.kind.isObjective(decentralized: true) ? []
            : type(of: settings.algorithm).objectiveFields.map { "  \($0):" }
        lines += algorithm.lines.filter { line in !skipped.contains { line.hasPrefix($0) } }
        if let mixing = settings.mixing {
            let (rule, values) = mixing.named
            lines += ["  aggregator:", "    rule: \(rule)"] + values.map { "    \($0.0): \($0.1)" }
        }
        return lines
    }

    /// The server section: the algorithm's own fields, then the shared ones.
    private var serverYAML: [String] {
        var lines = ["server:", "  algorithm: \(server.algorithm)"]
        if let rounds = server.rounds { lines.append("  rounds: \(rounds)") }
        if let budget = server.timeBudget { lines.append("  time_budget: \(budget)") }
        lines.append("  learning_rate: \(server.learningRate)")
        var algorithm = SettingsWriter(indent: "  ")
        server.strategy.writeSettings(to: &algorithm)
        lines += algorithm.lines
        lines.append("  optimizer: \(server.optimizer.rawValue)")
        switch server.optimizer {
        case .sgd: break
        case .momentum: lines.append("  beta1: \(server.beta1)")
        case .adam, .yogi: lines += ["  beta1: \(server.beta1)", "  beta2: \(server.beta2)", "  tau: \(server.tau)"]
        }
        if model.lora != nil {
            lines.append("  adapter: \(server.adapter.rawValue)")
            if server.adapter == .fedsvd { lines.append("  svd_period: \(server.svdPeriod)") }
        }
        return lines
    }

    /// The attack and aggregator sections, when the scenario has them.
    private var byzantineYAML: [String] {
        var lines: [String] = []
        if let attack {
            lines += ["attack:", "  kind: \(attack.kind.rawValue)",
                      "  clients: [\(attack.clients.map(String.init).joined(separator: ", "))]"]
            switch attack.kind {
            case .ipm, .alie: lines.append("  tau: \(attack.tau)")
            case .gaussian: lines += ["  mean: \(attack.mean)", "  sigma: \(attack.standardDeviation)"]
            case .mimic: lines.append("  index: \(attack.index)")
            case .signFlip, .labelFlip, .optimalIPM, .optimalALIE: break
            }
        }
        if let aggregator {
            lines += ["aggregator:", "  rule: \(aggregator.rule)"]
            lines += aggregator.parameters.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
            if !aggregator.pre.isEmpty {
                lines.append("  pre:")
                for step in aggregator.pre {
                    let values = step.parameters.sorted { $0.key < $1.key }.map { ", \($0.key): \($0.value)" }.joined()
                    lines.append("    - {name: \(step.name)\(values)}")
                }
            }
        }
        return lines
    }

    /// The system section: each profile with the fields it reads.
    private func systemYAML(_ files: FilePaths) -> [String] {
        var lines = ["system:", "  compute:"]
        switch system.compute {
        case let .constant(seconds):
            lines += ["    profile: constant", "    seconds: \(seconds)"]
        case let .linear(heterogeneity, slowest):
            lines += ["    profile: linear", "    heterogeneity: \(heterogeneity)", "    slowest: \(slowest)"]
        case let .exponential(mean):
            lines += ["    profile: exponential", "    mean: \(mean)"]
        case let .lognormal(mu, sigma):
            lines += ["    profile: lognormal", "    mu: \(mu)", "    sigma: \(sigma)"]
        case .trace:
            lines += ["    profile: trace", "    path: \(files(system.computeTrace ?? ""))"]
        }
        if system.redrawsCompute { lines.append("    redraw: per_job") }
        let link = system.link
        lines += ["  link:", "    latency: \(link.latency)"]
        if let download = link.downloadBytesPerSecond { lines.append("    download_bandwidth: \(download)") }
        if let upload = link.uploadBytesPerSecond { lines.append("    upload_bandwidth: \(upload)") }
        lines += ["    bandwidth_sigma: \(link.bandwidthHeterogeneity)", "  availability:"]
        switch system.availability {
        case .always:
            lines.append("    profile: always")
        case let .probability(p, period):
            lines += ["    profile: probability", "    p: \(p)", "    period: \(period)"]
        case let .onOff(meanOnline, meanOffline):
            lines += ["    profile: on_off", "    mean_online: \(meanOnline)", "    mean_offline: \(meanOffline)"]
        case .trace:
            lines += ["    profile: trace", "    path: \(files(system.availabilityTrace ?? ""))"]
        }
        return lines
    }
}

/// A YAML double-quoted scalar: a JSON string is one.
private func quoted(_ text: String) -> String {
    JSONObject.quote(text)
}

/// How a scenario file names the files it reads: at their absolute paths, or relative to
/// a folder when they share one with it below the root.
private struct FilePaths {
    /// The folder's path components, from "/"; nil: absolute paths.
    private let folder: [String]?

    init(relativeTo folder: String?) {
        self.folder = folder.map { URL(fileURLWithPath: $0).standardizedFileURL.pathComponents }
    }

    /// `path`, quoted.
    func callAsFunction(_ path: String) -> String {
        guard let folder, path.hasPrefix("/") else { return quoted(path) }
        let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        let shared = zip(folder, components).prefix { $0 == $1 }.count
        guard shared > 1 else { return quoted(path) }
        let upward = [String](repeating: "..", count: folder.count - shared)
        return quoted((upward + components[shared...]).joined(separator: "/"))
    }
}

extension LayerRecipe {
    /// The stage as `model.layers` lists it.
    var yaml: String {
        switch self {
        case let .conv(filters, kernel, stride, padding):
            return "{conv: {filters: \(filters), kernel: \(kernel), stride: \(stride), padding: \(padding)}}"
        case let .maxPool(size): return "{maxpool: \(size)}"
        case .relu: return "relu"
        case .flatten: return "flatten"
        case let .dense(units): return "{dense: \(units)}"
        }
    }
}
