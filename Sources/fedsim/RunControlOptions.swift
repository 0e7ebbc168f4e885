import ArgumentParser
import FedSimRuntime
import Foundation

/// How a coordinator keeps a run going: its run folder, checkpoints and heartbeats.
struct RunControlOptions: ParsableArguments {
    @Flag(help: "Replace an earlier run in the run folder (without it, a folder holding a run is refused).")
    var overwrite = false

    @Option(help: ArgumentHelp(
        "Write a checkpoint to RUN/checkpoint/ every N aggregation steps, or every Ns seconds ('none': only when stopped early).",
        valueName: "N|Ns"))
    var checkpointEvery = "60s"

    @OptionGroup var heartbeat: HeartbeatOptions

    /// The options, the interruption watched by `signals`.
    func runOptions(signals: SignalWatch) throws -> RunOptions {
        var options = try makeRunOptions(checkpointEvery: checkpointEvery, heartbeat: heartbeat.value, signals: signals)
        options.overwrite = overwrite
        return options
    }
}

/// Run options checkpointing as `--checkpoint-every` says (`N`, `Ns` or `none`), with
/// `heartbeat`, interrupted by the signals `signals` catches.
func makeRunOptions(checkpointEvery: String, heartbeat: Heartbeat, signals: SignalWatch) throws -> RunOptions {
    var options = RunOptions()
    if checkpointEvery == "none" {
        options.checkpointEvery = nil
    } else {
        guard let interval = CheckpointInterval(checkpointEvery) else {
            throw UsageError("--checkpoint-every must be a number of steps (10), of seconds (30s) or 'none', not '\(checkpointEvery)'")
        }
        options.checkpointEvery = interval
    }
    options.heartbeat = heartbeat
    options.interruption = { signals.caughtSignal }
    return options
}

/// How often a process tells its peer it is there, and how long it waits for the peer.
struct HeartbeatOptions: ParsableArguments {
    @Option(help: "Seconds between heartbeats while waiting.")
    var heartbeatInterval = 2.0

    @Option(help: "Seconds of silence after which the other side is taken for lost.")
    var heartbeatTimeout = 10.0

    var value: Heartbeat {
        get throws {
            guard heartbeatInterval > 0, heartbeatTimeout > heartbeatInterval, heartbeatTimeout.isFinite else {
                throw UsageError("--heartbeat-timeout (\(heartbeatTimeout)) must be longer than --heartbeat-interval (\(heartbeatInterval)), both positive")
            }
            return Heartbeat(interval: heartbeatInterval, timeout: heartbeatTimeout)
        }
    }
}

/// Watches SIGINT and SIGTERM for a run: the first stops it at the next action (saying
/// so on the terminal), a second ends the process.
func watchSignals() -> SignalWatch {
    SignalWatch { signal in
        FileHandle.standardError.write(Data(
            "\nfedsim: \(signal == SIGINT ? "SIGINT" : "SIGTERM"): stopping the workers and saving a checkpoint (again to quit at once)\n".utf8))
    }
}
