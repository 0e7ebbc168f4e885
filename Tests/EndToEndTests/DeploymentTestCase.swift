import Foundation
import XCTest

/// The base of tests that deploy fedsim for real (containers, pods, network namespaces)
/// and check that a deployment writes the same metrics as `fedsim run` on the host.
///
/// Their tools may be missing: the tests are then skipped, unless
/// FEDSIM_DEPLOYMENT_TESTS=required (as `scripts/test` sets), when they fail.
class DeploymentTestCase: FedSimProcessTestCase {
    /// Sets apart the names (images, networks, namespaces) of one test's deployment.
    let suffix = String(UUID().uuidString.prefix(6)).lowercased()

    /// Throws XCTSkip (or fails, when deployment tests are required) unless `tools` are
    /// installed and, when `root`, this process is root.
    func requireDeploymentTools(_ tools: [String], root: Bool = true) throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let missing = tools.filter { tool in
            !(["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"] + path).contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
            }
        }
        var problems = missing.map { "\($0) is not installed" }
        if root && getuid() != 0 { problems.append("they need root") }
        guard !problems.isEmpty else { return }
        let reason = "deployment tests cannot run: \(problems.joined(separator: ", ")) (scripts/test installs the tools)"
        if ProcessInfo.processInfo.environment["FEDSIM_DEPLOYMENT_TESTS"] == "required" {
            XCTFail(reason)
            throw TestFailure(reason)
        }
        throw XCTSkip(reason)
    }

    /// Runs a command to completion; returns its status and its merged output. The output
    /// goes to a file, not a pipe: what a command leaves running (podman's conmon) would
    /// hold a pipe open after the command exits.
    @discardableResult
    func shell(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = Self.repository
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-shell-\(UUID())")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw TestFailure("cannot make \(log.path)")
        }
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        try output.close()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }

    /// The metrics of scenario `name` (with `overrides`) from `fedsim run` on the host.
    func hostMetrics(_ name: String, _ overrides: [String] = []) throws -> [NSDictionary] {
        let folder = temporaryFolder()
        let result = try fedsim(["run", scenario(name + ".yaml"), "--workers", "2", "--out", folder]
                                + overrides.flatMap { ["--set", $0] })
        XCTAssertEqual(result.status, 0, result.error)
        return try deterministicMetrics(folder)
    }

    /// The environment podman runs in: `scripts/podman/containers.conf` unless
    /// CONTAINERS_CONF names other settings.
    var podmanEnvironment: [String: String] {
        ProcessInfo.processInfo.environment["CONTAINERS_CONF"] == nil
            ? ["CONTAINERS_CONF": Self.repository.path + "/scripts/podman/containers.conf"] : [:]
    }

    /// Makes an image of the fedsim built beside the tests with `scripts/make-local-image`,
    /// removed after the test; returns its name.
    func makeLocalImage(environment: [String: String]) throws -> String {
        let image = "localhost/fedsim:test-\(suffix)"
        addTeardownBlock { [self] in _ = try? shell(["podman", "rmi", "-f", image], environment: environment) }
        let made = try shell(["scripts/make-local-image", Self.fedsim, image], environment: environment)
        XCTAssertEqual(made.status, 0, made.output)
        return image
    }
}
