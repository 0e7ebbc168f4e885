import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

/// Data already split by client: LEAF JSON (`source: leaf`) and csv or libsvm files with
/// a `client_column`, which are then the partition (`scheme: natural`).
final class ClientSplitDataTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-split-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// `data` written as LEAF JSON, users "u0", "u1", ... in client order.
    private func leafJSON(_ data: [Dataset]) -> String {
        let users = data.indices.map { "\"u\($0)\"" }
        let entries = data.enumerated().map { index, rows in
            let x = (0..<rows.count).map { row in
                "[" + rows.features[row * rows.featureCount..<(row + 1) * rows.featureCount].map { "\($0)" }
                    .joined(separator: ", ") + "]"
            }
            return "\"u\(index)\": {\"x\": [\(x.joined(separator: ", "))], \"y\": [\(rows.labels.map(String.init).joined(separator: ", "))]}"
        }
        return "{\"users\": [\(users.joined(separator: ", "))], \"num_samples\": [\(data.map { "\($0.count)" }.joined(separator: ", "))], "
            + "\"user_data\": {\(entries.joined(separator: ", "))}}"
    }

    private func scenario(data: String, clients: Int, extra: String = "") throws -> Scenario {
        let yaml = """
            name: split
            seed: 3
            data:
            \(data.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            partition:
              clients: \(clients)
            \(extra)
            model:
              kind: softmax
            training:
              local_epochs: 2
              batch_size: 8
              learning_rate: 0.1
            server:
              rounds: 10
              clients_per_round: \(min(4, clients))

            """
        return try ScenarioLoader.parse(yaml, file: "split.yaml", baseDirectory: folder)
    }

    private func issues(data: String, clients: Int = 4, extra: String = "") -> [String] {
        do {
            _ = try scenario(data: data, clients: clients, extra: extra)
            XCTFail("expected the scenario to be rejected")
        } catch let error as ScenarioError {
            return error.issues.map { "\($0.field): \($0.message)" }
        } catch {
            XCTFail("unexpected error \(error)")
        }
        return []
    }

    func testLEAFUsersAreTheClientsAndItsTestFileTheTestSetAndTheyTrain() throws {
        let blobs = blobData(clients: 4)
        try leafJSON(blobs.clients).write(toFile: folder + "/train.json", atomically: true, encoding: .utf8)
        try leafJSON([blobs.test]).write(toFile: folder + "/test.json", atomically: true, encoding: .utf8)
        let leaf = try scenario(data: "source: leaf\npath: train.json\ntest_path: test.json", clients: 4)
        XCTAssertEqual(leaf.partition.scheme, .natural)
        XCTAssertEqual(leaf.data.source, .leaf(path: folder + "/train.json", testPath: folder + "/test.json"))
        XCTAssertEqual(try ScenarioLoader.parse(leaf.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), leaf)

        let data = try Simulation.prepareData(leaf)
        XCTAssertEqual(data.clients, blobs.clients)
        XCTAssertEqual(data.test, blobs.test)

        let run = InMemoryRun()
        let summary = try run.coordinatorSummary(leaf, data)
        XCTAssertEqual(summary.steps, 10)
        XCTAssertGreaterThan(summary.finalTestAccuracy, 0.9, "three well-separated blobs; chance is 1/3")

        let other = try scenario(data: "source: leaf\npath: train.json\ntest_path: test.json", clients: 5)
        XCTAssertThrowsError(try Simulation.prepareData(other)) { error in
            XCTAssertEqual("\(error)", "data: \(self.folder!)/train.json: holds 4 clients, and partition.clients says 5; "
                           + "set partition.clients: 4")
        }
    }

    func testACSVClientColumnSplitsEachClientsRowsByTheTestFractionWithItsOwnDraws() throws {
        let blobs = blobData(clients: 3)
        var csv = "client,a,b,c,d,label\n"
        // Rows interleaved across clients: the clients come in the order the file first names them.
        for row in 0..<24 {
            for client in [2, 0, 1] {
                let rows = blobs.clients[client]
                let features = rows.features[row * 4..<(row + 1) * 4].map { "\($0)" }.joined(separator: ",")
                csv += "c\(client),\(features),\(rows.labels[row])\n"
            }
        }
        try csv.write(toFile: folder + "/rows.csv", atomically: true, encoding: .utf8)
        let split = try scenario(data: "source: csv\npath: rows.csv\nclient_column: 0\ntest_fraction: 0.25", clients: 3)
        XCTAssertEqual(split.data.clientColumn, .index(0))
        XCTAssertEqual(try ScenarioLoader.parse(split.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), split)
        XCTAssertEqual(try ScenarioLoader.parseDataRecipe(split.dataRecipe, file: "recipe").data, split.data)

        let data = try Simulation.prepareData(split)
        XCTAssertEqual(data.clients.map(\.count), [18, 18, 18])
        XCTAssertEqual(data.test.count, 18)
        for (position, client) in [2, 0, 1].enumerated() {
            // Each client's training rows are 18 of its own 24 rows, in file order.
            let own = Set((0..<24).map { Array(blobs.clients[client].features[$0 * 4..<($0 + 1) * 4]) })
            let kept = (0..<18).map { Array(data.clients[position].features[$0 * 4..<($0 + 1) * 4]) }
            XCTAssert(kept.allSatisfy(own.contains), "client c\(client)")
        }
        // The same rows give the same split every time; another data seed another split.
        let again = try Simulation.prepareData(split)
        XCTAssertEqual(again.clients, data.clients)
        XCTAssertEqual(again.test, data.test)
        var reseeded = split
        reseeded.dataSeed = 99
        XCTAssertNotEqual(try Simulation.prepareData(reseeded).clients, data.clients)
    }

    func testMisfitClientFieldsAreReportedWhereTheyAre() throws {
        try "1,2,0\n".write(toFile: folder + "/rows.csv", atomically: true, encoding: .utf8)
        try "1 qid:1 1:1\n0 qid:1 1:2\n1 qid:1 1:3\n0 qid:1 1:4\n1 qid:1 1:5\n".write(toFile: folder + "/rows.svm", atomically: true, encoding: .utf8)
        try "{}".write(toFile: folder + "/train.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(issues(data: "source: csv\npath: rows.csv\nclient_column: -1"),
                       ["data.client_column: is the label column (-1)"])
        XCTAssertEqual(issues(data: "source: libsvm\npath: rows.svm\nclient_column: 2"),
                       ["data.client_column: a libsvm row names its client with a qid:N token: use client_column: qid"])
        XCTAssertEqual(issues(data: "source: leaf\npath: train.json\nclient_column: 0"),
                       ["data.client_column: applies to csv and libsvm files, not leaf data, which comes split by client"])
        XCTAssertEqual(issues(data: "source: csv\npath: rows.csv\nclient_column: 0", extra: "  scheme: iid"),
                       ["partition.scheme: csv data with a client_column is split by client: use scheme: natural"])
        XCTAssertEqual(issues(data: "source: synthetic", extra: "  scheme: iid"),
                       ["partition.scheme: synthetic data comes split by client: use scheme: natural "
                        + "(source synthetic_iid makes IID clients)"])
        XCTAssertEqual(issues(data: "source: csv\npath: rows.csv", extra: "  scheme: natural"),
                       ["partition.scheme: scheme natural needs data with its own clients (source: synthetic, synthetic_iid, "
                        + "synthetic_regression or leaf, or a csv or libsvm file with a client_column)"])
        let qid = try scenario(data: "source: libsvm\npath: rows.svm\nclient_column: qid", clients: 1)
        XCTAssertEqual(qid.data.clientColumn, .qid)
        let rows = try Simulation.prepareData(qid)
        XCTAssertEqual(rows.clients.map(\.count), [4], "round(0.2 x 5) = 1 row held out")
        XCTAssertEqual(rows.test.count, 1)
    }
}
