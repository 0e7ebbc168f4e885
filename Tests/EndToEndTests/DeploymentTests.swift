import FedSimRuntime
import Foundation
import XCTest

/// Deployments tested for real: `docker-compose.yml` run by podman-compose with three
/// worker containers (alone, and with the `docker-compose.curve.yml` overlay of CURVE
/// keys), and a coordinator and workers in separate network namespaces joined by veth
/// pairs. Each must write the same metrics (all but `wall_` fields) as
/// `fedsim run` on the host.
///
/// These need podman, podman-compose and root (`DeploymentTestCase`).
final class DeploymentTests: DeploymentTestCase {
    /// The scenario both deployments run: FedFix under F-80 speeds, on the digits.
    private static let scenarioName = "fedfix/fedfix-0.5"
    func testDockerComposeWithThreeWorkerContainersMatchesARunOnTheHost() throws {
        let (output, metrics) = try runCompose(files: ["docker-compose.yml"])
        XCTAssert(output.contains("without --keys: anyone who reaches this port can join"), output)
        XCTAssertEqual(metrics, try hostMetrics(Self.scenarioName))
    }

    func testDockerComposeWithCURVEKeysAsSecretsMatchesARunOnTheHost() throws {
        let keys = temporaryFolder()
        let made = try fedsim(["keygen", keys, "--workers", "1"])
        XCTAssertEqual(made.status, 0, made.error)
        let (output, metrics) = try runCompose(files: ["docker-compose.yml", "docker-compose.curve.yml"],
                                               environment: ["FEDSIM_KEYS": keys])
        XCTAssert(output.contains("CURVE keys required"), output)
        XCTAssertFalse(output.contains("without --keys"), output)
        XCTAssertEqual(metrics, try hostMetrics(Self.scenarioName))
    }

    /// Runs the deployment scenario with podman-compose over the compose `files` (with
    /// `environment` added) and three worker containers; checks that all three joined
    /// and stopped, and returns the output and the run's metrics.
    private func runCompose(files: [String], environment extra: [String: String] = [:]) throws
        -> (output: String, metrics: [NSDictionary]) {
        try requireDeploymentTools(["podman", "podman-compose", "runc"])
        let project = "fedsimtest\(suffix)"
        let run = "test-compose-\(suffix)"
        var environment = podmanEnvironment
        let image = try makeLocalImage(environment: environment)
        environment.merge(["FEDSIM_IMAGE": image, "FEDSIM_SCENARIO": Self.scenarioName, "FEDSIM_WORKERS": "3",
                           "FEDSIM_RUN": run, "FEDSIM_JOIN_TIMEOUT": "60", "FEDSIM_CONNECT_TIMEOUT": "60"]) { $1 }
        environment.merge(extra) { $1 }
        let runs = Self.repository.appendingPathComponent("runs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        addTeardownBlock { [self] in
            let containers = (try? shell(["podman", "ps", "-a", "-q", "--filter", "label=io.podman.compose.project=\(project)"],
                                         environment: environment).output) ?? ""
            for id in containers.split(separator: "\n") {
                _ = try? shell(["podman", "rm", "-f", String(id)], environment: environment)
            }
            _ = try? shell(["podman", "network", "rm", "-f", "\(project)_default"], environment: environment)
            try? FileManager.default.removeItem(at: runs.appendingPathComponent(run))
        }

        let compose = try shell(["timeout", "300", "podman-compose", "-p", project] + files.flatMap { ["-f", $0] }
                                + ["up", "--no-build"], environment: environment)
        XCTAssertEqual(compose.status, 0, compose.output)
        // Three worker containers joined and each stopped when the run ended.
        let joined = compose.output.split(separator: "\n").filter { $0.contains("fedsim coordinator: worker") && $0.contains("joined") }
        XCTAssertEqual(joined.count, 3, compose.output)
        XCTAssertEqual(compose.output.components(separatedBy: "(run complete)").count - 1, 3, compose.output)

        let metrics = try deterministicMetrics(runs.appendingPathComponent(run).path)
        XCTAssertGreaterThan(metrics.count, 10)
        return (compose.output, metrics)
    }

    func testWorkersInSeparateNetworkNamespacesMatchARunOnTheHost() throws {
        let folder = try runInNamespaces(Self.scenarioName)
        XCTAssertEqual(try deterministicMetrics(folder), try hostMetrics(Self.scenarioName))
    }

    func testDecentralizedWorkersInSeparateNamespacesExchangeDirectlyAndMatchTheHost() throws {
        // The workers' namespaces reach each other only through the coordinator's, which
        // forwards their packets as a router: the nodes' messages go from worker to worker
        // over TCP, never through the coordinator process.
        let overrides = ["decentralized.time_budget=40"]
        let folder = try runInNamespaces("decentralized/dadao", overrides, routeBetweenWorkers: true)
        let metrics = try deterministicMetrics(folder)
        XCTAssertEqual(metrics.count, 21)
        XCTAssertEqual(metrics, try hostMetrics("decentralized/dadao", overrides))
    }

    /// Runs scenario `name` (with `overrides`) with `fedsim coordinator` in one network
    /// namespace and two `fedsim worker`s in two others, each joined to the coordinator's
    /// by a veth pair (10.231.k.1 on the coordinator's side, 10.231.k.2 on worker k's).
    /// With `routeBetweenWorkers`, the coordinator's namespace forwards packets between
    /// the workers'. Returns the run folder.
    private func runInNamespaces(_ name: String, _ overrides: [String] = [], routeBetweenWorkers: Bool = false) throws
        -> String {
        try requireDeploymentTools(["ip"])
        let coordinatorSpace = "fsc-\(suffix)"
        let workerSpaces = ["fsw1-\(suffix)", "fsw2-\(suffix)"]
        var started: [Process] = []
        addTeardownBlock { [self] in
            for process in started where process.isRunning { process.terminate() }
            for space in [coordinatorSpace] + workerSpaces { _ = try? shell(["ip", "netns", "del", space]) }
        }
        for space in [coordinatorSpace] + workerSpaces {
            XCTAssertEqual(try shell(["ip", "netns", "add", space]).status, 0)
            try shell(["ip", "-n", space, "link", "set", "lo", "up"])
        }
        for (offset, space) in workerSpaces.enumerated() {
            let k = offset + 1
            let (near, far) = ("fsv\(suffix)c\(k)", "fsv\(suffix)w\(k)")
            var commands = [
                ["ip", "link", "add", near, "netns", coordinatorSpace, "type", "veth", "peer", "name", far, "netns", space],
                ["ip", "-n", coordinatorSpace, "addr", "add", "10.231.\(k).1/24", "dev", near],
                ["ip", "-n", space, "addr", "add", "10.231.\(k).2/24", "dev", far],
                ["ip", "-n", coordinatorSpace, "link", "set", near, "up"],
                ["ip", "-n", space, "link", "set", far, "up"],
            ]
            if routeBetweenWorkers {
                commands.append(["ip", "-n", space, "route", "add", "default", "via", "10.231.\(k).1"])
            }
            for command in commands {
                let result = try shell(command)
                XCTAssertEqual(result.status, 0, "\(command.joined(separator: " ")): \(result.output)")
            }
        }
        if routeBetweenWorkers {
            let result = try shell(["ip", "netns", "exec", coordinatorSpace, "sysctl", "-w", "net.ipv4.ip_forward=1"])
            XCTAssertEqual(result.status, 0, result.output)
        }

        let folder = temporaryFolder()
        func launch(_ space: String, _ arguments: [String]) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ip", "netns", "exec", space, Self.fedsim] + arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            started.append(process)
            return (process, pipe)
        }
        let (coordinator, coordinatorOutput) = try launch(coordinatorSpace, [
            "coordinator", scenario(name + ".yaml"), "--bind", "tcp://*:5555", "--workers", "2",
            "--join-timeout", "60", "--out", folder] + overrides.flatMap { ["--set", $0] })
        let workers = try workerSpaces.indices.map { index in
            try launch(workerSpaces[index], ["worker", "--connect", "tcp://10.231.\(index + 1).1:5555",
                                             "--name", "netns-worker-\(index + 1)", "--connect-timeout", "60"])
        }
        let log = String(decoding: coordinatorOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        coordinator.waitUntilExit()
        XCTAssertEqual(coordinator.terminationStatus, 0, log)
        for (process, output) in workers {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, text)
            XCTAssert(text.contains("(run complete)"), text)
        }
        XCTAssert(log.contains("joined: netns-worker-1") && log.contains("joined: netns-worker-2"), log)
        return folder
    }
}
