import ArgumentParser
import FedSimRuntime
import Foundation

/// `fedsim worker`: a worker process that joins a coordinator.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Join a coordinator and train the clients it assigns.")

    @Option(help: "The coordinator's ZeroMQ endpoint, e.g. tcp://coordinator:5555.")
    var connect: String

    @Option(help: "This worker's name in logs (default: hostname-pid).")
    var name: String?

    @Option(help: "The scenario this worker is for (its name or file); a coordinator running another refuses it.")
    var scenario = ""

    @Option(help: "Seconds to keep trying to reach the coordinator (at the start, or once it went silent) before giving up.")
    var connectTimeout = 120.0

    @Option(help: "Seconds without a message from the coordinator before a decentralized run's worker gives up.")
    var idleTimeout = 600.0

    @OptionGroup var heartbeat: HeartbeatOptions
    @Option(help: ArgumentHelp(
        "The largest message this worker accepts, in MiB; its Assign carries its clients' data.", valueName: "MiB"))
    var maxMessageMb = ZeroMQWorkerTransport.defaultMaxMessageBytes >> 20

    @OptionGroup var keys: KeysOption

    @Option(help: ArgumentHelp(
        "This worker's keys in the --keys folder, NAME.key_secret (default: the folder's only worker secret certificate).",
        valueName: "NAME"))
    var key: String?

    @Option(help: ArgumentHelp("The process this worker ends with (set by `fedsim run`).", visibility: .hidden))
    var parentPid: Int32?

    func run() throws {
        try reportingErrors {
            if let parentPid { try ParentDeath.follow(parent: parentPid) }
            guard (1...(1 << 20)).contains(maxMessageMb) else { throw UsageError("--max-message-mb must be 1 to 1048576") }
            let process = ProcessInfo.processInfo
            let workerName = name ?? "\(process.hostName)-\(process.processIdentifier)"
            try Simulation.work(connect: connect, name: workerName, scenario: scenario,
                                keys: try keys.folder?.workerKeys(name: key), maxMessageBytes: maxMessageMb << 20,
                                connectTimeout: connectTimeout, idleTimeout: idleTimeout, heartbeat: try heartbeat.value)
        }
    }
}
