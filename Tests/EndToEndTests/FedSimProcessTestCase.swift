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

    /// Runs the fedsim executable; returns its exit status, standard output and standard error.
    func fedsim(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.fedsim)
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

/// A test's own failure, thrown where a helper cannot go on.
struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
