import Foundation
import XCTest

/// The documentation's commands still work: scripts/check-docs runs every block marked
/// runnable with the release `fedsim`, checks every `fedsim` option against `--help`,
/// every covered-by test name, every link, and that docs/scenario-fields.md is
/// `fedsim fields --markdown`.
final class DocumentationTests: FedSimProcessTestCase {
    func testTheDocumentationsCommandsRunAndItsReferencesHold() throws {
        let executable = try releaseFedsim()
        let script = Self.repository.appendingPathComponent("scripts/check-docs").path
        let result = try fedsim(["python3", script, "--fedsim", executable], executable: "/usr/bin/env")
        XCTAssertEqual(result.status, 0, result.output + result.error)
        XCTAssertTrue(result.output.contains(", 0 problems"), result.output)
    }

    /// `fedsim fields` prints a section's fields with types, defaults and meanings, and
    /// names the top-level fields when given a path that is none.
    func testFieldsPrintsASectionAndRefusesAnUnknownPath() throws {
        let link = try fedsim(["fields", "system.link"])
        XCTAssertEqual(link.status, 0, link.error)
        XCTAssertTrue(link.output.hasPrefix("system.link  (section; unset)\n"), link.output)
        XCTAssertTrue(link.output.contains("\nsystem.link.latency  (number ≥ 0; 0)\n    "), link.output)
        let unknown = try fedsim(["fields", "sever"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.error.contains("no scenario field is 'sever'"), unknown.error)
        XCTAssertTrue(unknown.error.contains("server"), unknown.error)
    }
}
