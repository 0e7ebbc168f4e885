@testable import FedSimCore
import XCTest

/// Files already split by client: a csv client column, libsvm `qid:` tokens, LEAF JSON.
final class ClientSplitLoaderTests: XCTestCase {
    func testACSVClientColumnIsNeitherFeatureNorLabelAndGroupsRowsInFileOrder() throws {
        let csv = "user,x1,x2,label\nbob,1,2,0\nann,3,4,1\nbob,5,6,1\n\"cy\",7,8,0\n"
        let loaded = try CSVLoader.parse(Array(csv.utf8), name: "users.csv", clientColumn: 0)
        XCTAssertEqual(loaded.featureNames, ["x1", "x2"])
        XCTAssertEqual(loaded.dataset.featureCount, 2)
        XCTAssertEqual(loaded.dataset.features, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(loaded.clientIDs, ["bob", "ann", "bob", "cy"])
        let clients = loaded.rowsByClient()
        XCTAssertEqual(clients.map(\.id), ["bob", "ann", "cy"])
        XCTAssertEqual(clients.map(\.rows.features), [[1, 2, 5, 6], [3, 4], [7, 8]])
        XCTAssertEqual(clients.map(\.rows.labels), [[0, 1], [1], [0]])

        let last = try CSVLoader.parse(Array("1,2,0,7\n3,4,1,7\n".utf8), name: "last.csv", labelColumn: 2, clientColumn: -1)
        XCTAssertEqual(last.clientIDs, ["7", "7"])
        XCTAssertEqual(last.dataset.features, [1, 2, 3, 4])
    }

    func testBadClientColumnsAreNamed() {
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("1,2,0\n".utf8), name: "a.csv", clientColumn: 5) }?.description,
                       "a.csv:1: client column 5 is outside the 3 columns")
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("1,2,0\n".utf8), name: "a.csv", clientColumn: -1) }?.description,
                       "a.csv:1: client column -1 is the label column")
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("u,0\n".utf8), name: "a.csv", clientColumn: 0) }?.description,
                       "a.csv:1: a row needs at least one feature, a client and a label, found 2 fields")
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("u,1,0\n ,2,1\n".utf8), name: "a.csv", clientColumn: 0,
                                                       header: .absent) }?.description,
                       "a.csv:2: field 1: the client is empty")
    }

    func testLIBSVMReadsEachRowsClientFromItsQID() throws {
        let text = "1 qid:4 1:0.5\n0 qid:2 2:1\n1 qid:4 1:2\n"
        let loaded = try LIBSVMLoader.parse(Array(text.utf8), name: "q.svm", clientsByQID: true)
        XCTAssertEqual(loaded.clientIDs, ["4", "2", "4"])
        XCTAssertEqual(loaded.rowsByClient().map(\.rows.features), [[0.5, 0, 2, 0], [0, 1]])
        XCTAssertEqual(try LIBSVMLoader.parse(Array(text.utf8), name: "q.svm").clientIDs, [], "qid ignored unless asked")
        XCTAssertEqual(dataError { try LIBSVMLoader.parse(Array("1 qid:4 1:1\n0 1:2\n".utf8), name: "q.svm",
                                                          clientsByQID: true) }?.description,
                       "q.svm:2: no qid:N token names this row's client")
        XCTAssertEqual(dataError { try LIBSVMLoader.parse(Array("1 qid:x 1:1\n".utf8), name: "q.svm",
                                                          clientsByQID: true) }?.description,
                       "q.svm:1: field 2: qid \"x\" is not a non-negative integer")
    }

    private let leaf = """
        {"users": ["f_1", "f_0"], "num_samples": [2, 1],
         "user_data": {"f_0": {"x": [[5, 6.5]], "y": [7]},
                       "f_1": {"x": [[1, 2], [3e0, -4]], "y": [3, 7.0]}}}
        """

    func testLEAFJSONGivesItsUsersInTheOrderUsersListsThem() throws {
        let loaded = try LEAFJSONLoader.parse(Array(leaf.utf8), name: "train.json")
        XCTAssertEqual(loaded.clientIDs, ["f_1", "f_1", "f_0"])
        XCTAssertEqual(loaded.dataset.features, [1, 2, 3, -4, 5, 6.5])
        XCTAssertEqual(loaded.labelValues, [3, 7])
        XCTAssertEqual(loaded.dataset.labels, [0, 1, 1])
        XCTAssertEqual(loaded.rowsByClient().map(\.id), ["f_1", "f_0"])

        let test = #"{"users": ["f_0"], "user_data": {"f_0": {"x": [[0, 1]], "y": [7]}}}"#
        let again = try LEAFJSONLoader.parse(Array(test.utf8), name: "test.json", labelValues: [3, 7], featureCount: 2)
        XCTAssertEqual(again.dataset.labels, [1])
    }

    func testLEAFJSONProblemsNameTheFileAndThePath() {
        func problem(_ json: String, labelValues: [Int]? = nil, featureCount: Int? = nil) -> String? {
            dataError { try LEAFJSONLoader.parse(Array(json.utf8), name: "u.json", labelValues: labelValues,
                                                 featureCount: featureCount) }?.description
        }
        XCTAssertEqual(problem("[1]"), "u.json: the file: expected a JSON object with users and user_data")
        XCTAssertEqual(problem(#"{"users": "a"}"#), "u.json: users: expected an array of names")
        XCTAssertEqual(problem(#"{"users": ["a", "a"], "user_data": {}}"#), "u.json: users: \"a\" appears twice")
        XCTAssertEqual(problem(#"{"users": ["a"], "user_data": {}}"#), "u.json: user_data[\"a\"]: missing; users lists \"a\"")
        XCTAssertEqual(problem(#"{"users": ["a"], "num_samples": [2], "user_data": {"a": {"x": [[1]], "y": [0]}}}"#),
                       "u.json: num_samples[0]: says 2 for \"a\", whose data has 1 rows")
        XCTAssertEqual(problem(#"{"users": ["a"], "user_data": {"a": {"x": [[1, 2], [3]], "y": [0, 1]}}}"#),
                       "u.json: user_data[\"a\"].x[1]: 1 features, expected 2")
        XCTAssertEqual(problem(#"{"users": ["a"], "user_data": {"a": {"x": [[1, "b"]], "y": [0]}}}"#),
                       "u.json: user_data[\"a\"].x[0][1]: expected a finite number")
        XCTAssertEqual(problem(#"{"users": ["a"], "user_data": {"a": {"x": [[1]], "y": [0.5]}}}"#),
                       "u.json: user_data[\"a\"].y[0]: expected an integer label")
        XCTAssertEqual(problem(#"{"users": ["a"], "user_data": {"a": {"x": [[1]], "y": [9]}}}"#, labelValues: [0, 1]),
                       "u.json: user_data[\"a\"].y[0]: label 9 is not one of the class ids 0...1")
        XCTAssertEqual(problem(#"{"users": ["a"], "user_data": {"a": {"x": [[1]]}}}"#),
                       "u.json: user_data[\"a\"].y: expected an array of labels")
        XCTAssertEqual(problem("{\"users\": [\"a\"],"), "u.json: not JSON: expected a quoted key at byte 16")
    }
}
