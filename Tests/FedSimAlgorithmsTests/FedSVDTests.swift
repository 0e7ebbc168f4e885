@testable import FedSimAlgorithms
import FedSimCore
import XCTest

/// FedSVD's refactorization of an adapter's product B A.
final class FedSVDTests: XCTestCase {
    private func random(_ rows: Int, _ columns: Int, seed: UInt64) throws -> Matrix {
        var stream = RandomStream(seed: seed, purpose: .initialization)
        return try Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Float(stream.normal()) })
    }

    private func product(_ b: Matrix, _ a: Matrix) throws -> Matrix {
        var product = Matrix(rows: b.rows, columns: a.columns)
        try BLAS.gemm(b, a, into: &product)
        return product
    }

    private func frobenius(_ m: Matrix) -> Double {
        m.values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    private func difference(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        try Matrix(rows: x.rows, columns: x.columns, values: zip(x.values, y.values).map { $0 - $1 })
    }

    func testRefactorizationKeepsTheProductAndOrthonormalizesA() throws {
        for (outputs, inputs, rank, seed) in [(12, 30, 4, 1), (30, 12, 4, 2), (8, 8, 8, 3), (64, 784, 8, 4), (10, 64, 1, 5)] as [(Int, Int, Int, UInt64)] {
            let a = try random(rank, inputs, seed: seed)
            let b = try random(outputs, rank, seed: seed + 100)
            let (newA, newB) = try FedSVD.refactorize(a: a, b: b)
            XCTAssertEqual(newA.rows, rank)
            XCTAssertEqual(newA.columns, inputs)
            XCTAssertEqual(newB.rows, outputs)
            XCTAssertEqual(newB.columns, rank)
            let before = try product(b, a)
            let after = try product(newB, newA)
            XCTAssertLessThan(frobenius(try difference(after, before)) / frobenius(before), 1e-5, "\(outputs)x\(inputs) rank \(rank)")
            let gram = try product(newA, newA.transposed())
            XCTAssertLessThan(frobenius(try difference(gram, .identity(rank))), 1e-5, "A A^T = I")
            // B's columns are the singular directions scaled by the singular values, in
            // descending order: orthogonal, with decreasing norms.
            let bGram = try product(newB.transposed(), newB)
            for i in 0..<rank {
                for j in 0..<rank where i != j {
                    XCTAssertEqual(Double(bGram[i, j]), 0, accuracy: 1e-4 * Double(bGram[0, 0]))
                }
                if i > 0 { XCTAssertLessThanOrEqual(bGram[i, i], bGram[i - 1, i - 1] * (1 + 1e-5)) }
            }
        }
    }

    func testAnOrthonormalAWithOrderedColumnsIsAFixedPoint() throws {
        // A with orthonormal rows and B with orthogonal columns of decreasing norm are
        // already an SVD: refactorizing gives them back up to signs.
        let a = try Matrix(rows: 2, columns: 3, values: [1, 0, 0, 0, 0, 1])
        let b = try Matrix(rows: 2, columns: 2, values: [3, 0, 0, 2])
        let (newA, newB) = try FedSVD.refactorize(a: a, b: b)
        for row in 0..<2 {
            let sign: Float = newA[row, row == 0 ? 0 : 2] < 0 ? -1 : 1
            for column in 0..<3 { XCTAssertEqual(newA[row, column], sign * a[row, column], accuracy: 1e-6) }
            for output in 0..<2 { XCTAssertEqual(newB[output, row], sign * b[output, row], accuracy: 1e-5) }
        }
    }

    func testAModelsAdaptersAreRefactorizedInPlace() throws {
        // Two LoRA layers with frozen A: the trainable vector holds both Bs, the factors
        // both As; other values do not move.
        let spec = ModelSpec(inputDim: 5, layers: [
            .loraDense(LoRADense(inputs: 5, outputs: 4, rank: 2, alpha: 2, baseInitialization: .heNormal, trainsFactorA: false)),
            .relu(ReLU(width: 4)),
            .loraDense(LoRADense(inputs: 4, outputs: 3, rank: 3, alpha: 6, baseInitialization: .heNormal, trainsFactorA: false)),
        ])
        let (model, _) = try Sequential.initialized(spec, seed: 7)
        var stream = RandomStream(seed: 8, purpose: .initialization)
        var parameters = (0..<model.trainableParameterCount).map { _ in Float(stream.normal()) }
        var factors = model.adapterFactors
        let (originalParameters, originalFactors) = (parameters, factors)
        try FedSVD.refactorize(parameters: &parameters, adapterFactors: &factors, adapters: model.adapters)
        var factorOffset = 0
        for adapter in model.adapters {
            let aRange = factorOffset..<(factorOffset + adapter.factorA.count)
            factorOffset += adapter.factorA.count
            let before = try product(try Matrix(rows: adapter.outputs, columns: adapter.rank, values: Array(originalParameters[adapter.factorB])),
                                     try Matrix(rows: adapter.rank, columns: adapter.inputs, values: Array(originalFactors[aRange])))
            let after = try product(try Matrix(rows: adapter.outputs, columns: adapter.rank, values: Array(parameters[adapter.factorB])),
                                    try Matrix(rows: adapter.rank, columns: adapter.inputs, values: Array(factors[aRange])))
            XCTAssertLessThan(frobenius(try difference(after, before)) / frobenius(before), 1e-5)
        }
        XCTAssertEqual(parameters.count, originalParameters.count)
        XCTAssertNotEqual(factors, originalFactors)
    }
}
