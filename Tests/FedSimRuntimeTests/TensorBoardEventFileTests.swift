import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// A run folder's TensorBoard event file: TFRecord framing with masked CRC32Cs, the file
/// version first, then one event per metrics.jsonl line holding its numeric fields.
final class TensorBoardEventFileTests: XCTestCase {
    /// The numeric fields of a metrics line, in order, as float32 scalars.
    private func scalars(ofMetricsLine line: Substring) throws -> [TensorBoardEvent.Scalar] {
        let members = try XCTUnwrap(JSONValue(parsing: Array(line.utf8)).members)
        return members.compactMap { member in
            guard case let .number(text) = member.value else { return nil }
            return TensorBoardEvent.Scalar(tag: member.key, value: Float(Double(text)!))
        }
    }

    /// The metrics lines of the run in `folder` and the events of its one event file.
    private func metricsAndEvents(_ folder: String) throws -> (lines: [Substring], events: [TensorBoardEvent]) {
        let lines = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let files = try TensorBoardEventReader.eventFiles(in: folder)
        XCTAssertEqual(files.count, 1)
        return (lines, try XCTUnwrap(files.first))
    }

    /// Checks that `events` are the file version, then one event per line of `lines` at
    /// `steps`, holding the line's numeric fields.
    private func assertEvents(_ events: [TensorBoardEvent], holdLines lines: [Substring], atSteps steps: [Int64],
                              file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(events.first?.content, .fileVersion("brain.Event:2"), file: file, line: line)
        XCTAssertEqual(events.first?.step, 0, file: file, line: line)
        XCTAssertEqual(events.dropFirst().map(\.step), steps, file: file, line: line)
        XCTAssertEqual(events.dropFirst().map(\.content), try lines.map { .scalars(try scalars(ofMetricsLine: $0)) },
                       file: file, line: line)
        let now = Date().timeIntervalSince1970
        XCTAssert(events.allSatisfy { $0.wallTime > now - 600 && $0.wallTime <= now }, "wall_time is when it was written",
                  file: file, line: line)
    }

    func testCRC32CMatchesTheStandardTestVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
        // RFC 3720's iSCSI vectors.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum(Array(0...31)), 0x46DD_794E)
    }

    func testTheMaskedCRCRotatesTheChecksumRightBy15BitsAndAddsTheTFRecordConstant() {
        // 0xE3069283 rotated right by 15 bits is 0x25073C0D; plus 0xA282EAD8.
        XCTAssertEqual(TFRecord.maskedCRC(Array("123456789".utf8)), 0xC78A_B0E5)
        XCTAssertEqual(TFRecord.maskedCRC([UInt8](repeating: 0, count: 8)), 0x0798_0329)
        // The sum wraps: CRC32C([0xFF]) = 0xFF000000, rotated 0x0001FE00.
        let crc = CRC32C.checksum([0xFF])
        XCTAssertEqual(TFRecord.maskedCRC([0xFF]), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    func testARecordIsItsLengthItsDataAndTheirMaskedCRCsLittleEndian() throws {
        let data: [UInt8] = [7, 8, 9]
        let record = TFRecord.framed(data)
        XCTAssertEqual(Array(record[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = TFRecord.maskedCRC(Array(record[0..<8]))
        XCTAssertEqual(Array(record[8..<12]), (0..<4).map { UInt8(truncatingIfNeeded: lengthCRC >> ($0 * 8)) })
        XCTAssertEqual(Array(record[12..<15]), data)
        let dataCRC = TFRecord.maskedCRC(data)
        XCTAssertEqual(Array(record[15...]), (0..<4).map { UInt8(truncatingIfNeeded: dataCRC >> ($0 * 8)) })
        XCTAssertEqual(try TensorBoardEventReader.records(in: record + TFRecord.framed([])), [data, []])
    }

    func testTheReaderRefusesACorruptedCRCAndATruncatedRecord() throws {
        let first = TFRecord.framed(TensorBoardEvent(wallTime: 1, step: 0, content: .fileVersion("brain.Event:2")).encoded)
        let second = TFRecord.framed(TensorBoardEvent(
            wallTime: 2, step: 3, content: .scalars([.init(tag: "train_loss", value: 0.5)])).encoded)
        let file = first + second
        XCTAssertEqual(try TensorBoardEventReader.records(in: file).count, 2)
        func failure(_ bytes: [UInt8]) -> TensorBoardEventReader.Failure? {
            do {
                _ = try TensorBoardEventReader.records(in: bytes)
                return nil
            } catch {
                return error as? TensorBoardEventReader.Failure
            }
        }
        var corrupted = file
        corrupted[first.count + 14] ^= 0x01
        XCTAssertEqual(failure(corrupted), .badDataCRC(offset: first.count))
        corrupted = file
        corrupted[first.count + 9] ^= 0x80
        XCTAssertEqual(failure(corrupted), .badLengthCRC(offset: first.count))
        corrupted = file
        corrupted[first.count] ^= 0x01
        XCTAssertEqual(failure(corrupted), .badLengthCRC(offset: first.count), "a length that does not match its CRC")
        XCTAssertEqual(failure(Array(file.dropLast())), .truncated(offset: first.count))
        XCTAssertEqual(failure(Array(file.prefix(first.count + 5))), .truncated(offset: first.count))
    }

    func testAnEventHoldsTheNumericFieldsOfItsRecordAndLeavesOutEveryOtherField() throws {
        let folder = temporaryFolder("tensorboard")
        let runFolder = try RunFolder(path: folder, scenario: blobScenario(clients: 2, perRound: 1, rounds: 1))
        var record = JSONObject()
        record.set("round", 7)
        record.set("name", "x")
        record.set("test_loss", nil)
        record.set("diverged", Double.nan)
        record.set("zero", 0)
        record.set("flag", true)
        record.set("list", [1, 2])
        record.set("nested", JSONObject())
        record.set("accuracy", 0.25)
        record.set("bytes", UInt64(1) << 40)
        try runFolder.append(record, step: 7)
        let (lines, events) = try metricsAndEvents(folder)
        XCTAssertEqual(lines, [Substring(record.description)])
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events.last, TensorBoardEvent(wallTime: events[1].wallTime, step: 7, content: .scalars([
            .init(tag: "round", value: 7), .init(tag: "zero", value: 0), .init(tag: "accuracy", value: 0.25),
            .init(tag: "bytes", value: 0x100_0000_0000),
        ])))
    }

    func testAServerRunWritesTheFileVersionThenEachStepsNumbersAtItsRound() throws {
        var scenario = blobScenario(clients: 6, perRound: 3, rounds: 4)
        scenario.evaluation.every = 2
        let folder = temporaryFolder("tensorboard")
        let run = InMemoryRun()
        run.startWorkers(2)
        _ = try run.coordinator(scenario, blobData(clients: 6), workers: 2,
                                folder: RunFolder(path: folder, scenario: scenario)).run()
        let (lines, events) = try metricsAndEvents(folder)
        try assertEvents(events, holdLines: lines, atSteps: [1, 2, 3, 4])
        guard case let .scalars(third) = events[3].content, case let .scalars(fourth) = events[4].content else {
            return XCTFail("events of scalars")
        }
        XCTAssertEqual(third.map(\.tag), ["round", "time", "clients", "staleness_mean", "staleness_max", "train_loss",
                                          "bytes_up", "bytes_down", "wall_seconds"])
        XCTAssert(fourth.map(\.tag).contains("test_accuracy"), "an evaluated step's test_loss and test_accuracy")
    }

    func testADecentralizedRunWritesEachEvaluationAtItsIndex() throws {
        var scenario = blobScenario(clients: 6, perRound: 1, rounds: 1)
        scenario.model = ModelSettings(kind: .softmax, l2: 0.1)
        scenario.decentralized = DecentralizedSettings(algorithm: DSGD(variant: .plain), topology: .ring(nodes: 6),
                                                       timeBudget: 10, evaluationInterval: 3)
        let folder = temporaryFolder("tensorboard")
        let run = InMemoryRun()
        run.startWorkers(2)
        var options = CoordinatorOptions(workers: 2)
        options.silenceTimeout = 30
        var times: [Double] = []
        options.gossipProgress = { times.append($0.time) }
        _ = try GossipCoordinator(scenario: scenario, data: blobData(clients: 6), transport: run.network,
                                  folder: RunFolder(path: folder, scenario: scenario), options: options).run()
        XCTAssertEqual(times, [0, 3, 6, 9, 10])
        let (lines, events) = try metricsAndEvents(folder)
        try assertEvents(events, holdLines: lines, atSteps: [0, 1, 2, 3, 4])
        guard case let .scalars(last) = events.last?.content else { return XCTFail("an event of scalars") }
        XCTAssertEqual(last.first, .init(tag: "time", value: 10))
    }

    func testOverwritingARunRemovesItsEventFileAndAnotherPartOfTheRunGetsItsOwn() throws {
        let folder = temporaryFolder("tensorboard")
        let scenario = blobScenario(clients: 2, perRound: 1, rounds: 1)
        var record = JSONObject()
        record.set("round", 1)
        try RunFolder(path: folder, scenario: scenario).append(record, step: 1)
        let earlier = TensorBoardEventFile.names(in: folder)
        XCTAssertEqual(earlier.count, 1)
        XCTAssertThrowsError(try RunFolder(path: folder, scenario: scenario)) {
            guard case let .holdsAnotherRun(_, _, files) = $0 as? RunFolderError else { return XCTFail("\($0)") }
            XCTAssert(files.contains(earlier[0]), "\(files)")
        }
        _ = try RunFolder(path: folder, scenario: scenario, overwrite: true)
        let files = try TensorBoardEventReader.eventFiles(in: folder)
        XCTAssertEqual(files.map(\.count), [1], "the new run's file version alone")

        // Another part of the run, begun within the same second, writes a file named after it.
        let first = try XCTUnwrap(TensorBoardEventFile.names(in: folder).first)
        let next = try TensorBoardEventFile(in: folder).url.lastPathComponent
        XCTAssertNotEqual(next, first)
        XCTAssertEqual(TensorBoardEventFile.names(in: folder), [first, next], "name order is writing order")
    }
}
