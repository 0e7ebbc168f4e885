import Foundation
import XCTest

/// `scripts/compose`, the launcher that hides the compose engine, run for real under
/// podman-compose: runs back to back with other scenarios and worker counts, each equal
/// to `fedsim run` on the host; a failing coordinator's exit code; nothing left after `down`.
///
/// These need podman, podman-compose and root (`DeploymentTestCase`).
final class ComposeLauncherTests: DeploymentTestCase {
    func testRunsBackToBackMatchTheHostAFailureExitsNonZeroAndDownLeavesNothing() throws {
        try requireDeploymentTools(["podman", "podman-compose", "runc"])
        let project = "fedsimlauncher\(suffix)"
        var environment = podmanEnvironment
        let image = try makeLocalImage(environment: environment)
        environment.merge(["FEDSIM_PROJECT": project, "FEDSIM_COMPOSE": "podman", "FEDSIM_JOIN_TIMEOUT": "60",
                           "FEDSIM_CONNECT_TIMEOUT": "20"]) { $1 }
        let runs = Self.repository.appendingPathComponent("runs")
        let broken = "test-broken-\(suffix)"
        let brokenFile = Self.repository.appendingPathComponent("scenarios/\(broken).yaml")
        let plan = [("fedfix/fedfix-0.5", 3, "test-launcher-a-\(suffix)"), ("quickstart", 2, "test-launcher-b-\(suffix)")]
        addTeardownBlock { [self] in
            _ = try? shell(["scripts/compose", "down"], environment: environment)
            for (_, _, run) in plan { try? FileManager.default.removeItem(at: runs.appendingPathComponent(run)) }
            try? FileManager.default.removeItem(at: runs.appendingPathComponent(broken))
            try? FileManager.default.removeItem(at: brokenFile)
        }

        for (scenario, workers, run) in plan {
            let up = try shell(["timeout", "300", "scripts/compose", "up", "--scenario", scenario, "--workers", "\(workers)",
                                "--run", run, "--image", image], environment: environment)
            XCTAssertEqual(up.status, 0, up.output)
            let joined = up.output.split(separator: "\n").filter { $0.contains("fedsim coordinator: worker") && $0.contains("joined") }
            XCTAssertEqual(joined.count, workers, up.output)
            XCTAssertFalse(up.output.contains("failed to connect to syslog"), up.output)
            let folder = runs.appendingPathComponent(run).path
            XCTAssertEqual(try deterministicMetrics(folder), try hostMetrics(scenario), scenario)
            // The folder's scenario.yaml, written in a container, runs on the host as it is.
            let again = temporaryFolder()
            let rerun = try fedsim(["run", folder + "/scenario.yaml", "--workers", "1", "--out", again])
            XCTAssertEqual(rerun.status, 0, rerun.error)
            XCTAssertEqual(try deterministicMetrics(again), try deterministicMetrics(folder), scenario)
        }
        // Only the last run's containers are there: each `up` brought the one before down.
        let names = try shell(["podman", "ps", "-a", "--filter", "label=io.podman.compose.project=\(project)",
                               "--format", "{{.Names}}"], environment: environment)
        XCTAssertEqual(names.output.split(separator: "\n").count, 3, names.output)

        // A coordinator that fails (after its restarts) fails the launcher, with the reason in its output.
        let quickstart = try String(contentsOf: Self.repository.appendingPathComponent("scenarios/quickstart.yaml"), encoding: .utf8)
        try quickstart.replacingOccurrences(of: "rounds: 100", with: "rounds: 0").write(to: brokenFile, atomically: true,
                                                                                       encoding: .utf8)
        let failed = try shell(["timeout", "300", "scripts/compose", "up", "--scenario", broken, "--workers", "1",
                                "--image", image], environment: environment)
        XCTAssertEqual(failed.status, 1, failed.output)
        XCTAssert(failed.output.contains("server.rounds"), failed.output)
        XCTAssert(failed.output.contains("compose: the coordinator exited with 1"), failed.output)

        let down = try shell(["scripts/compose", "down"], environment: environment)
        XCTAssertEqual(down.status, 0, down.output)
        let left = try shell(["podman", "ps", "-a", "-q", "--filter", "label=io.podman.compose.project=\(project)"],
                             environment: environment)
        XCTAssertEqual(left.output.trimmingCharacters(in: .whitespacesAndNewlines), "")
        XCTAssertNotEqual(try shell(["podman", "network", "exists", "\(project)_default"], environment: environment).status, 0)
    }

    func testUsageProblemsAreNamedBeforeAnythingStarts() throws {
        try requireDeploymentTools(["podman", "podman-compose"], root: false)
        let environment = ["FEDSIM_COMPOSE": "podman", "FEDSIM_PROJECT": "fedsimusage\(suffix)"]
        let missing = try shell(["scripts/compose", "up", "--scenario", "nonexistent"], environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssert(missing.output.contains("compose: no scenario scenarios/nonexistent.yaml"), missing.output)
        let workers = try shell(["scripts/compose", "up", "--workers", "0"], environment: environment)
        XCTAssert(workers.output.contains("--workers must be a positive count, not '0'"), workers.output)
        let option = try shell(["scripts/compose", "up", "--scale", "3"], environment: environment)
        XCTAssert(option.output.contains("up: unknown option '--scale'"), option.output)
        let engine = try shell(["scripts/compose", "down"], environment: ["FEDSIM_COMPOSE": "lxc"])
        XCTAssert(engine.output.contains("FEDSIM_COMPOSE must be docker or podman, not 'lxc'"), engine.output)
    }

    /// The engine is Docker only when its daemon answers (`docker info`): a host with the
    /// Docker CLI and its compose plugin but no daemon runs podman. A stand-in `docker`
    /// first on PATH logs its calls.
    func testDockerIsChosenOnlyWhenItsDaemonAnswers() throws {
        try requireDeploymentTools(["podman", "podman-compose"], root: false)
        let bin = temporaryFolder()
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let calls = bin + "/calls"
        for daemonAnswers in [false, true] {
            try? FileManager.default.removeItem(atPath: calls)
            let script = "#!/bin/sh\necho \"$*\" >> \(calls)\n"
                + "case \"$1\" in compose) exit 0 ;; info) exit \(daemonAnswers ? 0 : 1) ;; esac\nexit 0\n"
            try script.write(toFile: bin + "/docker", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/docker")
            let environment = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                               "FEDSIM_PROJECT": "fedsimengine\(suffix)"]
            let down = try shell(["env", "-u", "FEDSIM_COMPOSE", "scripts/compose", "down"], environment: environment)
            XCTAssertEqual(down.status, 0, down.output)
            let logged = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").map(String.init)
            XCTAssertEqual(Array(logged.prefix(2)), ["compose version", "info"])
            XCTAssertEqual(logged.contains { $0.hasSuffix("down --remove-orphans") }, daemonAnswers, logged.joined(separator: "\n"))
        }
    }
}
