import ArgumentParser
import FedSimRuntime
import FedSimWire
import Foundation

/// `fedsim keygen`: CURVE key pairs for a coordinator and its workers.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write CURVE key pairs for a coordinator and N workers, for --keys.",
        discussion: """
            DIR gets coordinator.key and coordinator.key_secret, and worker-I.key and worker-I.key_secret \
            for each worker, in ZeroMQ's certificate format; secret files are readable by their owner only. \
            Existing keys are never overwritten.
            """)

    @Argument(help: "The folder to write the keys to (made if missing).")
    var folder: String

    @Option(help: "Worker key pairs to write.")
    var workers = 4

    func run() throws {
        try reportingErrors {
            guard workers >= 1 else { throw UsageError("--workers must be at least 1") }
            guard CurveKeyPair.isSupported else {
                throw UsageError("this libzmq was built without CURVE security (zmq_has(\"curve\") is false)")
            }
            let files = try KeyFolder.generate(at: folder, workers: workers)
            print("wrote \(files.count) certificates to \(folder): coordinator and \(KeyFolder.workerName(0))"
                  + (workers > 1 ? " ... \(KeyFolder.workerName(workers - 1))" : ""))
            print("the coordinator takes --keys \(folder); a worker takes --keys \(folder) --key worker-I, "
                  + "or a folder holding just coordinator.key and its own .key_secret")
        }
    }
}

/// `--keys DIR`: the CURVE keys folder of an authenticated run (`KeyFolder`).
struct KeysOption: ParsableArguments {
    @Option(name: .customLong("keys"), help: ArgumentHelp(
        "Folder of CURVE keys (fedsim keygen) for an authenticated, encrypted run (default: $FEDSIM_KEYS if set).",
        valueName: "DIR"))
    var path: String?

    /// The folder given, or named by the environment variable FEDSIM_KEYS (as compose
    /// files set it); nil for an unauthenticated run.
    var folder: KeyFolder? {
        let environment = ProcessInfo.processInfo.environment["FEDSIM_KEYS"].flatMap { $0.isEmpty ? nil : $0 }
        return (path ?? environment).map { KeyFolder(path: $0) }
    }
}
