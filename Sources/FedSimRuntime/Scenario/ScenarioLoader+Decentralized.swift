import FedSimAlgorithms
import FedSimCore
import Foundation
import Yams

extension ScenarioLoader {
    /// The `decentralized:` section: the algorithm named by `algorithm` reads its own
    /// fields, then `topology` (a graph file's path, or a mapping with `kind` and the
    /// kind's parameters), `time_budget` and `evaluation_interval` (1). The graph is made
    /// here, so a bad file, a graph whose node count is not `partition.clients`, or a
    /// disconnected graph for an algorithm that needs a connected one is reported with
    /// the scenario's problems.
    static func readDecentralized(_ reader: YAMLFieldReader, isObjective: Bool, nodes: Int,
                                  baseDirectory: String) -> DecentralizedSettings {
        let name = reader.name("algorithm", among: GossipAlgorithms.names)
        let algorithmType = GossipAlgorithms.type(named: name) ?? DADAO.self
        rejectFields(of: Dictionary(uniqueKeysWithValues: GossipAlgorithms.all.map { ($0.name, $0.fields) }),
                     except: algorithmType.name, in: reader, what: "algorithm")
        if algorithmType.needsObjective, !isObjective {
            reader.report("algorithm", "\(name) needs a strongly convex objective: model.kind logistic or softmax with "
                          + "model.l2, or least_squares")
        }
        if !isObjective {
            for field in algorithmType.objectiveFields where reader.has(field) {
                reader.report(field, "applies to an objective (model.kind logistic, softmax or least_squares); a network "
                              + "trains as training: says")
            }
        }
        let algorithm = GossipAlgorithms.read(algorithmType, from: reader)
        let topology = readTopology(reader, nodes: nodes, needsConnected: algorithmType.needsObjective,
                                    algorithm: name, baseDirectory: baseDirectory)
        return DecentralizedSettings(
            algorithm: algorithm, topology: topology,
            timeBudget: reader.number("time_budget", in: 0...1e9, excludingLowerBound: true),
            evaluationInterval: reader.number("evaluation_interval", default: 1, in: 0...1e9, excludingLowerBound: true),
            mixing: readMixing(reader, algorithm: algorithm, topology: topology))
    }

    /// `aggregator`: the robust rule that replaces D-SGD's averaging, `{rule: trimmed_mean,
    /// f: 3}` (any rule of the server's `aggregator:` section, without pre-aggregators) or
    /// `{rule: clipped_gossip, tau: 1}`.
    private static func readMixing(_ reader: YAMLFieldReader, algorithm: any GossipAlgorithm,
                                   topology: GraphRecipe) -> RobustMixing? {
        guard reader.has("aggregator") else { return nil }
        guard let dsgd = algorithm as? DSGD else {
            reader.report("aggregator", "a robust aggregator replaces D-SGD's averaging (algorithm dsgd); "
                          + "\(type(of: algorithm).name) combines as its own rule says")
            return nil
        }
        let section = reader.section("aggregator")
        defer { section.finish() }
        if dsgd.variant == .gradientTracking { reader.report("aggregator", "\(GossipError.robustTracking)") }
        let rule = section.string("rule") ?? ""
        let settings = section.keys.filter { $0 != "rule" }.sorted().map { ($0, section.parameter($0, in: -1e12...1e12)) }
        let mixing: RobustMixing
        do {
            mixing = try RobustMixing(rule: rule, settings: settings)
        } catch {
            section.report(section.value("rule"), "rule", "\(error)")
            return nil
        }
        // The rule is tried on as many vectors as the node of lowest degree combines.
        if case let .rule(description) = mixing, let graph = try? topology.make(), let degree = graph.degrees.min() {
            do {
                var aggregator = try RobustAggregator(description)
                var stream = RandomStream(seed: 0, purpose: .aggregation)
                _ = try aggregator.aggregate(Array(repeating: [0], count: degree + 1), stream: &stream)
            } catch {
                let field = settings.contains { $0.0 == "f" } && "\(error)".contains("f ") ? "f" : "rule"
                section.report(section.value(field), field,
                               "\(error) (a node of degree \(degree) combines its own vector and \(degree) more)")
            }
        }
        return mixing
    }

    /// Checks an `attack:` section against the decentralized run it attacks: an algorithm
    /// with synchronous rounds (dsgd, monna), an attack that needs no server aggregator,
    /// and at least one honest node.
    static func checkDecentralizedAttack(_ attack: AttackSettings, _ settings: DecentralizedSettings,
                                         attackReader: YAMLFieldReader, decentralizedReader: YAMLFieldReader) {
        let algorithm = settings.algorithmName
        if !(settings.algorithm is DSGD || settings.algorithm is MoNNA) {
            decentralizedReader.report("algorithm", "\(algorithm) has no Byzantine nodes; an attack: section needs "
                                       + "algorithm dsgd or monna")
        }
        if let dsgd = settings.algorithm as? DSGD, dsgd.variant == .gradientTracking {
            decentralizedReader.report("variant", "a Byzantine node sends one vector; gradient tracking's messages "
                                       + "carry x and y (use variant plain with an attack)")
        }
        if attack.kind == .optimalIPM || attack.kind == .optimalALIE {
            attackReader.report("kind", "\(attack.kind.rawValue) searches against the server's aggregator; in a "
                                + "decentralized run use ipm, alie, sign_flip, gaussian, mimic or label_flip")
        }
        if let monna = settings.algorithm as? MoNNA, monna.f == nil, let nodes = try? settings.topology.make().nodes,
           2 * attack.clients.count + 1 > nodes {
            attackReader.report("count", "MoNNA tolerates at most (n - 1) / 2 = \((nodes - 1) / 2) Byzantine nodes "
                                + "of \(nodes), got \(attack.clients.count)")
        }
    }

    /// `topology`: a path (relative to the scenario's folder) or `{kind: ..., nodes: ...}`.
    private static func readTopology(_ reader: YAMLFieldReader, nodes: Int, needsConnected: Bool, algorithm: String,
                                     baseDirectory: String) -> GraphRecipe {
        let fallback = GraphRecipe.complete(nodes: max(nodes, 1))
        let issuesBefore = reader.issueCount
        guard let node = reader.value("topology", required: true) else { return fallback }
        let recipe: GraphRecipe
        if node.scalar != nil {
            guard let path = existingFile(reader, "topology", baseDirectory: baseDirectory, kind: "topology file") else {
                return fallback
            }
            recipe = .file(path: path)
        } else {
            let section = reader.section("topology")
            let kinds = GraphKind.allCases.map(\.rawValue)
            guard let kind = GraphKind(rawValue: section.name("kind", among: kinds)) else { return fallback }
            for key in section.keys where key != "kind" && !kind.parameters.contains(key) {
                section.report(key, "does not apply to kind \(kind.rawValue), which takes \(kind.parameters.joined(separator: ", "))")
            }
            section.recognize(["kind"] + kind.parameters)
            let parameters = GraphParameters(
                nodes: section.optionalInteger("nodes", in: 1...1_000_000),
                rows: section.optionalInteger("rows", in: 1...1_000_000),
                columns: section.optionalInteger("columns", in: 1...1_000_000),
                probability: section.optionalNumber("p", in: 0...1),
                radius: section.optionalNumber("radius", in: 0...2),
                seed: section.optionalInteger("seed", in: 0...Int.max).map(UInt64.init))
            do {
                recipe = try GraphRecipe(kind: kind, parameters)
            } catch GraphParameterProblem.missing(let parameter) {
                section.report(parameter, "missing field '\(parameter)' (kind \(kind.rawValue) takes \(kind.parameters.joined(separator: ", ")))")
                return fallback
            } catch GraphParameterProblem.oddBarbell(let count) {
                section.report("nodes", "a barbell needs an even number of nodes (two complete graphs of nodes/2), got \(count)")
                return fallback
            } catch {
                return fallback
            }
            section.finish()
        }
        guard reader.issueCount == issuesBefore else { return recipe }
        do {
            let graph = try recipe.make()
            if graph.nodes != nodes {
                reader.report("topology", "the graph has \(graph.nodes) nodes and partition.clients is \(nodes): "
                              + "a decentralized run has one node per part of the partition")
            } else if needsConnected, !graph.isConnected {
                reader.report("topology", "\(algorithm) needs a connected graph, and this one is not")
            }
        } catch {
            reader.report("topology", "\(error)")
        }
        return recipe
    }
}
