import FedSimAlgorithms
import XCTest

final class SystemTraceParserTests: XCTestCase {
    private func assertComputeTraceRejected(
        _ text: String, clients: Int = 3, line: Int?, _ problem: TraceParseError.Problem,
        file: StaticString = #filePath, testLine: UInt = #line
    ) {
        XCTAssertThrowsError(
            try ComputeProfile.parseTrace(text, clients: clients, source: "speeds.csv"), file: file, line: testLine
        ) { error in
            XCTAssertEqual(
                error as? TraceParseError, TraceParseError(source: "speeds.csv", line: line, problem: problem),
                file: file, line: testLine)
        }
    }

    private func assertAvailabilityTraceRejected(
        _ text: String, clients: Int = 3, line: Int?, _ problem: TraceParseError.Problem,
        file: StaticString = #filePath, testLine: UInt = #line
    ) {
        XCTAssertThrowsError(
            try AvailabilityProfile.parseTrace(text, clients: clients, source: "online.csv"), file: file, line: testLine
        ) { error in
            XCTAssertEqual(
                error as? TraceParseError, TraceParseError(source: "online.csv", line: line, problem: problem),
                file: file, line: testLine)
        }
    }

    // MARK: compute traces

    func testComputeTraceWithHeaderCommentsBlankLinesAndAnyRowOrder() throws {
        let text = "client_id,seconds\r\n# measured on phones\r\n2, 0.5\r\n\r\n0,4\r\n 1 ,2.25\r\n"
        XCTAssertEqual(try ComputeProfile.parseTrace(text, clients: 3, source: "speeds.csv"), .trace([4, 2.25, 0.5]))
        XCTAssertEqual(try ComputeProfile.parseTrace("0,1\n1,1e1", clients: 2, source: "s"), .trace([1, 10]))
    }

    func testComputeTraceRowErrorsNameTheLine() {
        assertComputeTraceRejected("client_id,seconds\n0,1\n3,1\n", line: 3, .unknownClient(id: 3, clients: 3))
        assertComputeTraceRejected("0,1\n-1,1\n", line: 2, .unknownClient(id: -1, clients: 3))
        assertComputeTraceRejected("0,1\n1,fast\n", line: 2, .notANumber(field: "seconds", text: "fast"))
        assertComputeTraceRejected("0,1\n1,inf\n", line: 2, .notANumber(field: "seconds", text: "inf"))
        assertComputeTraceRejected("0,1\nx,2\n", line: 2, .notAClientID(text: "x"))
        assertComputeTraceRejected("0,1\n1.5,2\n", line: 2, .notAClientID(text: "1.5"))
        assertComputeTraceRejected("0,1\n\n1,0\n", line: 3, .notPositive(field: "seconds", value: 0))
        assertComputeTraceRejected("0,1\n1,2,3\n", line: 2, .fieldCount(expected: 2, found: 3))
        assertComputeTraceRejected("0,1\n1,2\n0,3\n2,1\n", line: 3, .duplicateClient(id: 0, firstLine: 1))
    }

    func testComputeTraceMissingClientsIsAnErrorOfTheWholeText() {
        assertComputeTraceRejected("client_id,seconds\n1,1\n", line: nil, .missingClients([0, 2]))
        assertComputeTraceRejected("", clients: 2, line: nil, .missingClients([0, 1]))
    }

    func testComputeTraceErrorDescriptions() {
        XCTAssertEqual(
            TraceParseError(source: "speeds.csv", line: 3, problem: .unknownClient(id: 3, clients: 3)).description,
            "speeds.csv:3: unknown client id 3; ids run from 0 to 2")
        XCTAssertEqual(
            TraceParseError(source: "speeds.csv", line: 2, problem: .notANumber(field: "seconds", text: "fast"))
                .description,
            "speeds.csv:2: seconds 'fast' is not a finite number")
        XCTAssertEqual(
            TraceParseError(source: "speeds.csv", line: nil, problem: .missingClients(Array(0..<12))).description,
            "speeds.csv: no row for clients 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more; a compute trace needs one row per client")
    }

    // MARK: availability traces

    func testAvailabilityTraceCollectsSortedIntervalsPerClient() throws {
        let text = """
            client_id,start,end
            2,30,40
            0,10,20
            2,0,5
            2,5,8
            """
        XCTAssertEqual(
            try AvailabilityProfile.parseTrace(text, clients: 3, source: "online.csv"),
            .trace([[10...20], [], [0...5, 5...8, 30...40]]))
    }

    func testAvailabilityTraceEndMayBeInfiniteButNotItsStart() throws {
        XCTAssertEqual(try AvailabilityProfile.parseTrace("0,3,inf\n", clients: 1, source: "online.csv"),
                       .trace([[3...Double.infinity]]))
        assertAvailabilityTraceRejected("0,inf,inf\n", line: 1, .notANumber(field: "start", text: "inf"))
    }

    func testAvailabilityTraceRowErrorsNameTheLine() {
        assertAvailabilityTraceRejected("client_id,start,end\n0,0,1\n7,0,1\n", line: 3, .unknownClient(id: 7, clients: 3))
        assertAvailabilityTraceRejected("0,0,1\n1,soon,4\n", line: 2, .notANumber(field: "start", text: "soon"))
        assertAvailabilityTraceRejected("0,0,1\n1,2,\n", line: 2, .notANumber(field: "end", text: ""))
        assertAvailabilityTraceRejected("0,0,1\n1,4\n", line: 2, .fieldCount(expected: 3, found: 2))
        assertAvailabilityTraceRejected("0,5,5\n", line: 1, .endNotAfterStart(start: 5, end: 5))
        assertAvailabilityTraceRejected("0,5,2\n", line: 1, .endNotAfterStart(start: 5, end: 2))
        assertAvailabilityTraceRejected("0,-1,2\n", line: 1, .negative(field: "start", value: -1))
    }

    func testAvailabilityTraceOverlapNamesBothLines() {
        let text = "client_id,start,end\n1,10,20\n0,0,100\n1,0,11\n"
        assertAvailabilityTraceRejected(text, line: 4, .overlapping(client: 1, otherLine: 2))
        XCTAssertEqual(
            TraceParseError(source: "online.csv", line: 4, problem: .overlapping(client: 1, otherLine: 2)).description,
            "online.csv:4: this interval of client 1 overlaps the one on line 2; merge them")
    }

    func testParsedTracesDriveTheModel() throws {
        let compute = try ComputeProfile.parseTrace("client_id,seconds\n0,2\n1,3\n", clients: 2, source: "speeds.csv")
        let availability = try AvailabilityProfile.parseTrace(
            "client_id,start,end\n1,10,20\n", clients: 2, source: "online.csv")
        let model = try SystemModel(compute: compute, availability: availability, clients: 2, seed: 0)
        XCTAssertNil(model.job(client: 0, readyAt: 0, downloadBytes: 1, uploadBytes: 1))
        XCTAssertEqual(model.job(client: 1, readyAt: 0, downloadBytes: 1, uploadBytes: 1), JobTiming(start: 10, end: 13))
    }
}
