import Foundation

/// One field a sweep varies and its values: `fedsim sweep --grid field.path=v1,v2,...`.
public struct SweepAxis: Equatable, Sendable {
    /// The dotted field path, as `--set` takes it.
    public let field: String
    /// The values, each in YAML, in the order given.
    public let values: [String]

    /// Reads `field.path=v1,v2,...`. Values are split at the commas outside brackets,
    /// braces and quotes, so `aggregator.pre=[nnm],[bucketing, nnm]` has two, and trimmed.
    /// - Throws: `SweepError.badGrid` without a field or `=`, with an empty value, or
    ///   with a value given twice.
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw SweepError.badGrid(text, reason: "expected field.path=value,value,...")
        }
        field = String(text[..<equals])
        var values: [String] = [], current = "", depth = 0, quote: Character?
        for character in text[text.index(after: equals)...] {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "[" || character == "{" {
                depth += 1
            } else if character == "]" || character == "}" {
                depth -= 1
            } else if character == ",", depth == 0 {
                values.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(character)
        }
        values.append(current.trimmingCharacters(in: .whitespaces))
        if values.contains("") { throw SweepError.badGrid(text, reason: "a value is empty") }
        if let repeated = values.firstRepeated {
            throw SweepError.badGrid(text, reason: "the value '\(repeated)' is given twice")
        }
        self.values = values
    }
}

/// The seeds of a sweep, `fedsim sweep --seeds`: seeds and ranges separated by commas,
/// `1-5`, `1,3,7`, `1-3,10`.
public enum SweepSeeds {
    /// The most seeds one sweep takes, so that a typo such as `1-10000000` is an error
    /// rather than a sweep that never ends.
    public static let limit = 10_000

    /// The seeds `text` lists, in the order given.
    /// - Throws: `SweepError.badSeeds` for an empty item, an item that is neither a seed
    ///   (a whole number from 0) nor a range `low-high` with low <= high, a seed given
    ///   twice, or more than `limit` seeds.
    public static func parse(_ text: String) throws -> [UInt64] {
        var seeds: [UInt64] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingCharacters(in: .whitespaces)
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard bounds.count <= 2, let low = UInt64(bounds[0]), let high = UInt64(bounds[bounds.count - 1]) else {
                throw SweepError.badSeeds(text, reason: "'\(item)' is neither a seed (a whole number from 0) nor a range low-high")
            }
            guard low <= high else { throw SweepError.badSeeds(text, reason: "the range '\(item)' runs backwards") }
            guard high - low < UInt64(limit), seeds.count + Int(high - low) < limit else {
                throw SweepError.badSeeds(text, reason: "more than \(limit) seeds")
            }
            seeds += Array(low...high)
        }
        if let repeated = seeds.firstRepeated {
            throw SweepError.badSeeds(text, reason: "the seed \(repeated) is given twice")
        }
        return seeds
    }
}

/// One run of a sweep: a value for every grid field, and a seed.
public struct SweepRun: Equatable, Sendable {
    /// `field=value` for each grid field, in `--grid` order.
    public let settings: [String]
    public let seed: UInt64

    /// The run's folder in the sweep's folder: `settings` then `seed=N`, joined by commas,
    /// `server.learning_rate=0.1,seed=3`. In a field or value, every character other
    /// than an ASCII letter, digit, `.`, `_`, `-` or `+` is written as `%XX`, the hex of
    /// each of its UTF-8 bytes (`aggregator.pre=[nnm]` gives `aggregator.pre=%5Bnnm%5D`),
    /// so the name is one path component and two runs never share a folder.
    public var name: String {
        (settings.map { setting in
            let equals = setting.firstIndex(of: "=")!
            return Self.escaped(setting[..<equals]) + "=" + Self.escaped(setting[setting.index(after: equals)...])
        } + ["seed=\(seed)"]).joined(separator: ",")
    }

    /// The run's folder in the sweep's folder `sweepFolder`.
    public func folder(in sweepFolder: String) -> String {
        URL(fileURLWithPath: sweepFolder).appendingPathComponent(name).path
    }

    /// How the run in its folder under `sweepFolder` ended, as its summary says
    /// (`completed`, `failed`, `interrupted`); else `unfinished` when it has written
    /// metrics (killed, or still running), `not run` when it has not.
    public func status(in sweepFolder: String) -> String {
        let folder = folder(in: sweepFolder)
        if let status = RunFolder.status(in: folder) { return status.rawValue }
        return FileManager.default.fileExists(atPath: folder + "/metrics.jsonl") ? "unfinished" : "not run"
    }

    /// The grid point: the settings, or "all runs" when the grid is empty.
    public var point: String {
        settings.isEmpty ? "all runs" : settings.joined(separator: ", ")
    }

    private static func escaped(_ text: Substring) -> String {
        text.utf8.map { byte in
            let character = Character(Unicode.Scalar(byte))
            return byte < 128 && (character.isLetter || character.isNumber || ".-_+".contains(character))
                ? String(character) : String(format: "%%%02X", byte)
        }.joined()
    }
}

/// What `fedsim sweep` runs: a scenario with `--set` overrides, over the product of its
/// grid's values and its seeds.
public struct SweepPlan: Sendable {
    /// The scenario file.
    public let scenario: String
    /// `--set` overrides every run applies before its grid settings.
    public let overrides: [String]
    public let axes: [SweepAxis]
    public let seeds: [UInt64]

    /// - Throws: `SweepError` when two axes set one field, when an axis sets the seed
    ///   (which `--seeds` gives), or when there is no seed.
    public init(scenario: String, overrides: [String], axes: [SweepAxis], seeds: [UInt64]) throws {
        let fields = axes.map(\.field)
        if let repeated = fields.firstRepeated {
            throw SweepError.fieldRepeated(repeated)
        }
        guard !fields.contains("seed") else { throw SweepError.seedInGrid }
        guard !seeds.isEmpty else { throw SweepError.badSeeds("", reason: "no seed") }
        self.scenario = scenario
        self.overrides = overrides
        self.axes = axes
        self.seeds = seeds
    }

    /// Every run: grid points in the order of the product of the axes (the first axis
    /// varying slowest), each point's seeds in the order given.
    public var runs: [SweepRun] {
        let points = axes.reduce([[String]()]) { points, axis in
            points.flatMap { point in axis.values.map { point + ["\(axis.field)=\($0)"] } }
        }
        return points.flatMap { point in seeds.map { SweepRun(settings: point, seed: $0) } }
    }

    /// The longest folder name a file system takes.
    static let longestName = 255

    /// Loads the scenario of every run, as `fedsim run` will, so that no run starts
    /// before every one is known to be valid.
    /// - Throws: a `ScenarioError` with every distinct problem of every run (an issue
    ///   from the grid names its `--grid` setting), or `SweepError.nameTooLong`.
    public func validate() throws {
        var issues: [ScenarioIssue] = []
        for run in runs {
            if run.name.utf8.count > Self.longestName { throw SweepError.nameTooLong(run.name) }
            do {
                _ = try scenario(of: run)
            } catch let error as ScenarioError {
                let new = error.issues.filter { !issues.contains($0) }
                issues += new
            }
        }
        if !issues.isEmpty { throw ScenarioError(issues: issues) }
    }

    /// The scenario `run` runs: the file, the `--set` overrides, the grid settings, the seed.
    public func scenario(of run: SweepRun) throws -> Scenario {
        var loaded = try ScenarioLoader.load(
            path: scenario,
            overrides: overrides.map { ScenarioOverride($0, option: "--set") }
                + run.settings.map { ScenarioOverride($0, option: "--grid") })
        loaded.seed = run.seed
        return loaded
    }
}

extension Array where Element: Hashable {
    /// The first element that an earlier one equals; nil when all differ.
    fileprivate var firstRepeated: Element? {
        var seen = Set<Element>()
        return first { !seen.insert($0).inserted }
    }
}
