import FedSimCore

/// Why `fedsim sweep` refused its options, or did not finish every run.
public enum SweepError: FedSimError, Equatable, Sendable {
    /// A `--grid` option (`text`) that does not read.
    case badGrid(String, reason: String)
    /// The `--seeds` option (`text`) that does not read.
    case badSeeds(String, reason: String)
    /// Two `--grid` options set one field.
    case fieldRepeated(String)
    /// A `--grid` option sets the seed.
    case seedInGrid
    /// A run's folder name longer than a file system takes.
    case nameTooLong(String)
    /// The `fedsim run` process of a run could not start.
    case cannotStart(run: String, executable: String, reason: String)
    /// Runs that did not complete, named by their folders in `folder`.
    case runsFailed([String], folder: String)
    /// `sweep.csv` or `sweep.md` could not be written.
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .badGrid(text, reason): return "--grid '\(text)': \(reason)"
        case let .badSeeds(text, reason): return "--seeds '\(text)': \(reason)"
        case let .fieldRepeated(field): return "--grid sets '\(field)' twice; give all its values in one --grid"
        case .seedInGrid: return "--grid cannot set the seed; list seeds with --seeds"
        case let .nameTooLong(name):
            return "the run folder name '\(name)' is longer than \(SweepPlan.longestName) bytes; sweep fewer fields at once"
        case let .cannotStart(run, executable, reason): return "cannot start \(executable) for the run \(run): \(reason)"
        case let .runsFailed(names, folder):
            return "\(names.count) run\(names.count == 1 ? "" : "s") did not complete: "
                + names.map { "\($0) (its output: \(folder)/\($0).log)" }.joined(separator: ", ")
                + "; run the same sweep again to run \(names.count == 1 ? "it" : "them") again"
        case let .cannotWrite(file, reason): return "cannot write '\(file)': \(reason)"
        }
    }
}
