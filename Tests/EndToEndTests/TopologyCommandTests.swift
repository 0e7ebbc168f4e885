import FedSimCore
import Foundation
import XCTest

/// `fedsim topology` through the real executable.
final class TopologyCommandTests: FedSimProcessTestCase {
    /// The keys of a flat JSON object in the order the text gives them.
    private func keys(_ json: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "\"([a-z0-9_]+)\":")
        return regex.matches(in: json, range: NSRange(json.startIndex..., in: json)).map {
            String(json[Range($0.range(at: 1), in: json)!])
        }
    }

    private func object(_ json: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func testJSONHasExactlyTheFactsInOrder() throws {
        let result = try fedsim(["topology", "--kind", "ring", "--nodes", "16", "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output.filter { $0 == "\n" }.count, 1)
        XCTAssertEqual(keys(result.output), ["nodes", "edges", "min_degree", "max_degree", "connected", "diameter",
                                             "lambda2", "metropolis_gap", "chi1", "chi2"])
        let facts = try object(result.output)
        XCTAssertEqual(facts.count, 10)
        XCTAssertEqual(facts["nodes"] as? Int, 16)
        XCTAssertEqual(facts["edges"] as? Int, 16)
        XCTAssertEqual(facts["connected"] as? Bool, true)
        XCTAssertEqual(facts["diameter"] as? Int, 8)
        let lambda2 = 2 - 2 * cos(2 * Double.pi / 16)
        XCTAssertEqual(try XCTUnwrap(facts["lambda2"] as? Double), lambda2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(facts["chi1"] as? Double), 16 / lambda2, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(facts["chi2"] as? Double), 7.5, accuracy: 1e-9)
    }

    func testWrittenFileSaysHowItWasMadeAndReadsBackToTheSameFacts() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/rgg.txt"
        let made = try fedsim(["topology", "--kind", "random_geometric", "--nodes", "50", "--radius", "0.3",
                               "--seed", "7", "--write", path])
        XCTAssertEqual(made.status, 0, made.error)
        let description = "random geometric graph: 50 points in the unit square, radius 0.3, seed 7, first connected draw at attempt "
        XCTAssert(made.output.hasPrefix(description), made.output)
        XCTAssert(made.output.contains("\nconnected       yes\n"), made.output)

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssert(lines[0].hasPrefix("# " + description), String(lines[0]))
        XCTAssertEqual(lines[1], "# fedsim topology --kind random_geometric --nodes 50 --radius 0.3 --seed 7 --write \(path)")
        let rows = made.output.split(separator: "\n").dropFirst().map(String.init)
        XCTAssertEqual(rows.count, 9)
        XCTAssertEqual(lines[2], "#")
        XCTAssertEqual(lines[3..<(3 + rows.count)].map { String($0.dropFirst(2)) }, rows)
        XCTAssertEqual(lines[3 + rows.count], "nodes 50")
        let graph = try GraphFile.load(path: path)
        XCTAssertEqual(graph, try GraphRecipe.randomGeometric(nodes: 50, radius: 0.3, seed: 7).make())

        let fromKind = try fedsim(["topology", "--kind", "random_geometric", "--nodes", "50", "--radius", "0.3",
                                   "--seed", "7", "--json"])
        let fromFile = try fedsim(["topology", path, "--json"])
        XCTAssertEqual(fromFile.status, 0, fromFile.error)
        XCTAssertEqual(fromFile.output, fromKind.output)
    }

    func testADisconnectedFileHasNullDiameterAndChi() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/two.txt"
        try "nodes 5\n0 1\n1 2\n3 4\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try fedsim(["topology", path, "--json"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output, "{\"nodes\": 5, \"edges\": 3, \"min_degree\": 1, \"max_degree\": 2, \"connected\": false, "
                       + "\"diameter\": null, \"lambda2\": 0.0, \"metropolis_gap\": 0.0, \"chi1\": null, \"chi2\": null}\n")
        let text = try fedsim(["topology", path])
        XCTAssert(text.output.contains("\nchi1            none (not connected)\n"), text.output)
    }

    func testProblemsAreReportedWithTheirFileAndLineOrOption() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/bad.txt"
        try "# a loop\n0 1\n2 2\n".write(toFile: path, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["topology", path], "\(path):3: self-loop at node 2"),
            (["topology", folder + "/missing.txt"], "\(folder)/missing.txt: no such file"),
            (["topology", "--kind", "torus", "--rows", "4"], "--kind torus needs --columns"),
            (["topology", "--kind", "ring", "--nodes", "8", "--radius", "0.1"],
             "--radius does not apply to --kind ring, which takes --nodes"),
            (["topology", "--kind", "barbell", "--nodes", "15"],
             "--kind barbell needs an even --nodes (two complete graphs of nodes/2), got 15"),
            (["topology", "--kind", "ring", "--nodes", "2"], "a ring needs at least 3 nodes, got 2"),
            (["topology", path, "--kind", "ring"], "give an edge-list FILE or --kind, not both"),
        ]
        for (arguments, message) in cases {
            let result = try fedsim(arguments)
            XCTAssertEqual(result.status, 1, arguments.joined(separator: " "))
            XCTAssertEqual(result.error, "fedsim: error: \(message)\n")
            XCTAssertEqual(result.output, "")
        }
    }

    /// Every shipped topology file is what the command in its second line writes.
    func testShippedTopologiesAreRegeneratedByTheCommandsTheyName() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let shipped = Self.repository.appendingPathComponent("topologies")
        let names = try FileManager.default.contentsOfDirectory(atPath: shipped.path).filter { $0.hasSuffix(".txt") }
        XCTAssertEqual(names.count, 10)
        for name in names {
            let text = try String(contentsOf: shipped.appendingPathComponent(name), encoding: .utf8)
            let command = try XCTUnwrap(text.split(separator: "\n").dropFirst().first)
            let prefix = "# fedsim topology "
            let suffix = " --write topologies/\(name)"
            XCTAssert(command.hasPrefix(prefix) && command.hasSuffix(suffix), "\(name): \(command)")
            let arguments = command.dropFirst(prefix.count).dropLast(suffix.count).split(separator: " ").map(String.init)
            let result = try fedsim(["topology"] + arguments + ["--write", folder + "/" + name])
            XCTAssertEqual(result.status, 0, result.error)
            let regenerated = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            XCTAssertEqual(regenerated.replacingOccurrences(of: " --write \(folder)/\(name)", with: suffix), text, name)
        }
    }
}
