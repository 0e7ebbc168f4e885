import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Runs whose processes speak CURVE (`fedsim keygen`, `--keys`): only the workers whose
/// keys the coordinator's folder holds get in, and strangers leave no trace.
final class AuthenticatedRunTests: FedSimProcessTestCase {
    /// A folder of keys for a coordinator and `workers` workers.
    private func keys(workers: Int) throws -> String {
        let folder = temporaryFolder()
        let result = try fedsim(["keygen", folder, "--workers", "\(workers)"])
        XCTAssertEqual(result.status, 0, result.error)
        return folder
    }

    func testKeygenWritesCertificatesOnlyTheirOwnerReadsAndNeverOverwrites() throws {
        let folder = try keys(workers: 2)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(names, ["coordinator.key", "coordinator.key_secret", "worker-0.key", "worker-0.key_secret",
                               "worker-1.key", "worker-1.key_secret"])
        for name in names {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")[.posixPermissions] as? Int)
            XCTAssertEqual(mode, name.hasSuffix("_secret") ? 0o600 : 0o644, name)
            let certificate = try CurveCertificate.read(path: "\(folder)/\(name)")
            XCTAssertEqual(certificate.secretKey != nil, name.hasSuffix("_secret"), name)
        }
        let before = try String(contentsOfFile: folder + "/worker-0.key_secret", encoding: .utf8)
        let again = try fedsim(["keygen", folder, "--workers", "1"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.error, "fedsim: error: \(folder)/coordinator.key: exists; keygen does not overwrite keys\n")
        XCTAssertEqual(try String(contentsOfFile: folder + "/worker-0.key_secret", encoding: .utf8), before)
    }

    func testOnlyWorkersWithAdmittedKeysJoinAndStrangersLeaveTheMetricsUnchanged() throws {
        let keys = try keys(workers: 2)
        // An intruder knows the coordinator's public key, but its own key is not admitted.
        let intruder = temporaryFolder()
        XCTAssertEqual(try fedsim(["keygen", intruder, "--workers", "1"]).status, 0)
        try FileManager.default.removeItem(atPath: intruder + "/coordinator.key")
        try FileManager.default.copyItem(atPath: keys + "/coordinator.key", toPath: intruder + "/coordinator.key")

        let folder = temporaryFolder()
        let (coordinator, endpoint) = try startCoordinator(scenario("quickstart.yaml"), workers: 2, folder: folder,
                                                           options: ["--keys", keys])
        let plain = try Running(["worker", "--connect", endpoint, "--name", "plain", "--connect-timeout", "30"])
        let impostor = try Running(["worker", "--connect", endpoint, "--name", "impostor", "--keys", intruder,
                                    "--connect-timeout", "30"])
        let plainResult = plain.finish(), impostorResult = impostor.finish()
        XCTAssertEqual(plainResult.status, 1)
        // libzmq usually says the mechanisms differ; when the coordinator closes the connection before its
        // greeting is out, the worker tries again until its timeout and says why it may have been cut.
        let mismatch = "fedsim: error: cannot connect to \(endpoint): the peer uses another security mechanism: "
            + "CURVE keys (--keys) are given on one side only"
        let cut = "connections were accepted and closed during the ZMTP handshake: are CURVE keys (--keys) given on one "
            + "side only, or is another program listening there?\n"
        XCTAssert(plainResult.error.contains(mismatch) || plainResult.error.hasSuffix(cut), plainResult.error)
        XCTAssertEqual(impostorResult.status, 1)
        XCTAssert(impostorResult.error.contains("fedsim: error: cannot connect to \(endpoint): the peer refused the CURVE key "
                                                + "presented (ZAP status 400)"), impostorResult.error)

        let workers = try (0..<2).map { try Running(["worker", "--connect", endpoint, "--name", "w\($0)", "--keys", keys,
                                                     "--key", "worker-\($0)"]) }
        let result = coordinator.finish()
        XCTAssertEqual(result.status, 0, result.error)
        for worker in workers { XCTAssertEqual(worker.finish().status, 0) }
        let intruderKey = try CurveCertificate.read(path: intruder + "/worker-0.key").publicKey
        XCTAssert(result.error.contains("refused a connection from 127.0.0.1: CURVE key \(intruderKey) is not authorized"),
                  result.error)
        XCTAssertFalse(result.error.contains("plain") || result.error.contains("impostor"), result.error)

        let reference = temporaryFolder()
        XCTAssertEqual(try fedsim(["run", scenario("quickstart.yaml"), "--workers", "2", "--out", reference]).status, 0)
        XCTAssertEqual(try deterministicMetrics(folder), try deterministicMetrics(reference))

        let embedded = temporaryFolder()
        let run = try fedsim(["run", scenario("quickstart.yaml"), "--workers", "2", "--keys", keys, "--out", embedded])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertEqual(try deterministicMetrics(embedded), try deterministicMetrics(reference))
    }

    func testADecentralizedRunWhoseWorkersGossipOverCURVEGivesTheSameMetrics() throws {
        let keys = try keys(workers: 3)
        let arguments = ["run", scenario("decentralized/dadao.yaml"), "--workers", "3", "--set", "decentralized.time_budget=20"]
        let (plain, authenticated) = (temporaryFolder(), temporaryFolder())
        XCTAssertEqual(try fedsim(arguments + ["--out", plain]).status, 0)
        let run = try fedsim(arguments + ["--keys", keys, "--out", authenticated])
        XCTAssertEqual(run.status, 0, run.error)
        XCTAssertEqual(try deterministicMetrics(authenticated), try deterministicMetrics(plain))
    }

    func testAWorkerPicksTheOnlySecretCertificateOfAFolderHoldingJustItsOwn() throws {
        let keys = try keys(workers: 2)
        // As a container sees its secrets: the coordinator's public certificate and one worker's pair.
        let own = temporaryFolder()
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        for name in ["coordinator.key", "worker-1.key_secret"] {
            try FileManager.default.copyItem(atPath: "\(keys)/\(name)", toPath: "\(own)/\(name)")
        }
        let folder = temporaryFolder()
        let (coordinator, endpoint) = try startCoordinator(scenario("quickstart.yaml"), workers: 1, folder: folder,
                                                           options: ["--keys", keys])
        let worker = try Running(["worker", "--connect", endpoint, "--keys", own])
        XCTAssertEqual(coordinator.finish().status, 0)
        XCTAssertEqual(worker.finish().status, 0)

        let ambiguous = try fedsim(["worker", "--connect", endpoint, "--keys", keys])
        XCTAssertEqual(ambiguous.status, 1)
        XCTAssertEqual(ambiguous.error, "fedsim: error: \(keys): choose this worker's secret certificate with --key NAME "
                       + "(found: worker-0, worker-1)\n")
    }

    func testMissingKeysAreNamedBeforeAnythingStarts() throws {
        let keys = try keys(workers: 1)
        let run = try fedsim(["run", scenario("quickstart.yaml"), "--workers", "2", "--keys", keys, "--out", temporaryFolder()])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.error, "fedsim: error: \(keys)/worker-1.key_secret: cannot be read as a file\n")

        try FileManager.default.removeItem(atPath: keys + "/worker-0.key")
        let coordinator = try fedsim(["coordinator", scenario("quickstart.yaml"), "--bind", "tcp://127.0.0.1:*",
                                      "--keys", keys, "--out", temporaryFolder()])
        XCTAssertEqual(coordinator.status, 1)
        XCTAssertEqual(coordinator.error, "fedsim: error: \(keys): no worker public certificate (*.key besides "
                       + "coordinator.key) to admit\n")
    }

    func testACoordinatorReachableBeyondThisHostWithoutKeysWarns() throws {
        let open = try fedsim(["coordinator", scenario("quickstart.yaml"), "--bind", "tcp://*:*", "--join-timeout", "0.2",
                               "--out", temporaryFolder()])
        XCTAssertEqual(open.status, 1)
        XCTAssert(open.error.hasPrefix("fedsim: warning: listening on tcp://0.0.0.0:"), open.error)
        XCTAssert(open.error.contains(" without --keys: anyone who reaches this port can join as a worker, receive clients' "
                                      + "training data and send updates that poison the model"), open.error)

        let loopback = try fedsim(["coordinator", scenario("quickstart.yaml"), "--bind", "tcp://127.0.0.1:*",
                                   "--join-timeout", "0.2", "--out", temporaryFolder()])
        XCTAssertFalse(loopback.error.contains("warning"), loopback.error)
        let keys = try keys(workers: 1)
        let authenticated = try fedsim(["coordinator", scenario("quickstart.yaml"), "--bind", "tcp://*:*", "--keys", keys,
                                        "--join-timeout", "0.2", "--out", temporaryFolder()])
        XCTAssertFalse(authenticated.error.contains("warning"), authenticated.error)
        XCTAssert(authenticated.error.contains("CURVE keys required"), authenticated.error)
    }
}
