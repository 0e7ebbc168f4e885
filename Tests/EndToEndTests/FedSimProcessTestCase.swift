import FedSimCore
import FedSimRuntime
import Foundation
import XCTest

/// The base of tests that run the `fedsim` executable built beside the test bundle.
class FedSimProcessTestCase: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fedsim = URL(fileURLWithPath: LocalCluster.currentExecutable)
        .deletingLastPathComponent().appendingPathComponent("fedsim").path

    override func setUp() {
        BLAS.useSingleThread()
    }

    func scenario(_ name: String) -> String {
        Self.repository.appendingPathComponent("scenarios/\(name)").path
    }

    /// A fresh path under the temporary directory, removed after the test.
    func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-e2e-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// The optimized `fedsim` for runs that take minutes in a debug build: the path in
    /// FEDSIM_RELEASE_BINARY (`scripts/test` builds it and sets the variable). Without the
    /// variable the test is skipped; a path that is not an executable fails it.
    func releaseFedsim() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["FEDSIM_RELEASE_BINARY"] else {
            throw XCTSkip("needs a release build: swift build -c release --product fedsim, then set "
                          + "FEDSIM_RELEASE_BINARY to its path (scripts/test does both)")
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("FEDSIM_RELEASE_BINARY=\(path): not an executable")
            throw XCTSkip("no release build")
        }
        return path
    }

    /// Runs the fedsim executable (the debug build beside the tests unless `executable`
    /// names another); returns its exit status, standard output and standard error.
    func fedsim(_ arguments: [String], executable: String = FedSimProcessTestCase.fedsim) throws
        -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self),
                String(decoding: errorData, as: UTF8.self))
    }

    /// Starts `fedsim coordinator` (with `options`) on a free loopback port, or on `bind`;
    /// returns it and its endpoint.
    func startCoordinator(_ scenarioFile: String, workers: Int, folder: String, bind: String = "tcp://127.0.0.1:*",
                          options: [String] = []) throws -> (Running, String) {
        let coordinator = try Running(["coordinator", scenarioFile, "--bind", bind,
                                       "--workers", "\(workers)", "--out", folder] + options)
        let line = try coordinator.waitForLine(containing: "listening on ")
        let endpoint = String(try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("tcp://") }))
        return (coordinator, endpoint)
    }

    /// metrics.jsonl as objects without their machine-dependent `wall_` fields.
    func deterministicMetrics(_ folder: String) throws -> [NSDictionary] {
        let text = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in object.keys where key.hasPrefix("wall_") { object.removeValue(forKey: key) }
            return object as NSDictionary
        }
    }
}

/// A started fedsim process whose standard error is read as it comes.
final class Running {
    let process = Process()
    private let errorPipe = Pipe()
    private var seen = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: FedSimProcessTestCase.fedsim)
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = errorPipe
        try process.run()
    }

    /// Reads standard error until a line contains `text`; returns that line.
    func waitForLine(containing text: String) throws -> String {
        while true {
            let lines = String(decoding: seen, as: UTF8.self).split(separator: "\n")
            if let line = lines.first(where: { $0.contains(text) }) { return String(line) }
            let chunk = errorPipe.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw TestFailure("no line with '\(text)' in: \(String(decoding: seen, as: UTF8.self))") }
            seen.append(chunk)
        }
    }

    /// Waits for the process to exit; returns its status and everything it wrote to standard error.
    func finish() -> (status: Int32, error: String) {
        seen.append(errorPipe.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: seen, as: UTF8.self))
    }
}

/// A test's own failure, thrown where a helper cannot go on.
struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
