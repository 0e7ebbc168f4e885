@testable import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

final class RunRecorderTests: XCTestCase {
    private let data = blobData(clients: 3)
    private let sizes = TransferSizes(parameterCount: 15)
    private var records: [StepRecord] = []
    private var warnings: [String] = []
    private var logs: [String] = []

    private func recorder(folder: RunFolder? = nil) throws -> (RunRecorder, Sequential) {
        var options = CoordinatorOptions(workers: 1)
        options.progress = { [weak self] in self?.records.append($0) }
        options.warn = { [weak self] in self?.warnings.append($0) }
        options.log = { [weak self] in self?.logs.append($0) }
        let model = try Sequential(ModelSpec.softmaxRegression(inputDim: 4, classes: 3), frozenParameters: [])
        return (RunRecorder(data: data, model: model, evaluationEvery: 2, sizes: sizes, folder: folder, options: options),
                model)
    }

    private func job(_ client: Int, version: Int) -> Job {
        Job(client: client, number: version + 1, version: version, ready: 0, start: 0, end: 1)
    }

    private func step(_ number: Int, _ jobs: [Job]) -> AggregationStep {
        AggregationStep(number: number, time: Double(number) / 2, version: number,
                        contributions: jobs.map { Contribution(job: $0, weight: 1) })
    }

    func testAStepsRecordCountsItsUpdatesTrafficAndStaleness() throws {
        let (recorder, _) = try recorder()
        for client in 0..<3 { recorder.dispatched(job(client, version: 0)) }
        let results = [ClientResult(delta: [], sampleCount: 10, trainLoss: 1.0, steps: 4),
                       ClientResult(delta: [], sampleCount: 30, trainLoss: 3.0, steps: 6),
                       ClientResult(delta: [], sampleCount: 5, trainLoss: .nan, steps: 2)]
        // Step 2 of the run: the jobs started from versions 0, 1 and 1 of a model now at version 1.
        try recorder.record(step(2, [job(0, version: 0), job(2, version: 1), job(1, version: 1)]), results: results,
                            facts: AggregationFacts(), model: [Float](repeating: 0, count: 15), epsilonMax: 0.5,
                            isLast: false)
        let record = try XCTUnwrap(records.last)
        XCTAssertEqual(record.step, 2)
        XCTAssertEqual(record.time, 1)
        XCTAssertEqual(record.clients, [0, 2, 1])
        XCTAssertEqual(record.stalenessMax, 1)
        XCTAssertEqual(record.stalenessMean, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(record.trainLoss, (10 * 1.0 + 30 * 3.0) / 40, "sample-weighted, the NaN loss left out")
        XCTAssertEqual(record.bytesUp, 3 * sizes.upload)
        XCTAssertEqual(record.bytesDown, 3 * sizes.download)
        XCTAssertEqual(record.epsilonMax, 0.5)
        let totals = recorder.state.totals
        XCTAssertEqual(totals[2].updates, 1)
        XCTAssertEqual(totals[2].localSteps, 6)
        XCTAssertEqual(totals[2].lastStep, 2)
        XCTAssertEqual(totals[2].lastTrainLoss, 3)
        XCTAssertEqual(totals[2].bytesDown, sizes.download)
        XCTAssertEqual(recorder.state.downloadsSinceLastStep, 0)
    }

    func testTheModelIsEvaluatedOnTheGridAndAtTheLastStepOnly() throws {
        let (recorder, model) = try recorder()
        let result = [ClientResult(delta: [], sampleCount: 1, trainLoss: 1, steps: 1)]
        var parameters = [Float](repeating: 0, count: 15)
        for number in 1...3 {
            parameters[number] = Float(number)
            try recorder.record(step(number, [job(0, version: number - 1)]), results: result, facts: AggregationFacts(),
                                model: parameters, epsilonMax: nil, isLast: number == 3)
        }
        XCTAssertEqual(records.map { $0.testLoss != nil }, [false, true, true])
        let last = model.evaluate(parameters: parameters, on: data.test)
        XCTAssertEqual(records.last?.testLoss, last.meanLoss)
        XCTAssertEqual(recorder.state.testAccuracy, last.accuracy)
        XCTAssertEqual(recorder.state.bestAccuracy, max(records[1].testAccuracy ?? 0, last.accuracy))
    }

    func testRejectedUpdatesAreLoggedAndDivergenceIsWarnedOnce() throws {
        let (recorder, _) = try recorder()
        var facts = AggregationFacts()
        facts.rejected = 2
        let broken = [Float](repeating: .nan, count: 15)
        for number in 1...2 {
            try recorder.record(step(number, [job(0, version: number - 1)]),
                                results: [ClientResult(delta: [], sampleCount: 1, trainLoss: 1, steps: 1)],
                                facts: facts, model: broken, epsilonMax: nil, isLast: false)
        }
        XCTAssertEqual(logs, ["step 1: rejected 2 updates holding NaN or infinity",
                              "step 2: rejected 2 updates holding NaN or infinity"])
        XCTAssertEqual(warnings, ["the global model holds NaN or infinity from step 1 on: training diverged"])
    }

    func testTheRunFolderGetsEachLineAsItsStepIsTakenAndTheTotalsAtTheEnd() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-recorder-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let scenario = blobScenario(clients: 3, perRound: 1, rounds: 2)
        let (recorder, _) = try recorder(folder: try RunFolder(path: path, scenario: scenario))
        recorder.dispatched(job(1, version: 0))
        try recorder.record(step(1, [job(1, version: 0)]),
                            results: [ClientResult(delta: [], sampleCount: 24, trainLoss: 0.25, steps: 3)],
                            facts: AggregationFacts(), model: [Float](repeating: 0, count: 15), epsilonMax: nil,
                            isLast: true)
        let lines = try String(contentsOfFile: path + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "written when the step is taken")
        let summary = try recorder.finish(scenario: "blobs", steps: 1, parameters: 15, workers: 1, started: Date(),
                                          trainingSeconds: 1, traffic: WireTraffic(), privacy: nil)
        XCTAssertEqual(summary.steps, 1)
        XCTAssertEqual(summary.virtualSeconds, 0.5)
        XCTAssertEqual(summary.clientUpdates, 1)
        XCTAssertEqual(summary.finalTestLoss, records.last?.testLoss)
        let clients = try String(contentsOfFile: path + "/clients.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(clients[2], "1,24,1,3,1,0.25,\(sizes.upload),\(sizes.download)")
        XCTAssertEqual(clients[1], "0,24,0,0,0,,0,0")
    }
}
