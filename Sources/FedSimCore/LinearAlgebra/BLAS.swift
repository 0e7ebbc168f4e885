import COpenBLAS

/// Shape-checked Swift faces over the single-precision BLAS in OpenBLAS.
///
/// Matrices are row-major. Vector routines take whole `[Float]` arrays with unit stride.
/// Raw pointers exist only inside `withUnsafe...` closures in this file.
public enum BLAS {
    /// Makes OpenBLAS run on the calling thread only. Every fedsim process calls this at
    /// start-up: a multi-threaded BLAS may split sums differently from run to run, and a
    /// run's results must be a pure function of (scenario, seed). Parallelism comes from
    /// processes instead.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// General matrix multiply: `C = alpha * op(A) * op(B) + beta * C`, where `op(X)` is
    /// `X` or its transpose. With `beta == 0` the old contents of `C` are ignored.
    ///
    /// Complexity: O(m * n * k) for `op(A)` m x k and `op(B)` k x n.
    /// - Throws: `LinearAlgebraError.shapeMismatch` unless `op(A)` is m x k,
    ///   `op(B)` is k x n and `C` is m x n.
    public static func gemm(
        alpha: Float = 1, _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        beta: Float = 0, into c: inout Matrix
    ) throws {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (innerB, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        guard k == innerB, c.rows == m, c.columns == n else {
            throw LinearAlgebraError.shapeMismatch(
                "gemm: op(A) is \(m)x\(k) (A \(a.shapeDescription)\(transposeA ? ", transposed" : "")), "
                    + "op(B) is \(innerB)x\(n) (B \(b.shapeDescription)\(transposeB ? ", transposed" : "")), "
                    + "C is \(c.shapeDescription); need op(A) m x k, op(B) k x n, C m x n")
        }
        a.storage.withUnsafeBufferPointer { aValues in
            b.storage.withUnsafeBufferPointer { bValues in
                c.storage.withUnsafeMutableBufferPointer { cValues in
                    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                         alpha: alpha, a: aValues, b: bValues, beta: beta, c: cValues)
                }
            }
        }
    }

    /// The product `op(A) * op(B)` as a new matrix.
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the inner dimensions differ.
    public static func product(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false
    ) throws -> Matrix {
        var result = Matrix(rows: transposeA ? a.columns : a.rows, columns: transposeB ? b.rows : b.columns)
        try gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &result)
        return result
    }

    /// `y = alpha * x + y`. O(n).
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the lengths differ.
    public static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) throws {
        try checkSameLength(x, y, operation: "axpy")
        let count = blasSize(x.count)
        x.withUnsafeBufferPointer { xValues in
            y.withUnsafeMutableBufferPointer { yValues in
                cblas_saxpy(count, alpha, xValues.baseAddress, 1, yValues.baseAddress, 1)
            }
        }
    }

    /// The inner product `sum_i x_i * y_i`. O(n).
    /// - Throws: `LinearAlgebraError.shapeMismatch` when the lengths differ.
    public static func dot(_ x: [Float], _ y: [Float]) throws -> Float {
        try checkSameLength(x, y, operation: "dot")
        let count = blasSize(x.count)
        return x.withUnsafeBufferPointer { xValues in
            y.withUnsafeBufferPointer { yValues in
                cblas_sdot(count, xValues.baseAddress, 1, yValues.baseAddress, 1)
            }
        }
    }

    /// The Euclidean norm `sqrt(sum_i x_i^2)`, computed without overflow for large
    /// entries. O(n). Zero for an empty vector.
    public static func nrm2(_ x: [Float]) -> Float {
        let count = blasSize(x.count)
        return x.withUnsafeBufferPointer { cblas_snrm2(count, $0.baseAddress, 1) }
    }

    /// `x = alpha * x`. O(n).
    public static func scal(_ alpha: Float, _ x: inout [Float]) {
        let count = blasSize(x.count)
        x.withUnsafeMutableBufferPointer { cblas_sscal(count, alpha, $0.baseAddress, 1) }
    }

    /// Row-major `C = alpha * op(A) * op(B) + beta * C` over raw buffers, for callers in
    /// this module that keep operands inside larger flat vectors (model layers, workspaces).
    /// `op(A)` is m x k, `op(B)` is k x n, `C` is m x n; each operand is packed (its leading
    /// dimension is its stored column count). Traps if a buffer is too short.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafeBufferPointer<Float>, b: UnsafeBufferPointer<Float>,
        beta: Float, c: UnsafeMutableBufferPointer<Float>
    ) {
        gemm(cblas_sgemm, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             alpha: alpha, a: a, b: b, beta: beta, c: c)
    }

    /// The signature cblas_sgemm and cblas_dgemm share.
    typealias GemmRoutine<Scalar> = (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Scalar,
        UnsafePointer<Scalar>?, blasint, UnsafePointer<Scalar>?, blasint, Scalar, UnsafeMutablePointer<Scalar>?, blasint
    ) -> Void

    /// The raw-buffer product above, in the precision of `routine`.
    static func gemm<Scalar>(
        _ routine: GemmRoutine<Scalar>, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Scalar, a: UnsafeBufferPointer<Scalar>, b: UnsafeBufferPointer<Scalar>,
        beta: Scalar, c: UnsafeMutableBufferPointer<Scalar>
    ) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n,
                     "gemm buffers hold \(a.count), \(b.count), \(c.count) values; "
                        + "shapes \(m)x\(k), \(k)x\(n), \(m)x\(n) need more")
        guard m > 0, n > 0 else { return }
        routine(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasSize(m), blasSize(n), blasSize(k), alpha,
            a.baseAddress, blasSize(max(1, transposeA ? m : k)),
            b.baseAddress, blasSize(max(1, transposeB ? k : n)),
            beta, c.baseAddress, blasSize(n))
    }

    /// A dimension as BLAS's 32-bit integer; traps with a message beyond its range.
    static func blasSize(_ value: Int) -> blasint {
        guard let size = blasint(exactly: value) else {
            preconditionFailure("dimension \(value) exceeds the BLAS integer range")
        }
        return size
    }

    private static func checkSameLength(_ x: [Float], _ y: [Float], operation: String) throws {
        guard x.count == y.count else {
            throw LinearAlgebraError.shapeMismatch(
                "\(operation): x has \(x.count) elements but y has \(y.count)")
        }
    }
}
