import FedSimAlgorithms
import XCTest

/// Records which fields a strategy asks for, answering with each field's default.
private final class RecordingReader: SettingsReader {
    private(set) var asked: Set<String> = []

    func has(_ key: String) -> Bool {
        asked.insert(key)
        return false
    }

    func integer(_ key: String, default fallback: Int?, in range: ClosedRange<Int>) -> Int {
        asked.insert(key)
        return fallback ?? range.lowerBound
    }

    func number(_ key: String, default fallback: Double?, in range: ClosedRange<Double>,
                excludingLowerBound: Bool) -> Double {
        asked.insert(key)
        return fallback ?? range.upperBound
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice?) -> Choice
    where Choice.RawValue == String {
        asked.insert(key)
        return fallback ?? Choice.allCases.first!
    }

    func section(_ key: String, required: Bool) -> RecordingReader {
        asked.insert(key)
        return RecordingReader()
    }

    func report(_ key: String, _ message: String) {}

    func finish() {}
}

final class ServerStrategyFieldsTests: XCTestCase {
    func testEveryAlgorithmDeclaresExactlyTheFieldsItReads() {
        for type in ServerStrategies.all {
            let reader = RecordingReader()
            _ = ServerStrategies.read(type, from: reader, clients: 10)
            XCTAssertEqual(reader.asked, Set(type.fields), type.name)
        }
    }

    func testNamesAreUniqueAndFoundInTheList() {
        XCTAssertEqual(Set(ServerStrategies.names).count, ServerStrategies.all.count)
        XCTAssertEqual(ServerStrategies.names, ["fedavg", "fedasync", "fedbuff", "fedfix"])
        XCTAssertEqual(ServerStrategies.all.filter { $0.appliesOneUpdateAtATime }.map { $0.name }, ["fedasync"])
    }
}
