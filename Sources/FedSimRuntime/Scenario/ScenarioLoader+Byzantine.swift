import FedSimAlgorithms
import FedSimCore

/// The `attack:` and `aggregator:` sections.
extension ScenarioLoader {
    /// The `attack:` section: which clients are Byzantine (exactly one of `count`,
    /// `fraction` or `clients`) and what they send. Counts and fractions pick clients
    /// uniformly from the seed's attack stream.
    static func readAttack(_ reader: YAMLFieldReader, clients: Int, seed: UInt64) -> AttackSettings? {
        defer { reader.finish() }
        guard reader.node != nil else { return nil }
        let issuesBefore = reader.issueCount
        let kind: AttackKind = reader.choice("kind")
        let named = reader.issueCount == issuesBefore
        if named {
            rejectFields(of: [.ipm: ["tau"], .alie: ["tau"], .gaussian: ["mean", "sigma"], .mimic: ["index"]],
                         except: kind, in: reader, what: "attack")
        }
        let selectors = ["count", "fraction", "clients"].filter(reader.has)
        var byzantine: [Int] = []
        if selectors.count != 1 {
            for selector in selectors { _ = reader.value(selector) }
            let field = selectors.dropFirst().first ?? "count"
            reader.report(selectors.count > 1 ? reader.value(field) : reader.node, field,
                          "give exactly one of count, fraction or clients to say which clients are Byzantine")
        } else if selectors[0] == "clients" {
            byzantine = reader.reading("clients", as: .integerList(0...Int.max)) {
                reader.integerList("clients", default: [], elementsIn: 0...max(0, clients - 1))
            }
            if Set(byzantine).count != byzantine.count {
                reader.report(reader.value("clients"), "clients", "lists a client twice")
            }
        } else {
            let count = selectors[0] == "count"
                ? reader.reading("count", as: .integer(0...Int.max), required: true) { reader.integer("count", in: 0...clients) }
                : Int((reader.number("fraction", in: 0...1) * Double(clients)).rounded())
            var stream = RandomStream(seed: seed, purpose: .attack)
            byzantine = stream.sample(count, from: clients)
        }
        let settings = AttackSettings(
            kind: kind, clients: byzantine.sorted(), tau: reader.optionalNumber("tau", in: -1e6...1e6),
            mean: reader.number("mean", default: 0, in: -1e12...1e12),
            standardDeviation: reader.number("sigma", default: 1, in: 0...1e12),
            index: reader.integer("index", default: 0, in: 0...1_000_000))
        if settings.kind == .mimic, settings.clients.count == clients {
            reader.report(reader.node, "kind", "mimic copies an honest client, but every client is Byzantine")
        }
        return settings
    }

    /// The `aggregator:` section: a robust rule (`rule`, with its numeric parameters
    /// beside it) and the pre-aggregators run before it (`pre`, names or mappings with a
    /// `name`). The rule is tried on as many inputs as a step aggregates, so an f too
    /// large for them is reported here, not mid-run.
    static func readAggregator(_ reader: YAMLFieldReader, server: ServerSettings) -> RobustAggregatorDescription? {
        defer { reader.finish() }
        guard reader.node != nil else { return nil }
        let rule = reader.string("rule") ?? ""
        var parameters: [String: Double] = [:]
        for key in reader.keys where key != "rule" && key != "pre" {
            if key == "original", let flag = reader.value(key)?.bool {
                parameters[key] = flag ? 1 : 0
            } else {
                parameters[key] = reader.parameter(key, in: -1e12...1e12)
            }
        }
        var pre: [PreAggregatorDescription] = []
        if let list = reader.value("pre") {
            for step in list.sequence ?? [list] {
                if let name = step.string, step.scalar != nil {
                    pre.append(PreAggregatorDescription(name))
                } else if let mapping = step.mapping {
                    var name = ""
                    var values: [String: Double] = [:]
                    for (key, value) in mapping {
                        let label = key.string ?? ""
                        if label == "name" { name = value.string ?? "" } else if let number = value.float { values[label] = number } else {
                            reader.report(value, "pre", "pre-aggregator parameter '\(label)' must be a number")
                        }
                    }
                    pre.append(PreAggregatorDescription(name, parameters: values))
                } else {
                    reader.report(step, "pre", "each pre-aggregator is a name (nnm) or a mapping ({name: bucketing, s: 2})")
                }
            }
        }
        let description = RobustAggregatorDescription(rule: rule, parameters: parameters, pre: pre)
        if type(of: server.strategy).appliesOneUpdateAtATime {
            let others = ServerStrategies.all.filter { !$0.appliesOneUpdateAtATime }.map { $0.name }
            let choices = others.dropLast().joined(separator: ", ") + (others.count > 1 ? " or " : "") + (others.last ?? "")
            reader.report(reader.node, "rule",
                          "\(server.algorithm) applies one update at a time; a robust rule needs several (use \(choices))")
            return description
        }
        let inputs = server.strategy.updatesPerStep
        do {
            var aggregator = try RobustAggregator(description)
            if let inputs {
                var stream = RandomStream(seed: 0, purpose: .aggregation)
                _ = try aggregator.aggregate(Array(repeating: [0], count: inputs), stream: &stream)
            }
        } catch {
            let field = parameters["f"] != nil && "\(error)".contains("f ") ? "f" : "rule"
            reader.report(reader.value(field), field, "\(error)" + (inputs.map { " (each step aggregates \($0) updates)" } ?? ""))
        }
        return description
    }
}
