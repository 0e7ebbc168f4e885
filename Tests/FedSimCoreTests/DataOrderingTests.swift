@testable import FedSimCore
import XCTest

final class DataOrderingTests: XCTestCase {
    func testPacingFunctionsMatchWorkedValues() {
        // N = 100 rows, b = 0.2, a = 0.8, T = 10 steps: x = t / 8.
        func visible(_ function: Pacing.Function, _ t: Int) -> Int {
            Pacing(function: function, start: 0.2, fullAt: 0.8).visibleRows(at: t, of: 10, rows: 100)
        }
        XCTAssertEqual((0...9).map { visible(.linear, $0) }, [20, 30, 40, 50, 60, 70, 80, 90, 100, 100])
        XCTAssertEqual(visible(.quadratic, 4), 40)      // 20 + 80 * 0.25
        XCTAssertEqual(visible(.root, 4), 76)           // 20 + 80 * 0.7071 = 76.57
        XCTAssertEqual(visible(.exponential, 4), 20)    // 20 + 80 * (e^5 - 1) / (e^10 - 1) = 20.54
        XCTAssertEqual(visible(.exponential, 7), 42)    // 20 + 80 * (e^8.75 - 1) / (e^10 - 1) = 42.92
        XCTAssertEqual(visible(.logarithmic, 0), 20)    // 1 + 0.1 ln(e^-10) = 0
        XCTAssertEqual(visible(.logarithmic, 4), 94)    // 20 + 80 * (1 + 0.1 ln 0.5) = 94.45
        XCTAssertEqual((0...9).map { visible(.step, $0) }, [20, 20, 20, 20, 20, 20, 20, 20, 100, 100])
        for function in Pacing.Function.allCases {
            XCTAssertEqual(visible(function, 8), 100, "every function shows all rows at t = a T: \(function)")
            XCTAssertEqual(Pacing(function: function, start: 0.001).visibleRows(at: 0, of: 10, rows: 100), 1,
                           "at least one row: \(function)")
        }
        XCTAssertEqual(Pacing().visibleRows(at: 0, of: 10, rows: 0), 0)
    }

    func testAPassShowsAtLeastOneMinibatchAndPacingOverRoundsIgnoresTheSteps() {
        let local = DataOrdering(order: .curriculum, pacing: Pacing(start: 0.1, fullAt: 1))
        XCTAssertEqual(local.visibleRows(afterStep: 0, of: 10, rows: 50, batchSize: 8), 8, "g(0) = 5 rows, below a minibatch")
        XCTAssertEqual(local.visibleRows(afterStep: 5, of: 10, rows: 50, batchSize: 8), 27)   // 5 + 45 / 2 = 27.5
        XCTAssertEqual(local.visibleRows(afterStep: 0, of: 10, rows: 3, batchSize: 8), 3)
        let overRounds = DataOrdering(order: .curriculum, pacing: Pacing(start: 0.1, fullAt: 1,
                                                                         span: .rounds(current: 5, total: 10)))
        XCTAssertEqual(overRounds.visibleRows(afterStep: 0, of: 10, rows: 50, batchSize: 1), 27)
        XCTAssertEqual(overRounds.visibleRows(afterStep: 9, of: 10, rows: 50, batchSize: 1), 27)

        let training = LocalTraining(work: .epochs(1), batchSize: 1, learningRate: 0.1,
                                     ordering: DataOrdering(order: .random, pacing: Pacing(span: .rounds(current: 0, total: 4))))
        XCTAssertEqual(training.pacedAt(round: 2).ordering?.pacing.span, .rounds(current: 2, total: 4))
        XCTAssertEqual(training.pacedAt(round: 9).ordering?.pacing.span, .rounds(current: 3, total: 4))
        let local_ = LocalTraining(work: .epochs(1), batchSize: 1, learningRate: 0.1, ordering: local)
        XCTAssertEqual(local_.pacedAt(round: 2), local_)
    }

    func testRankingsSortByLossWithTiesByRowAndRandomIsAPermutation() {
        var rng = RandomStream(seed: 1, purpose: .batches)
        let losses = [0.5, 0.1, 0.5, 2.0, 0.0]
        XCTAssertEqual(DataOrdering(order: .curriculum).ranking(rows: 5, losses: { losses }, rng: &rng), [4, 1, 0, 2, 3])
        XCTAssertEqual(DataOrdering(order: .antiCurriculum).ranking(rows: 5, losses: { losses }, rng: &rng), [3, 2, 0, 1, 4])
        let random = DataOrdering(order: .random).ranking(rows: 5, losses: { XCTFail("random needs no losses"); return [] },
                                                          rng: &rng)
        XCTAssertEqual(random.sorted(), [0, 1, 2, 3, 4])
    }

    /// 12 random rows of 2 features and 3 classes, a softmax model and its start.
    private func problem() throws -> (Sequential, [Float], Dataset) {
        var rng = RandomStream(seed: 9, purpose: .batches)
        let data = Dataset(features: (0..<24).map { _ in Float(rng.normal()) },
                           labels: (0..<12).map { _ in Int32(rng.integer(below: 3)) }, featureCount: 2, classCount: 3)
        let (model, start) = try Sequential.initialized(.softmaxRegression(inputDim: 2, classes: 3), seed: 2)
        // Random weights, so that no two rows have the same loss.
        return (model, start.map { $0 + Float(rng.normal()) }, data)
    }

    func testExampleLossesAreTheRowsOfTheEvaluation() throws {
        let (model, start, data) = try problem()
        let losses = model.exampleLosses(parameters: start, on: data)
        XCTAssertEqual(losses.count, 12)
        XCTAssertEqual(Set(losses).count, 12, "distinct losses, so rankings have no ties")
        XCTAssertEqual(losses.reduce(0, +) / 12, model.evaluate(parameters: start, on: data).meanLoss)
        XCTAssertEqual(losses[3], model.evaluate(parameters: start, on: data.subset([3])).meanLoss)
    }

    func testCurriculumTrainsOnTheEasiestRowsAndAntiCurriculumOnTheHardest() throws {
        let (model, start, data) = try problem()
        var unused = RandomStream(seed: 0, purpose: .batches)
        let ascending = DataOrdering(order: .curriculum).ranking(
            rows: 12, losses: { model.exampleLosses(parameters: start, on: data) }, rng: &unused)
        // b = 0.25 shows 3 of the 12 rows, for the whole task when the pacing spans 100 rounds.
        let pacing = Pacing(start: 0.25, fullAt: 1, span: .rounds(current: 0, total: 100))
        func trained(_ order: DataOrdering.Order?, on data: Dataset) -> [Float] {
            var rng = RandomStream(seed: 3, purpose: .batches)
            return LocalTrainer(model: model).train(
                from: start, data: data, settings: LocalTraining(
                    work: .steps(5), batchSize: 3, learningRate: 0.5, ordering: order.map { DataOrdering(order: $0, pacing: pacing) }),
                rng: &rng).delta
        }
        let curriculum = trained(.curriculum, on: data)
        let anti = trained(.antiCurriculum, on: data)
        let easiest = trained(nil, on: data.subset(Array(ascending.prefix(3))))
        let hardest = trained(nil, on: data.subset(Array(ascending.suffix(3))))
        for (got, want) in [(curriculum, easiest), (anti, hardest)] {
            for (value, expected) in zip(got, want) { XCTAssertEqual(value, expected, accuracy: 1e-6) }
        }
        XCTAssertGreaterThan(zip(curriculum, anti).map { abs($0 - $1) }.max() ?? 0, 1e-3)
        XCTAssertNotEqual(trained(.random, on: data), trained(nil, on: data))
    }

    func testFixedRowLossesRankTheRowsInsteadOfTheModelsLosses() throws {
        let (model, start, data) = try problem()
        let pacing = Pacing(start: 0.25, fullAt: 1, span: .rounds(current: 0, total: 100))
        func trained(_ order: DataOrdering.Order, rowLosses: [Double]? = nil) -> [UInt32] {
            var rng = RandomStream(seed: 3, purpose: .batches)
            return LocalTrainer(model: model).train(
                from: start, data: data, settings: LocalTraining(work: .steps(4), batchSize: 3, learningRate: 0.5,
                                                                 ordering: DataOrdering(order: order, pacing: pacing)),
                rng: &rng, rowLosses: rowLosses).delta.map(\.bitPattern)
        }
        let losses = model.exampleLosses(parameters: start, on: data)
        XCTAssertEqual(trained(.curriculum, rowLosses: losses.map { -$0 }), trained(.antiCurriculum),
                       "easiest by the negated losses is hardest by the model's")
        XCTAssertEqual(trained(.curriculum, rowLosses: losses), trained(.curriculum))
    }

    func testPacingOverTheTaskWidensThePrefixBetweenPasses() throws {
        let (model, start, data) = try problem()
        var unused = RandomStream(seed: 0, purpose: .batches)
        let ascending = DataOrdering(order: .curriculum).ranking(
            rows: 12, losses: { model.exampleLosses(parameters: start, on: data) }, rng: &unused)
        // b = 0.25, a = 0.5 over a task of 2 steps of 3 rows: the first pass walks the 3
        // easiest rows (one step), the second starts at t = 1 = a T and walks all 12.
        let ordering = DataOrdering(order: .curriculum, pacing: Pacing(start: 0.25, fullAt: 0.5))
        var rng = RandomStream(seed: 3, purpose: .batches)
        let paced = LocalTrainer(model: model).train(
            from: start, data: data, settings: LocalTraining(work: .steps(2), batchSize: 3, learningRate: 0.5, ordering: ordering),
            rng: &rng)
        XCTAssertEqual(paced.steps, 2)
        // Replaying the draws: the first step on the easiest rows, the second on a batch of a permutation of all 12.
        var replay = RandomStream(seed: 3, purpose: .batches)
        let firstPass = replay.permutation(3).map { ascending[$0] }
        let secondPass = replay.permutation(12).map { ascending[$0] }
        var expected = start
        for batch in [firstPass, Array(secondPass.prefix(3))] {
            var gradient = [Float](repeating: 0, count: start.count)
            var workspace = ModelWorkspace()
            _ = model.lossAndGradient(parameters: expected, data: data, rows: batch[...], gradient: &gradient,
                                      workspace: &workspace)
            for index in expected.indices { expected[index] -= 0.5 * gradient[index] }
        }
        for (delta, index) in zip(paced.delta, start.indices) {
            XCTAssertEqual(delta, expected[index] - start[index], accuracy: 1e-6)
        }
    }
}
