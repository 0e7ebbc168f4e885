@testable import FedSimCore
import XCTest

final class VectorCSVTests: XCTestCase {
    func parse(_ text: String) throws -> [[Float]] {
        try VectorCSV.parse(Array(text.utf8), name: "vectors.csv")
    }

    func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testRowsBecomeVectors() throws {
        XCTAssertEqual(try parse("1,2.5,-3\n\n 4 , 5e-1,6\r\n"), [[1, 2.5, -3], [4, 0.5, 6]])
        XCTAssertEqual(try parse("7"), [[7]])
    }

    func testErrorsNameTheLineAndField() {
        XCTAssertEqual(error("1,2\n3,abc\n"), "vectors.csv:2: field 2: \"abc\" is not a finite number")
        XCTAssertEqual(error("1,2\n\n3\n"), "vectors.csv:3: expected 2 fields as on line 1, found 1")
        XCTAssertEqual(error("1,nan\n"), "vectors.csv:1: field 2: \"nan\" is not a finite number")
        XCTAssertEqual(error("inf,1\n"), "vectors.csv:1: field 1: \"inf\" is not a finite number")
        XCTAssertEqual(error("1,1e39\n"), "vectors.csv:1: field 2: 1e+39 is outside the range of Float")
        XCTAssertEqual(error("1,,2\n"), "vectors.csv:1: field 2: \"\" is not a finite number")
        XCTAssertEqual(error("\n \n"), "vectors.csv: no rows")
    }

    func testMissingFileIsReported() {
        XCTAssertThrowsError(try VectorCSV.load(path: "/nonexistent/vectors.csv")) {
            XCTAssertEqual(($0 as? DataError)?.kind, .fileNotFound)
        }
    }
}
