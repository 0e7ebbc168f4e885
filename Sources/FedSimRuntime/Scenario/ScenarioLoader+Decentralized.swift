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
        reader.recognize(GossipAlgorithms.all.flatMap { $0.fields })
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
            evaluationInterval: reader.number("evaluation_interval", default: 1, in: 0...1e9, excludingLowerBound: true))
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
