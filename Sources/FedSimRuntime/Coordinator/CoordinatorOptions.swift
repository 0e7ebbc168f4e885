import Foundation

/// How a coordinator waits and reports; none of it changes what is computed.
public struct CoordinatorOptions {
    /// Worker processes to wait for before the first round.
    public var workers: Int
    /// Seconds for every worker to say Hello.
    public var handshakeTimeout: Double = 60
    /// Seconds without any message while updates are owed before the run fails.
    public var silenceTimeout: Double = 300
    /// Called while waiting for messages; throws to abort the run (a worker process died
    /// and cannot be replaced, or the run was interrupted).
    public var healthCheck: () throws -> Void = {}
    /// How often the coordinator sends each worker a Heartbeat while it waits, and how
    /// long the transport waits for a worker's answer to its pings before the worker is
    /// lost.
    public var heartbeat = Heartbeat()
    /// The signal that asked the run to stop (SIGINT, SIGTERM), if one did; checked
    /// between actions and while waiting.
    public var interruption: () -> Int32? = { nil }
    /// When a server run writes a checkpoint (besides when it is interrupted or fails);
    /// nil: never.
    public var checkpointEvery: CheckpointInterval?
    public var log: (String) -> Void = { message in
        FileHandle.standardError.write(Data("fedsim coordinator: \(message)\n".utf8))
    }
    /// Tells the user something went differently than the scenario asked (a run that
    /// ended early); shown even when `log` writes to a file.
    public var warn: (String) -> Void = { message in
        FileHandle.standardError.write(Data("fedsim: warning: \(message)\n".utf8))
    }
    /// Other names a worker may give for this coordinator's scenario (besides its `name`),
    /// such as the scenario file's path.
    public var scenarioAliases: Set<String> = []
    /// Called after every aggregation step with its record.
    public var progress: (StepRecord) -> Void = { _ in }
    /// Called after every evaluation of a decentralized run with its record.
    public var gossipProgress: (GossipRecord) -> Void = { _ in }

    public init(workers: Int) {
        self.workers = workers
    }
}
