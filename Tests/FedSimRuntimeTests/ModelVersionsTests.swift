@testable import FedSimRuntime
import XCTest

final class ModelVersionsTests: XCTestCase {
    func testKeepsTheCurrentVersionAndThoseRunningJobsHold() {
        var versions = ModelVersions(initial: [0, 0])
        versions.hold(0)
        versions.advance(to: 1) { model, _ in model[0] += 1 }
        versions.hold(1)
        versions.hold(1)
        versions.advance(to: 2) { model, factors in model[1] += 1; factors = [7] }
        XCTAssertEqual(versions.kept, [0, 1, 2])
        XCTAssertEqual(versions.parameters(of: 0), [0, 0], "a held version is not changed by later steps")
        XCTAssertEqual(versions.parameters(of: 1), [1, 0])
        XCTAssertEqual(versions.latest, [1, 1])
        XCTAssertEqual(versions.latestAdapterFactors, [7], "adapter factors move with their version")
        versions.release(0)
        versions.release(1)
        XCTAssertEqual(versions.kept, [1, 2], "version 1 is still held once")
        versions.release(1)
        XCTAssertEqual(versions.kept, [2])
        versions.advance(to: 3) { model, _ in model[0] += 1 }
        XCTAssertEqual(versions.kept, [3], "an unheld current version is moved, not copied")
        XCTAssertEqual(versions.current, 3)
        XCTAssertEqual(versions.latest, [2, 1])
        XCTAssertEqual(versions.latestAdapterFactors, [7])
    }

    func testTheCurrentVersionStaysWhenItsLastHolderLetsGo() {
        var versions = ModelVersions(initial: [5])
        versions.hold(0)
        versions.release(0)
        XCTAssertEqual(versions.kept, [0])
        XCTAssertEqual(versions.latest, [5])
    }
}
