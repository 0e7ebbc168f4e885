/// Least squares without intercept, the DADAO authors' linear regression, with an
/// optional ridge: f(θ) = (w/m) sum_r (<x_r, θ> - y_r)^2 + (mu/2) ||θ||^2 over a node's m
/// rows, θ one value per feature, with data weight w (1 unless set; see `Objective`) and
/// mu >= 0 (0, no ridge, unless set).
///
/// ∇f(θ) = (2w/m) X^T (X θ - y) + mu θ and ∇²f = (2w/m) X^T X + mu I, constant. Value and
/// gradient cost O(m d), the Hessian O(m d^2). The minimizer solves the normal equations
/// ((2w/m) X^T X + mu I) θ = (2w/m) X^T y: from θ = 0, `minimize()` reaches it in one
/// Newton step (and refines it with a second if rounding leaves the gradient above the
/// tolerance). Without a ridge f is strongly convex only when X has full column rank.
public struct LeastSquaresObjective: Objective {
    let design: DesignMatrix
    let targets: [Double]
    /// The ridge, nil for mu = 0.
    let ridge: RidgePenalty?
    public let dataWeight: Double

    /// The objective over `data`'s rows with ridge mu = `regularization` and data weight
    /// w = `dataWeight`.
    /// - Throws: `ObjectiveError.noRows` when `data` is empty, `.invalidRegularization`
    ///   unless mu is 0 or positive and finite, `.invalidDataWeight` unless w is positive
    ///   and finite.
    public init(_ data: RegressionData, regularization: Double = 0, dataWeight: Double = 1) throws {
        guard data.count > 0 else { throw ObjectiveError.noRows }
        design = DesignMatrix(features: data.features, rows: data.count, featureCount: data.featureCount, appendingOne: false)
        targets = data.targets
        ridge = regularization == 0 ? nil : try RidgePenalty(regularization)
        self.dataWeight = try checkedDataWeight(dataWeight)
    }

    public init(pooling parts: [LeastSquaresObjective]) throws {
        _ = try agreedSetting(parts, "the feature count") { $0.design.columns }
        let regularization = try agreedSetting(parts, "the regularization") { $0.regularization }
        ridge = regularization == 0 ? nil : try RidgePenalty(regularization)
        design = DesignMatrix(stacking: parts.map(\.design))
        targets = parts.flatMap(\.targets)
        dataWeight = 1
    }

    /// mu, 0 without a ridge.
    public var regularization: Double { ridge?.strength ?? 0 }

    /// w / m, the weight of each row's squared residual.
    private var rowWeight: Double { dataWeight / Double(rowCount) }

    public var parameterCount: Int { design.columns }
    public var rowCount: Int { design.rows }

    public func value(at parameters: [Double]) -> Double {
        let residuals = residuals(at: parameters)
        return BLAS.dot(residuals, residuals) * rowWeight + (ridge?.value(parameters) ?? 0)
    }

    public func valueAndGradient(at parameters: [Double]) -> (value: Double, gradient: [Double]) {
        let residuals = residuals(at: parameters)
        let scale = 2 * rowWeight
        var gradient = design.transposedTimes(residuals.map { scale * $0 }, width: 1)
        ridge?.addGradient(parameters, to: &gradient)
        return (BLAS.dot(residuals, residuals) * rowWeight + (ridge?.value(parameters) ?? 0), gradient)
    }

    public func hessian(at parameters: [Double]) -> [Double] {
        checkCount(parameters)
        var hessian = design.weightedGram([Double](repeating: 2 * rowWeight, count: rowCount))
        ridge?.addHessian(to: &hessian, size: parameterCount)
        return hessian
    }

    /// A regression has no accuracy.
    public func accuracy(at parameters: [Double]) -> Double? { nil }

    /// mu_i = (2w/m) lambda_min(X^T X) + mu and L_i = (2w/m) lambda_max(X^T X) + mu: the
    /// extreme eigenvalues of the Hessian, so both are exact for this node. Without a ridge
    /// mu_i is 0 (up to rounding) when the features are rank-deficient, for instance with
    /// fewer rows than features (`stronglyConvexConstants()` refuses that). O(m d^2 + d^3).
    public func regularityConstants() throws -> RegularityConstants {
        let eigenvalues = try LAPACK.symmetricEigen(hessian(at: [Double](repeating: 0, count: parameterCount)),
                                                    size: parameterCount).eigenvalues
        return RegularityConstants(strongConvexity: eigenvalues.first ?? 0, smoothness: eigenvalues.last ?? 0)
    }

    /// X θ - y.
    private func residuals(at parameters: [Double]) -> [Double] {
        checkCount(parameters)
        var residuals = design.times(parameters, width: 1)
        for row in residuals.indices { residuals[row] -= targets[row] }
        return residuals
    }
}
