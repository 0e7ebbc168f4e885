import FedSimCore

/// FedSVD's server step (Lee et al., 2025, "FedSVD: Adaptive Orthogonalization for
/// Private Federated Learning with LoRA"; ALGORITHMS.md section 4): each adapter's
/// product `P = B A` (outputs x inputs, rank at most r) is factored again by its thin
/// SVD `P = U S V^T`, and `A <- V_r^T` (r orthonormal rows), `B <- U_r S_r`. `B A` is
/// unchanged up to rounding, and `A`'s rows span the directions clients moved `B` along.
/// As in the authors' code, the singular values go to `B`.
public enum FedSVD {
    /// Refactorizes every adapter in `adapters` whose `A` is frozen: `B` is read from and
    /// written to `parameters` (the trainable vector), `A` to `adapterFactors`, laid out
    /// as `Sequential.adapterFactors` (the frozen `A`s in stack order).
    /// O(sum over adapters of outputs * inputs * min(outputs, inputs)).
    /// - Throws: `LinearAlgebraError` when LAPACK fails (a product holding NaN or infinity).
    public static func refactorize(parameters: inout [Float], adapterFactors: inout [Float],
                                   adapters: [AdapterLocation]) throws {
        var offset = 0
        for adapter in adapters where !adapter.trainsFactorA {
            let factorA = offset..<(offset + adapter.factorA.count)
            let (a, b) = try refactorize(
                a: try Matrix(rows: adapter.rank, columns: adapter.inputs, values: Array(adapterFactors[factorA])),
                b: try Matrix(rows: adapter.outputs, columns: adapter.rank, values: Array(parameters[adapter.factorB])))
            adapterFactors.replaceSubrange(factorA, with: a.values)
            parameters.replaceSubrange(adapter.factorB, with: b.values)
            offset += adapter.factorA.count
        }
    }

    /// The factors `(V_r^T, U_r S_r)` of the thin SVD of `b * a`, r = `a.rows`.
    /// - Precondition: `b.columns == a.rows` and r <= min(b.rows, a.columns).
    public static func refactorize(a: Matrix, b: Matrix) throws -> (a: Matrix, b: Matrix) {
        let rank = a.rows
        var product = Matrix(rows: b.rows, columns: a.columns)
        try BLAS.gemm(b, a, into: &product)
        let svd = try LAPACK.svd(product)
        let newA = try Matrix(rows: rank, columns: a.columns, values: Array(svd.vt.values[0..<(rank * a.columns)]))
        var newB = Matrix(rows: b.rows, columns: rank)
        for row in 0..<b.rows {
            for column in 0..<rank {
                newB[row, column] = svd.u[row, column] * svd.singularValues[column]
            }
        }
        return (newA, newB)
    }
}
