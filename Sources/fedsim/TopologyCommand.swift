import ArgumentParser
import FedSimCore
import Foundation

/// `fedsim topology`: a decentralized run's graph, made or read, with its facts.
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Make or read a topology and print its facts: degrees, diameter, lambda2, the Metropolis "
            + "gossip gap and DADAO's chi1 and chi2.",
        discussion: """
            Give an edge-list FILE, or --kind with its sizes: ring, path, complete, star and \
            exponential take --nodes; barbell takes an even --nodes (two complete graphs of \
            nodes/2 joined by one edge); torus and grid take --rows and --columns; erdos_renyi \
            takes --nodes, --p and --seed; random_geometric takes --nodes, --radius and --seed \
            (points in the unit square). Random kinds take the first connected draw. \
            --write saves the graph as an edge list whose comments say how it was made and \
            what its facts are.
            """)

    @Argument(help: "An edge-list file: one \"i j\" a line, # comments, optional first line \"nodes N\".")
    var file: String?

    @Option(help: "The generator: \(GraphKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: String?

    @Option(help: "Number of nodes.")
    var nodes: Int?

    @Option(help: "torus, grid: rows.")
    var rows: Int?

    @Option(help: "torus, grid: columns.")
    var columns: Int?

    @Option(name: .customLong("p"), help: "erdos_renyi: the probability of each edge.")
    var p: Double?

    @Option(help: "random_geometric: the distance within which two points are linked.")
    var radius: Double?

    @Option(help: "erdos_renyi, random_geometric: the seed of the draws (default 0).")
    var seed: UInt64?

    @Flag(help: "Print the facts as one JSON object.")
    var json = false

    @Option(help: "Also write the graph to this edge-list file.")
    var write: String?

    func run() throws {
        try reportingErrors {
            let recipe = try recipe()
            let (graph, description) = try recipe.makeDescribed()
            let facts = try GraphFacts(graph)
            let rows = alignedRows(Self.rows(facts))
            if let write {
                let command = (["fedsim", "topology"] + Self.arguments(recipe) + ["--write", write]).joined(separator: " ")
                let text = GraphFile.text(of: graph, comments: [description, command, ""] + rows)
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: write))
                } catch {
                    throw UsageError("cannot write '\(write)': \(error.localizedDescription)")
                }
            }
            print(json ? Self.json(facts) : ([description] + rows).joined(separator: "\n"))
        }
    }

    /// The recipe the FILE or the --kind options name.
    /// - Throws: `UsageError` for neither or both, an unknown kind, a missing size or an
    ///   option the kind does not take.
    func recipe() throws -> GraphRecipe {
        let parameters = GraphParameters(nodes: nodes, rows: rows, columns: columns, probability: p, radius: radius,
                                         seed: seed)
        let kinds = GraphKind.allCases.map(\.rawValue).joined(separator: ", ")
        switch (file, kind) {
        case let (file?, nil):
            if let extra = parameters.given.first { throw UsageError("--\(extra) applies to --kind, not to a graph file") }
            return .file(path: file)
        case let (nil, name?):
            guard let kind = GraphKind(rawValue: name) else {
                throw UsageError("unknown --kind '\(name)'; the kinds are \(kinds)")
            }
            do {
                return try GraphRecipe(kind: kind, parameters)
            } catch GraphParameterProblem.extra(let extra) {
                let takes = kind.parameters.map { "--" + $0 }.joined(separator: ", ")
                throw UsageError("--\(extra) does not apply to --kind \(name), which takes \(takes)")
            } catch GraphParameterProblem.missing(let option) {
                throw UsageError("--kind \(name) needs --\(option)")
            } catch GraphParameterProblem.oddBarbell(let nodes) {
                throw UsageError("--kind barbell needs an even --nodes (two complete graphs of nodes/2), got \(nodes)")
            }
        case (_?, _?):
            throw UsageError("give an edge-list FILE or --kind, not both")
        case (nil, nil):
            throw UsageError("give an edge-list FILE or --kind (\(kinds))")
        }
    }

    /// The arguments of `fedsim topology` that make `recipe` again.
    private static func arguments(_ recipe: GraphRecipe) -> [String] {
        guard let kind = recipe.kind else {
            if case let .file(path) = recipe { return [path] }
            return []
        }
        return ["--kind", kind.rawValue] + recipe.parameters.fields.flatMap { ["--" + $0.name, $0.value] }
    }

    /// The facts as label and value rows; numbers with six significant digits.
    private static func rows(_ facts: GraphFacts) -> [(String, String)] {
        func number(_ value: Double?, missing: String) -> String {
            value.map { String(format: "%.6g", $0) } ?? missing
        }
        let noChi = facts.connected ? "none (no edge)" : "none (not connected)"
        return [
            ("nodes", "\(facts.nodes)"),
            ("edges", "\(facts.edges)"),
            ("degree", "\(facts.minDegree) to \(facts.maxDegree)"),
            ("connected", facts.connected ? "yes" : "no"),
            ("diameter", facts.diameter.map { "\($0)" } ?? "infinite (not connected)"),
            ("lambda2", number(facts.lambda2, missing: "none (one node)")),
            ("Metropolis gap", number(facts.metropolisGap, missing: "none (one node)")),
            ("chi1", number(facts.dadao?.chi1, missing: noChi)),
            ("chi2", number(facts.dadao?.chi2, missing: noChi)),
        ]
    }

    /// The facts as one JSON object, keys in a fixed order; null for what is undefined.
    private static func json(_ facts: GraphFacts) -> String {
        func number(_ value: Double?) -> String { value.map(jsonNumber) ?? "null" }
        let fields: [(String, String)] = [
            ("nodes", "\(facts.nodes)"),
            ("edges", "\(facts.edges)"),
            ("min_degree", "\(facts.minDegree)"),
            ("max_degree", "\(facts.maxDegree)"),
            ("connected", "\(facts.connected)"),
            ("diameter", facts.diameter.map { "\($0)" } ?? "null"),
            ("lambda2", number(facts.lambda2)),
            ("metropolis_gap", number(facts.metropolisGap)),
            ("chi1", number(facts.dadao?.chi1)),
            ("chi2", number(facts.dadao?.chi2)),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}
