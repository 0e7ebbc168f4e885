import FedSimCore
import Foundation

/// The Flag Aggregator (Almasi et al. 2023, "Flag Aggregator: Scalable Distributed
/// Training under Failures and Augmented Losses using Convex Optimization"), following
/// the authors' code.
///
/// Inputs are normalized, `x_i = g_i / ||g_i||` (a zero input stays zero). A subspace
/// Y (d x r, orthonormal columns) is fitted by iteratively reweighted least squares on
/// the flag-median objective `E(Y) = sum_i sqrt(max(0, 1 - ||Y^T x_i||^2))`:
/// - weights `w_i = (|1 - ||Y^T x_i||^2| + 1e-7)^(-1/4)`; with lambda > 0 also, for every
///   ordered pair i != j, `d_ij = x_i - x_j` with
///   `w_ij = lambda / (n (n - 1)) * (|1 - ||Y^T d_ij||^2| + 1e-7)^(-1/4)`;
/// - the new Y is the top-r left singular vectors of `[w_i x_i ..., w_ij d_ij ...]`.
/// Y starts from a random orthonormal matrix drawn from the stream (uniform entries in
/// [-0.5, 0.5), orthonormalized). The iteration stops after `iterations` (n_its) steps,
/// or when E stops decreasing (by more than 1e-10), or when E <= 1e-10; if the last step
/// did not lower E, the Y before it is kept. Output: `(1/r) sum_i Y Y^T x_i`.
/// Defaults as in the authors' code: r = 1, lambda = 0, n_its = 4.
///
/// Computation: every column of the weighted matrix is a combination of the x_i, so the
/// whole iteration runs in the n-dimensional coordinates of span{x_i}. With the Gram
/// matrix `X^T X = V S^2 V^T` (one sgemm, one symmetric eigendecomposition; directions
/// with eigenvalue below n * Float.ulpOfOne of the largest are dropped), the weighted
/// matrix is `X C`, its left singular vectors are `X V S^-1 B` where B holds the top
/// eigenvectors of `S V^T (C C^T) V S`, and `Y^T X = B^T S V^T`. So after the start,
/// `Y = X P` for an n x r matrix P, and the output `X P P^T X^T X 1 / r` is a combination
/// of the inputs: it lies in their span.
/// Complexity: O(n^2 d) for the Gram matrix, O(r n d) for the start and the output, and
/// O(n_its n^2 (n + r)) for the iterations (O(n_its n^2 r) more with lambda > 0).
public struct FlagAggregator: RobustRule {
    public var name: String { "flag" }
    /// r, the subspace dimension (1 <= r <= min(n, d)).
    public var rank: Int
    /// lambda >= 0, the weight of the pairwise-difference terms.
    public var lambda: Double
    /// n_its, the most IRLS steps (at least 1).
    public var iterations: Int

    public init(rank: Int = 1, lambda: Double = 0, iterations: Int = 4) {
        self.rank = rank
        self.lambda = lambda
        self.iterations = iterations
    }

    /// The current subspace: the random start (its r orthonormal rows, Y^T), or `Y = X P`
    /// after a step, with P stored as n rows of r' = min(r, rank of X) coefficients.
    private enum Subspace {
        case start(basisRows: Matrix)
        case span(coefficients: [[Double]])
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let n = inputs.count
        let d = inputs.dimension
        guard rank >= 1, rank <= min(n, d) else {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "rank", message: "must lie in 1...min(n, d) = 1...\(min(n, d)), got \(rank)")
        }
        guard lambda.isFinite, lambda >= 0 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "lambda", message: "must be finite and >= 0, got \(lambda)")
        }
        guard iterations >= 1 else {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "iterations", message: "must be >= 1, got \(iterations)")
        }
        let norms = RobustKernel.rowNorms(inputs)
        let inverseNorms = norms.map { $0 > 0 ? 1 / $0 : 0 }
        let basis = try spanBasis(inputs, inverseNorms: inverseNorms)

        // The random start and its projections Y0^T x_i.
        let start = try randomOrthonormalRows(count: rank, dimension: d, stream: &stream)
        let startProducts = try linearAlgebra { try BLAS.product(start, inputs.matrix, transposeB: true) }
        var projections = (0..<n).map { i in (0..<rank).map { Double(startProducts[$0, i]) * inverseNorms[i] } }
        var subspace = Subspace.start(basisRows: start)

        var objective = flagObjective(projections)
        var previous = (subspace, projections)
        var steps = 0
        var decrease = 1.0
        while steps < iterations && decrease > 1e-10 && objective > 1e-10 {
            previous = (subspace, projections)
            let (coefficients, next) = try reweightedStep(projections, basis: basis)
            let nextObjective = flagObjective(next)
            decrease = objective - nextObjective
            objective = nextObjective
            subspace = .span(coefficients: coefficients)
            projections = next
            steps += 1
        }
        if !(decrease > 0) { (subspace, projections) = previous }

        // (1/r) sum_i Y Y^T x_i = (1/r) Y s with s = sum_i Y^T x_i.
        let projectionSum = (0..<projections.first!.count).map { c in projections.reduce(0) { $0 + $1[c] } }
        let aggregate: [Float]
        switch subspace {
        case .start(let rows):
            aggregate = RobustKernel.weightedSum(
                RobustInputs(trusted: rows), rows: Array(0..<rank), weights: projectionSum, divisor: Double(rank))
        case .span(let coefficients):
            // Y s = X P s = sum_i (P s)_i x_i = sum_i (P s)_i / ||g_i|| g_i.
            let weights = (0..<n).map { i in
                zip(coefficients[i], projectionSum).reduce(0) { $0 + $1.0 * $1.1 } * inverseNorms[i]
            }
            aggregate = RobustKernel.weightedSum(inputs, rows: Array(0..<n), weights: weights, divisor: Double(rank))
        }
        return RobustResult(aggregate: aggregate, report: RobustReport(step: name, inputs: n, iterations: steps))
    }

    /// `V_k` and `S_k`: the eigenvectors (as n-entry columns) and square-rooted
    /// eigenvalues of the normalized Gram matrix `X^T X`, for eigenvalues above
    /// n * Float.ulpOfOne of the largest, largest first.
    private func spanBasis(_ inputs: RobustInputs, inverseNorms: [Double]) throws -> (vectors: [[Double]], scales: [Double]) {
        let n = inputs.count
        let gram = try RobustKernel.gramMatrix(inputs, rule: name)
        var normalized = Matrix(rows: n, columns: n)
        for i in 0..<n {
            for j in 0..<n { normalized[i, j] = Float(Double(gram[i, j]) * inverseNorms[i] * inverseNorms[j]) }
        }
        let eigen = try linearAlgebra { try LAPACK.symmetricEigen(normalized) }
        let largest = Double(eigen.eigenvalues.last ?? 0)
        let threshold = largest * Double(n) * Double(Float.ulpOfOne)
        let kept = (0..<n).reversed().filter { largest > 0 && Double(eigen.eigenvalues[$0]) > threshold }
        return (kept.map { column in (0..<n).map { Double(eigen.eigenvectors[$0, column]) } },
                kept.map { Double(eigen.eigenvalues[$0]).squareRoot() })
    }

    /// One IRLS step from the projections `Y^T x_i`: the coefficients P of the new
    /// `Y = X P` and its projections `Y^T x_i`.
    private func reweightedStep(
        _ projections: [[Double]], basis: (vectors: [[Double]], scales: [Double])
    ) throws -> (coefficients: [[Double]], projections: [[Double]]) {
        let n = projections.count
        let k = basis.scales.count
        func weight(_ squaredProjection: Double) -> Double { pow(abs(1 - squaredProjection) + 1e-7, -0.25) }
        func squaredNorm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 } }

        // M = C C^T for the columns w_i e_i and w_ij (e_i - e_j) of the coefficient matrix C.
        var moment = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            let w = weight(squaredNorm(projections[i]))
            moment[i][i] += w * w
        }
        if lambda > 0 {
            let pairScale = lambda / Double(n * (n - 1))
            for i in 0..<n {
                for j in 0..<n where j != i {
                    let difference = zip(projections[i], projections[j]).map { $0 - $1 }
                    let w = pairScale * weight(squaredNorm(difference))
                    let w2 = w * w
                    moment[i][i] += w2
                    moment[j][j] += w2
                    moment[i][j] -= w2
                    moment[j][i] -= w2
                }
            }
        }
        // K = S V^T M V S (k x k).
        let momentTimesV = (0..<n).map { i in
            (0..<k).map { l in (0..<n).reduce(0.0) { $0 + moment[i][$1] * basis.vectors[l][$1] } }
        }
        var reduced = Matrix(rows: k, columns: k)
        for a in 0..<k {
            for b in 0..<k {
                let inner = (0..<n).reduce(0.0) { $0 + basis.vectors[a][$1] * momentTimesV[$1][b] }
                reduced[a, b] = Float(basis.scales[a] * inner * basis.scales[b])
            }
        }
        let eigen = try linearAlgebra { try LAPACK.symmetricEigen(reduced) }
        let top = Array((0..<k).reversed().prefix(min(rank, k)))
        // P = V S^-1 B and Y^T x_i = B^T S V^T e_i.
        let coefficients = (0..<n).map { i in
            top.map { c in (0..<k).reduce(0.0) { $0 + basis.vectors[$1][i] / basis.scales[$1] * Double(eigen.eigenvectors[$1, c]) } }
        }
        let next = (0..<n).map { i in
            top.map { c in (0..<k).reduce(0.0) { $0 + Double(eigen.eigenvectors[$1, c]) * basis.scales[$1] * basis.vectors[$1][i] } }
        }
        return (coefficients, next)
    }

    /// `E(Y) = sum_i sqrt(max(0, 1 - ||Y^T x_i||^2))`.
    private func flagObjective(_ projections: [[Double]]) -> Double {
        projections.reduce(0) { total, projection in
            total + max(0, 1 - projection.reduce(0) { $0 + $1 * $1 }).squareRoot()
        }
    }

    /// `count` orthonormal rows of length `dimension`: uniform entries in [-0.5, 0.5)
    /// from `stream`, orthonormalized by a thin SVD (its right singular vectors span the
    /// same rows).
    private func randomOrthonormalRows(count: Int, dimension: Int, stream: inout RandomStream) throws -> Matrix {
        let raw = (0..<count * dimension).map { _ in Float(stream.uniform() - 0.5) }
        return try linearAlgebra { try LAPACK.svd(Matrix(rows: count, columns: dimension, values: raw)).vt }
    }

    /// Runs a LAPACK or BLAS call, reporting its failure as this rule's error.
    private func linearAlgebra<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LinearAlgebraError {
            throw RobustAggregationError.linearAlgebra(rule: name, message: error.description)
        }
    }
}
