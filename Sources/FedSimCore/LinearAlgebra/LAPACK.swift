import COpenBLAS

/// A thin singular value decomposition `A = U * diag(S) * V^T` of an m x n matrix,
/// with k = min(m, n).
public struct SingularValueDecomposition: Equatable, Sendable {
    /// m x k, orthonormal columns (the left singular vectors).
    public var u: Matrix
    /// The k singular values, non-negative and in descending order.
    public var singularValues: [Float]
    /// k x n, orthonormal rows (the right singular vectors, transposed).
    public var vt: Matrix
}

/// An eigendecomposition `A = V * diag(lambda) * V^T` of a symmetric n x n matrix.
public struct SymmetricEigendecomposition: Equatable, Sendable {
    /// The n eigenvalues in ascending order.
    public var eigenvalues: [Float]
    /// n x n orthogonal; column j is the unit eigenvector for `eigenvalues[j]`.
    public var eigenvectors: Matrix
}

/// Swift faces over the LAPACK routines in OpenBLAS. Inputs are row-major `Matrix`
/// values and are never modified; each routine first asks LAPACK for its optimal
/// workspace, then runs, and throws `LinearAlgebraError` when LAPACK reports failure.
///
/// LAPACK is column-major. A row-major m x n buffer read column-major is the n x m
/// matrix A^T, so each routine factors A^T and reads the factors of A off it.
public enum LAPACK {
    /// The thin SVD of `a` (sgesdd, divide and conquer). O(m * n * min(m, n)).
    ///
    /// sgesdd factors the column-major view A^T = U' S V'^T, so A = V' S U'^T: U is V'^T,
    /// whose column-major k x m buffer is exactly U in row-major order, and V^T is U'^T,
    /// whose buffer (U', n x k column-major) is V^T in row-major order. No copies needed.
    public static func svd(_ a: Matrix) throws -> SingularValueDecomposition {
        let rank = min(a.rows, a.columns)
        guard rank > 0 else {
            return SingularValueDecomposition(
                u: Matrix(rows: a.rows, columns: 0), singularValues: [],
                vt: Matrix(rows: 0, columns: a.columns))
        }
        // Column-major problem: M = a.columns, N = a.rows.
        var jobz = CChar(UInt8(ascii: "S"))
        var m = BLAS.blasSize(a.columns)
        var n = BLAS.blasSize(a.rows)
        var leading = m
        var leadingVT = BLAS.blasSize(rank)
        var matrix = a.storage
        var singularValues = [Float](repeating: 0, count: rank)
        var left = [Float](repeating: 0, count: a.columns * rank)  // U', becomes V^T
        var rightT = [Float](repeating: 0, count: rank * a.rows)  // V'^T, becomes U
        var integerWork = [Int32](repeating: 0, count: 8 * rank)
        var info: Int32 = 0

        func run(_ work: inout [Float], _ workCount: Int32) {
            var workCount = workCount
            matrix.withUnsafeMutableBufferPointer { matrix in
                singularValues.withUnsafeMutableBufferPointer { singularValues in
                    left.withUnsafeMutableBufferPointer { left in
                        rightT.withUnsafeMutableBufferPointer { rightT in
                            work.withUnsafeMutableBufferPointer { work in
                                integerWork.withUnsafeMutableBufferPointer { integerWork in
                                    sgesdd_(&jobz, &m, &n, matrix.baseAddress, &leading,
                                            singularValues.baseAddress, left.baseAddress, &leading,
                                            rightT.baseAddress, &leadingVT, work.baseAddress, &workCount,
                                            integerWork.baseAddress, &info)
                                }
                            }
                        }
                    }
                }
            }
        }

        var work = [Float](repeating: 0, count: 1)
        run(&work, -1)
        try checkLAPACKInfo(info, routine: "sgesdd")
        let workCount = max(1, Int(work[0].rounded(.up)))
        work = [Float](repeating: 0, count: workCount)
        run(&work, BLAS.blasSize(workCount))
        try checkLAPACKInfo(info, routine: "sgesdd")

        return SingularValueDecomposition(
            u: try Matrix(rows: a.rows, columns: rank, values: rightT),
            singularValues: singularValues,
            vt: try Matrix(rows: rank, columns: a.columns, values: left))
    }

    /// Eigenvalues and eigenvectors of the symmetric matrix `a` (ssyevd, divide and
    /// conquer). Only the upper triangle of `a` (column >= row) is read. O(n^3).
    /// - Throws: `LinearAlgebraError.shapeMismatch` if `a` is not square.
    public static func symmetricEigen(_ a: Matrix) throws -> SymmetricEigendecomposition {
        guard a.rows == a.columns else {
            throw LinearAlgebraError.shapeMismatch(
                "symmetricEigen: the matrix must be square, got \(a.shapeDescription)")
        }
        let (eigenvalues, eigenvectors) = try symmetricEigen(a.storage, size: a.rows, ssyevd_, name: "ssyevd")
        return SymmetricEigendecomposition(
            eigenvalues: eigenvalues, eigenvectors: try Matrix(rows: a.rows, columns: a.rows, values: eigenvectors))
    }

    /// The signature ssyevd_ and dsyevd_ share.
    private typealias SymmetricEigenRoutine<Scalar> = (
        UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Scalar>?,
        UnsafePointer<Int32>?, UnsafeMutablePointer<Scalar>?, UnsafeMutablePointer<Scalar>?, UnsafePointer<Int32>?,
        UnsafeMutablePointer<Int32>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?
    ) -> Void

    /// The eigenvalues (ascending) of the symmetric row-major `size x size` matrix `a` and
    /// the row-major matrix whose column j is the unit eigenvector for eigenvalue j, by
    /// `routine` (ssyevd or dsyevd, `name` in errors).
    ///
    /// The column-major view of a row-major buffer is A^T, whose lower triangle is A's upper
    /// triangle. The routine returns eigenvector j in the j-th column-major column, that is
    /// in row j of the row-major buffer, so the buffer is transposed once at the end.
    private static func symmetricEigen<Scalar: BinaryFloatingPoint>(
        _ a: [Scalar], size: Int, _ routine: SymmetricEigenRoutine<Scalar>, name: String
    ) throws -> (eigenvalues: [Scalar], eigenvectors: [Scalar]) {
        guard size > 0 else { return ([], []) }
        var jobz = CChar(UInt8(ascii: "V"))
        var uplo = CChar(UInt8(ascii: "L"))
        var n = BLAS.blasSize(size)
        var leading = n
        var matrix = a
        var eigenvalues = [Scalar](repeating: 0, count: size)
        var info: Int32 = 0

        func run(_ work: inout [Scalar], _ workCount: Int32, _ integerWork: inout [Int32], _ integerCount: Int32) {
            var workCount = workCount
            var integerCount = integerCount
            matrix.withUnsafeMutableBufferPointer { matrix in
                eigenvalues.withUnsafeMutableBufferPointer { eigenvalues in
                    work.withUnsafeMutableBufferPointer { work in
                        integerWork.withUnsafeMutableBufferPointer { integerWork in
                            routine(&jobz, &uplo, &n, matrix.baseAddress, &leading, eigenvalues.baseAddress,
                                    work.baseAddress, &workCount, integerWork.baseAddress, &integerCount, &info)
                        }
                    }
                }
            }
        }

        var work = [Scalar](repeating: 0, count: 1)
        var integerWork = [Int32](repeating: 0, count: 1)
        run(&work, -1, &integerWork, -1)
        try checkLAPACKInfo(info, routine: name)
        let workCount = max(1, Int(work[0].rounded(.up)))
        let integerCount = max(1, Int(integerWork[0]))
        work = [Scalar](repeating: 0, count: workCount)
        integerWork = [Int32](repeating: 0, count: integerCount)
        run(&work, BLAS.blasSize(workCount), &integerWork, BLAS.blasSize(integerCount))
        try checkLAPACKInfo(info, routine: name)

        var eigenvectors = [Scalar](repeating: 0, count: size * size)
        for row in 0..<size {
            for column in 0..<size {
                eigenvectors[column * size + row] = matrix[row * size + column]
            }
        }
        return (eigenvalues, eigenvectors)
    }
}

/// Double-precision faces, for the objectives of decentralized runs, whose minimizer and
/// constants are computed to 1e-10 and beyond. Inputs are row-major `[Double]` buffers of
/// a stated size and are never modified.
extension LAPACK {
    /// Eigenvalues and eigenvectors of the symmetric `size x size` matrix `a` (dsyevd): the
    /// double-precision `symmetricEigen(_: Matrix)`, with its conventions. Only the upper
    /// triangle of `a` (column >= row) is read. O(size^3).
    /// - Returns: the eigenvalues in ascending order, and a row-major `size x size` matrix
    ///   whose column j is the unit eigenvector for eigenvalue j.
    /// - Throws: `LinearAlgebraError.shapeMismatch` unless `a` holds `size * size` values.
    public static func symmetricEigen(_ a: [Double], size: Int) throws -> (eigenvalues: [Double], eigenvectors: [Double]) {
        try checkSquare(a, size: size, routine: "symmetricEigen")
        return try symmetricEigen(a, size: size, dsyevd_, name: "dsyevd")
    }

    /// The solution x of `A x = b` for a symmetric positive definite `size x size` matrix A
    /// (dposv, Cholesky). Only the upper triangle of `a` is read. O(size^3).
    /// - Throws: `LinearAlgebraError.shapeMismatch` unless `a` holds `size * size` values
    ///   and `b` holds `size`; `LinearAlgebraError.notPositiveDefinite` when A is not.
    public static func solvePositiveDefinite(_ a: [Double], size: Int, _ b: [Double]) throws -> [Double] {
        try checkSquare(a, size: size, routine: "solvePositiveDefinite")
        guard b.count == size else {
            throw LinearAlgebraError.shapeMismatch(
                "solvePositiveDefinite: the matrix is \(size)x\(size) but the right-hand side has \(b.count) values")
        }
        guard size > 0 else { return [] }
        var uplo = CChar(UInt8(ascii: "L"))
        var n = BLAS.blasSize(size)
        var columns: Int32 = 1
        var leading = n
        var factor = a
        var solution = b
        var info: Int32 = 0
        factor.withUnsafeMutableBufferPointer { factor in
            solution.withUnsafeMutableBufferPointer { solution in
                dposv_(&uplo, &n, &columns, factor.baseAddress, &leading, solution.baseAddress, &leading, &info)
            }
        }
        if info > 0 {
            throw LinearAlgebraError.notPositiveDefinite(routine: "dposv", order: Int(info))
        }
        try checkLAPACKInfo(info, routine: "dposv")
        return solution
    }

    private static func checkSquare(_ a: [Double], size: Int, routine: String) throws {
        guard size >= 0, a.count == size * size else {
            throw LinearAlgebraError.shapeMismatch(
                "\(routine): a \(size)x\(size) matrix needs \(size * size) values, got \(a.count)")
        }
    }
}
