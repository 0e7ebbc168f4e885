import COpenBLAS

/// Double-precision faces over the BLAS in OpenBLAS, for the objectives of decentralized
/// runs. Matrices are row-major `[Double]` buffers with their shapes stated; vectors have
/// unit stride. The vector routines are disfavored overloads, so an untyped array literal
/// still means the single-precision routine.
extension BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C` with `op(A)` m x k, `op(B)` k x n and `C`
    /// m x n, each packed row-major (its leading dimension is its stored column count).
    /// With `beta == 0` the old contents of `C` are ignored. O(m * n * k). Traps if a
    /// buffer is too short.
    static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Double = 1, _ a: [Double], _ b: [Double], beta: Double = 0, into c: inout [Double]
    ) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    gemm(cblas_dgemm, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                         alpha: alpha, a: a, b: b, beta: beta, c: c)
                }
            }
        }
    }

    /// The inner product `sum_i x_i * y_i`. O(n).
    /// - Precondition: `x` and `y` have the same length.
    @_disfavoredOverload
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: x has \(x.count) elements but y has \(y.count)")
        let count = blasSize(x.count)
        return x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in cblas_ddot(count, x.baseAddress, 1, y.baseAddress, 1) }
        }
    }

    /// The Euclidean norm `sqrt(sum_i x_i^2)`, computed without overflow for large
    /// entries. O(n). Zero for an empty vector.
    @_disfavoredOverload
    public static func nrm2(_ x: [Double]) -> Double {
        let count = blasSize(x.count)
        return x.withUnsafeBufferPointer { cblas_dnrm2(count, $0.baseAddress, 1) }
    }
}
