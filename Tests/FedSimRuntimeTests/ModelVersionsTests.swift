@testable import FedSimRuntime
import XCTest

final class ModelVersionsTests: XCTestCase {
    func testKeepsTheCurrentVersionAndThoseRunningJobsNeed() {
        var versions = ModelVersions(initial: [0, 0])
        versions.advance(to: 1, keeping: [0]) { $0[0] += 1 }
        versions.advance(to: 2, keeping: [0, 1]) { $0[1] += 1 }
        XCTAssertEqual(versions.kept, [0, 1, 2])
        XCTAssertEqual(versions.parameters(of: 0), [0, 0], "a kept version is not changed by later steps")
        XCTAssertEqual(versions.parameters(of: 1), [1, 0])
        XCTAssertEqual(versions.latest, [1, 1])
        versions.advance(to: 3, keeping: [1]) { $0[0] += 1 }
        XCTAssertEqual(versions.kept, [1, 3])
        XCTAssertEqual(versions.current, 3)
        XCTAssertEqual(versions.latest, [2, 1])
    }
}
