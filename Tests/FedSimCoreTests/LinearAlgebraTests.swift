@testable import FedSimCore
import XCTest

final class MatrixAndBLASTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    private func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
        var stream = RandomStream(seed: seed, purpose: .synthetic)
        return try! Matrix(rows: rows, columns: columns,
                           values: (0..<(rows * columns)).map { _ in Float(stream.normal()) })
    }

    /// op(A) op(B) by the textbook triple loop, accumulated in Double.
    private func naiveProduct(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) -> [Double] {
        let left = transposeA ? a.transposed() : a
        let right = transposeB ? b.transposed() : b
        var result = [Double](repeating: 0, count: left.rows * right.columns)
        for i in 0..<left.rows {
            for j in 0..<right.columns {
                for p in 0..<left.columns {
                    result[i * right.columns + j] += Double(left[i, p]) * Double(right[p, j])
                }
            }
        }
        return result
    }

    func testMatrixLayoutTransposeAndIdentity() throws {
        let matrix = try Matrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(matrix[1, 0], 4)
        XCTAssertEqual(matrix[0, 2], 3)
        let transposed = matrix.transposed()
        XCTAssertEqual(transposed.rows, 3)
        XCTAssertEqual(transposed.columns, 2)
        XCTAssertEqual(transposed.values, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(Matrix.identity(2).values, [1, 0, 0, 1])
        XCTAssertEqual(Matrix(rows: 2, columns: 2, repeating: 7).values, [7, 7, 7, 7])
    }

    func testMatrixRejectsWrongValueCount() {
        XCTAssertThrowsError(try Matrix(rows: 2, columns: 3, values: [1, 2, 3])) { error in
            XCTAssertEqual("\(error)", "a 2x3 matrix needs 6 values, got 3")
        }
    }

    func testGemmMatchesNaiveProductForEveryTransposeCombination() throws {
        // op(A) is 4x3 and op(B) is 3x5 in every case.
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = transposeA ? randomMatrix(3, 4, seed: 1) : randomMatrix(4, 3, seed: 1)
                let b = transposeB ? randomMatrix(5, 3, seed: 2) : randomMatrix(3, 5, seed: 2)
                let product = try BLAS.product(a, transposeA: transposeA, b, transposeB: transposeB)
                XCTAssertEqual(product.rows, 4)
                XCTAssertEqual(product.columns, 5)
                let expected = naiveProduct(a, transposeA: transposeA, b, transposeB: transposeB)
                for (got, want) in zip(product.values, expected) {
                    XCTAssertEqual(Double(got), want, accuracy: 1e-5, "transposeA \(transposeA) transposeB \(transposeB)")
                }
            }
        }
    }

    func testGemmScalesAndAccumulates() throws {
        // C = 2 * A B + 3 * C with A = [[1, 2]], B = [[3], [4]]: A B = 11, so 2*11 + 3*5 = 37.
        let a = try Matrix(rows: 1, columns: 2, values: [1, 2])
        let b = try Matrix(rows: 2, columns: 1, values: [3, 4])
        var c = try Matrix(rows: 1, columns: 1, values: [5])
        try BLAS.gemm(alpha: 2, a, b, beta: 3, into: &c)
        XCTAssertEqual(c.values, [37])
    }

    func testGemmShapeMismatchThrowsNamingTheShapes() {
        let a = Matrix(rows: 2, columns: 3)
        let b = Matrix(rows: 4, columns: 5)
        var c = Matrix(rows: 2, columns: 5)
        XCTAssertThrowsError(try BLAS.gemm(a, b, into: &c)) { error in
            guard case LinearAlgebraError.shapeMismatch(let message) = error else {
                return XCTFail("expected a shape mismatch, got \(error)")
            }
            XCTAssertTrue(message.contains("2x3"), message)
            XCTAssertTrue(message.contains("4x5"), message)
        }
        // Right inner dimensions, wrong output shape.
        var wrongOutput = Matrix(rows: 3, columns: 5)
        XCTAssertThrowsError(try BLAS.gemm(a, transposeA: false, Matrix(rows: 3, columns: 5), into: &wrongOutput))
    }

    func testVectorRoutinesWorkedExample() throws {
        let x: [Float] = [3, 4]
        var y: [Float] = [1, -1]
        try BLAS.axpy(2, x, &y)
        XCTAssertEqual(y, [7, 7])
        XCTAssertEqual(try BLAS.dot(x, [1, 2]), 11)
        XCTAssertEqual(BLAS.nrm2(x), 5)
        XCTAssertEqual(BLAS.nrm2([]), 0)
        var z: [Float] = [1, -2, 0.5]
        BLAS.scal(-2, &z)
        XCTAssertEqual(z, [-2, 4, -1])
    }

    func testVectorLengthMismatchThrows() {
        var y: [Float] = [1, 2]
        XCTAssertThrowsError(try BLAS.axpy(1, [1, 2, 3], &y)) { error in
            XCTAssertEqual("\(error)", "axpy: x has 3 elements but y has 2")
        }
        XCTAssertThrowsError(try BLAS.dot([1], [1, 2]))
    }
}

final class LAPACKTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    private func assertOrthonormalColumns(_ matrix: Matrix, file: StaticString = #filePath, line: UInt = #line) throws {
        let gram = try BLAS.product(matrix, transposeA: true, matrix)
        let identity = Matrix.identity(matrix.columns)
        for (got, want) in zip(gram.values, identity.values) {
            XCTAssertEqual(got, want, accuracy: 1e-5, file: file, line: line)
        }
    }

    private func assertSVDReconstructs(_ a: Matrix, file: StaticString = #filePath, line: UInt = #line) throws {
        let svd = try LAPACK.svd(a)
        let rank = min(a.rows, a.columns)
        XCTAssertEqual(svd.u.rows, a.rows, file: file, line: line)
        XCTAssertEqual(svd.u.columns, rank, file: file, line: line)
        XCTAssertEqual(svd.vt.rows, rank, file: file, line: line)
        XCTAssertEqual(svd.vt.columns, a.columns, file: file, line: line)
        XCTAssertEqual(svd.singularValues, svd.singularValues.sorted(by: >), file: file, line: line)
        try assertOrthonormalColumns(svd.u, file: file, line: line)
        try assertOrthonormalColumns(svd.vt.transposed(), file: file, line: line)
        var scaledU = svd.u
        for row in 0..<scaledU.rows {
            for column in 0..<rank { scaledU[row, column] *= svd.singularValues[column] }
        }
        let reconstruction = try BLAS.product(scaledU, svd.vt)
        for (got, want) in zip(reconstruction.values, a.values) {
            XCTAssertEqual(got, want, accuracy: 1e-5, file: file, line: line)
        }
    }

    func testSVDOfKnownMatrix() throws {
        // A = [[3, 0], [4, 5]]: A^T A = [[25, 20], [20, 25]] has eigenvalues 45 and 5,
        // so the singular values are sqrt(45) = 3 sqrt(5) and sqrt(5).
        let a = try Matrix(rows: 2, columns: 2, values: [3, 0, 4, 5])
        let svd = try LAPACK.svd(a)
        XCTAssertEqual(svd.singularValues[0], Float(45).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(svd.singularValues[1], Float(5).squareRoot(), accuracy: 1e-5)
        try assertSVDReconstructs(a)
    }

    func testSVDOfDiagonalSortsSingularValues() throws {
        let a = try Matrix(rows: 3, columns: 3, values: [1, 0, 0, 0, -4, 0, 0, 0, 2])
        XCTAssertEqual(try LAPACK.svd(a).singularValues, [4, 2, 1])
    }

    func testSVDReconstructsTallAndWideMatrices() throws {
        var stream = RandomStream(seed: 11, purpose: .synthetic)
        let tall = try Matrix(rows: 5, columns: 3, values: (0..<15).map { _ in Float(stream.normal()) })
        try assertSVDReconstructs(tall)
        try assertSVDReconstructs(tall.transposed())
    }

    func testEigenOfKnownSymmetricMatrix() throws {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, -1)/sqrt 2 and (1, 1)/sqrt 2.
        let a = try Matrix(rows: 2, columns: 2, values: [2, 1, 1, 2])
        let eigen = try LAPACK.symmetricEigen(a)
        XCTAssertEqual(eigen.eigenvalues[0], 1, accuracy: 1e-6)
        XCTAssertEqual(eigen.eigenvalues[1], 3, accuracy: 1e-6)
        let half = Float(0.5).squareRoot()
        // Eigenvectors are defined up to sign: compare |v|.
        XCTAssertEqual(abs(eigen.eigenvectors[0, 0]), half, accuracy: 1e-6)
        XCTAssertEqual(eigen.eigenvectors[0, 0], -eigen.eigenvectors[1, 0], accuracy: 1e-6)
        XCTAssertEqual(abs(eigen.eigenvectors[0, 1]), half, accuracy: 1e-6)
        XCTAssertEqual(eigen.eigenvectors[0, 1], eigen.eigenvectors[1, 1], accuracy: 1e-6)
    }

    func testEigenvectorsAreColumnsSatisfyingAVEqualsVLambda() throws {
        // A non-diagonal 3x3 symmetric matrix (trace 7; eigenvalues about 0.753, 2.445, 3.802).
        let a = try Matrix(rows: 3, columns: 3, values: [2, 1, 0, 1, 2, 1, 0, 1, 3])
        let eigen = try LAPACK.symmetricEigen(a)
        XCTAssertEqual(eigen.eigenvalues, eigen.eigenvalues.sorted())
        XCTAssertEqual(eigen.eigenvalues.reduce(0, +), 7, accuracy: 1e-5)
        let av = try BLAS.product(a, eigen.eigenvectors)
        for row in 0..<3 {
            for column in 0..<3 {
                XCTAssertEqual(av[row, column], eigen.eigenvectors[row, column] * eigen.eigenvalues[column],
                               accuracy: 1e-5)
            }
        }
        let gram = try BLAS.product(eigen.eigenvectors, transposeA: true, eigen.eigenvectors)
        for (got, want) in zip(gram.values, Matrix.identity(3).values) {
            XCTAssertEqual(got, want, accuracy: 1e-5)
        }
    }

    func testEigenRejectsNonSquareMatrix() {
        XCTAssertThrowsError(try LAPACK.symmetricEigen(Matrix(rows: 2, columns: 3))) { error in
            XCTAssertEqual("\(error)", "symmetricEigen: the matrix must be square, got 2x3")
        }
    }
}

final class DoublePrecisionLinearAlgebraTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    func testDoubleGemmMatchesNaiveProductForEveryTransposeCombination() {
        // op(A) = [[1, 2, 3], [4, 5, 6]] (2x3), op(B) = [[1, 0], [0, 1], [1, -1]] (3x2):
        // op(A) op(B) = [[4, -1], [10, -1]].
        let a: [Double] = [1, 2, 3, 4, 5, 6]
        let aTransposed: [Double] = [1, 4, 2, 5, 3, 6]
        let b: [Double] = [1, 0, 0, 1, 1, -1]
        let bTransposed: [Double] = [1, 0, 1, 0, 1, -1]
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                var c: [Double] = [1, 1, 1, 1]
                BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: 2, n: 2, k: 3, alpha: 2,
                          transposeA ? aTransposed : a, transposeB ? bTransposed : b, beta: 3, into: &c)
                XCTAssertEqual(c, [11, 1, 23, 1], "transposeA \(transposeA) transposeB \(transposeB)")
            }
        }
    }

    func testDoubleVectorRoutinesWorkedExample() {
        XCTAssertEqual(BLAS.dot([3, 4] as [Double], [1, 2]), 11)
        XCTAssertEqual(BLAS.nrm2([3, 4] as [Double]), 5)
        XCTAssertEqual(BLAS.nrm2([1e300, 1e300] as [Double]), 1e300 * 2.0.squareRoot(), accuracy: 1e286)
    }

    func testDoubleEigenvectorsAreColumnsSatisfyingAVEqualsVLambda() throws {
        // The tridiagonal [[2, 1, 0], [1, 2, 1], [0, 1, 2]] has eigenvalues 2 + 2 cos(k pi / 4),
        // k = 3, 2, 1: 2 - sqrt 2, 2, 2 + sqrt 2. The lower triangle of `a` is garbage to
        // show that only the upper one is read.
        let a: [Double] = [2, 1, 0, 99, 2, 1, -99, 99, 2]
        let symmetric: [Double] = [2, 1, 0, 1, 2, 1, 0, 1, 2]
        let (eigenvalues, eigenvectors) = try LAPACK.symmetricEigen(a, size: 3)
        let root2 = 2.0.squareRoot()
        for (got, want) in zip(eigenvalues, [2 - root2, 2, 2 + root2]) {
            XCTAssertEqual(got, want, accuracy: 1e-14)
        }
        for row in 0..<3 {
            for column in 0..<3 {
                let av = (0..<3).reduce(0.0) { $0 + symmetric[row * 3 + $1] * eigenvectors[$1 * 3 + column] }
                XCTAssertEqual(av, eigenvectors[row * 3 + column] * eigenvalues[column], accuracy: 1e-14)
                let gram = (0..<3).reduce(0.0) { $0 + eigenvectors[$1 * 3 + row] * eigenvectors[$1 * 3 + column] }
                XCTAssertEqual(gram, row == column ? 1 : 0, accuracy: 1e-14)
            }
        }
        XCTAssertThrowsError(try LAPACK.symmetricEigen([1, 2, 3], size: 2)) { error in
            XCTAssertEqual("\(error)", "symmetricEigen: a 2x2 matrix needs 4 values, got 3")
        }
    }

    func testSolvePositiveDefiniteWorkedExample() throws {
        // [[4, 2], [2, 3]] x = [2, 1] has x = (1/8) [[3, -2], [-2, 4]] [2, 1] = [0.5, 0];
        // the lower triangle is garbage to show that only the upper one is read.
        let solution = try LAPACK.solvePositiveDefinite([4, 2, 99, 3], size: 2, [2, 1])
        XCTAssertEqual(solution[0], 0.5, accuracy: 1e-15)
        XCTAssertEqual(solution[1], 0, accuracy: 1e-15)
        // [[1, 2], [2, 1]] has eigenvalues 3 and -1: its order-2 leading minor is -3.
        XCTAssertThrowsError(try LAPACK.solvePositiveDefinite([1, 2, 2, 1], size: 2, [1, 1])) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .notPositiveDefinite(routine: "dposv", order: 2))
        }
        XCTAssertThrowsError(try LAPACK.solvePositiveDefinite([1, 0, 0, 1], size: 2, [1])) { error in
            XCTAssertEqual("\(error)", "solvePositiveDefinite: the matrix is 2x2 but the right-hand side has 1 values")
        }
    }

    func testAllFiniteFindsEveryNaNAndInfinityAndNothingElse() {
        let finite: [Float] = [0, -0.0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude, 3e-39]
        XCTAssertTrue(finite.allFinite)
        XCTAssertTrue([Float]().allFinite)
        for bad: Float in [.nan, -.nan, .signalingNaN, .infinity, -.infinity] {
            for position in [0, 4, 8] {
                var values = finite
                values[position] = bad
                XCTAssertFalse(values.allFinite, "\(bad) at \(position)")
            }
        }
        var long = [Float](repeating: 0.5, count: 1027)
        XCTAssertTrue(long.allFinite)
        long[1026] = .infinity
        XCTAssertFalse(long.allFinite, "the tail after the vectorized part is checked")
    }
}
