import Foundation
import XCTest

@testable import FedSimRuntime

final class LocalSocketFileTests: XCTestCase {
    func testOnlyTheSocketFilesOfDeadProcessesAreRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-sockets-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // No process has pid 2^31 - 1 (above Linux's pid_max).
        let files = ["fedsim-2147483647-7.ipc", "fedsim-\(getpid())-8.ipc", "fedsim-notes.ipc", "other-2147483647-7.ipc"]
        for name in files {
            XCTAssert(FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data()))
        }
        let made = LocalSocketFile.make(in: folder)
        XCTAssert(made.lastPathComponent.hasPrefix("fedsim-\(getpid())-"), made.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), Array(files.dropFirst()).sorted())
    }
}
