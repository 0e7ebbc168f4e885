import Foundation
import XCTest

extension XCTestCase {
    /// A path under the temporary directory, `fedsim-PURPOSE-<UUID>`, not yet created;
    /// whatever is there is removed when the test ends.
    func temporaryFolder(_ purpose: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-\(purpose)-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
