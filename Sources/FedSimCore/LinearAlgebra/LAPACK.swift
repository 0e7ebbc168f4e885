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

/// An eigendecomposition `A = V * diag(lambda) * V^T` of a symmetric n x n matrix, in
/// double precision.
public struct DoubleSymmetricEigendecomposition: Equatable, Sendable {
    /// The n eigenvalues in ascending order.
    public var eigenvalues: [Double]
    /// The n unit eigenvectors one after another: the one for `eigenvalues[j]` is
    /// `eigenvectors[j * n ..< (j + 1) * n]` (see `eigenvector(_:)`).
    public var eigenvectors: [Double]

    /// The unit eigenvector for `eigenvalues[index]`.
    public func eigenvector(_ index: Int) -> ArraySlice<Double> {
        let size = eigenvalues.count
        return eigenvectors[index * size ..< (index + 1) * size]
    }
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
    ///
    /// The column-major view of a row-major buffer is A^T, whose lower triangle is A's upper
    /// triangle. ssyevd returns eigenvector j in the j-th column-major column, that is in
    /// row j of the row-major buffer, so the buffer is transposed once at the end.
    /// - Throws: `LinearAlgebraError.shapeMismatch` if `a` is not square.
    public static func symmetricEigen(_ a: Matrix) throws -> SymmetricEigendecomposition {
        guard a.rows == a.columns else {
            throw LinearAlgebraError.shapeMismatch(
                "symmetricEigen: the matrix must be square, got \(a.shapeDescription)")
        }
        let (eigenvalues, eigenvectors) = try symmetricEigen(a.storage, size: a.rows, routine: "ssyevd", ssyevd_)
        let eigenvectorRows = try Matrix(rows: a.rows, columns: a.rows, values: eigenvectors)
        return SymmetricEigendecomposition(eigenvalues: eigenvalues, eigenvectors: eigenvectorRows.transposed())
    }

    /// Eigenvalues and eigenvectors of the symmetric `size x size` matrix whose row-major
    /// elements are `values`, in double precision (dsyevd, divide and conquer). Only the
    /// upper triangle (column >= row) is read. O(n^3).
    ///
    /// dsyevd writes eigenvector j into the j-th column-major column, which is the j-th
    /// run of `size` values: the result keeps that buffer as it is.
    /// - Throws: `LinearAlgebraError.shapeMismatch` unless `values` has `size * size` elements.
    public static func symmetricEigen(size: Int, values: [Double]) throws -> DoubleSymmetricEigendecomposition {
        guard size >= 0, values.count == size * size else {
            throw LinearAlgebraError.shapeMismatch(
                "symmetricEigen: a \(size)x\(size) matrix needs \(size * size) values, got \(values.count)")
        }
        let (eigenvalues, eigenvectors) = try symmetricEigen(values, size: size, routine: "dsyevd", dsyevd_)
        return DoubleSymmetricEigendecomposition(eigenvalues: eigenvalues, eigenvectors: eigenvectors)
    }

    /// The signature ssyevd_ and dsyevd_ share, over their floating-point type.
    private typealias SymmetricEigenRoutine<Scalar> = (
        UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Scalar>?,
        UnsafePointer<Int32>?, UnsafeMutablePointer<Scalar>?, UnsafeMutablePointer<Scalar>?, UnsafePointer<Int32>?,
        UnsafeMutablePointer<Int32>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?
    ) -> Void

    /// Runs `syevd` (ssyevd_ or dsyevd_, named `routine` in errors) on the column-major
    /// `size x size` buffer `values`, reading its lower triangle: first the workspace
    /// query, then the decomposition. Returns the ascending eigenvalues and the buffer the
    /// routine overwrote with the eigenvectors, eigenvector j in column-major column j.
    private static func symmetricEigen<Scalar: BinaryFloatingPoint>(
        _ values: [Scalar], size: Int, routine: String, _ syevd: SymmetricEigenRoutine<Scalar>
    ) throws -> (eigenvalues: [Scalar], eigenvectors: [Scalar]) {
        guard size > 0 else { return ([], []) }
        var jobz = CChar(UInt8(ascii: "V"))
        var uplo = CChar(UInt8(ascii: "L"))
        var n = BLAS.blasSize(size)
        var leading = n
        var matrix = values
        var eigenvalues = [Scalar](repeating: 0, count: size)
        var info: Int32 = 0

        func run(_ work: inout [Scalar], _ workCount: Int32, _ integerWork: inout [Int32], _ integerCount: Int32) {
            var workCount = workCount
            var integerCount = integerCount
            matrix.withUnsafeMutableBufferPointer { matrix in
                eigenvalues.withUnsafeMutableBufferPointer { eigenvalues in
                    work.withUnsafeMutableBufferPointer { work in
                        integerWork.withUnsafeMutableBufferPointer { integerWork in
                            syevd(&jobz, &uplo, &n, matrix.baseAddress, &leading, eigenvalues.baseAddress,
                                  work.baseAddress, &workCount, integerWork.baseAddress, &integerCount, &info)
                        }
                    }
                }
            }
        }

        var work = [Scalar](repeating: 0, count: 1)
        var integerWork = [Int32](repeating: 0, count: 1)
        run(&work, -1, &integerWork, -1)
        try checkLAPACKInfo(info, routine: routine)
        let workCount = max(1, Int(work[0].rounded(.up)))
        let integerCount = max(1, Int(integerWork[0]))
        work = [Scalar](repeating: 0, count: workCount)
        integerWork = [Int32](repeating: 0, count: integerCount)
        run(&work, BLAS.blasSize(workCount), &integerWork, BLAS.blasSize(integerCount))
        try checkLAPACKInfo(info, routine: routine)
        return (eigenvalues, matrix)
    }
}
