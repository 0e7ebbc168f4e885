import Foundation

/// L2-regularized binary logistic regression without intercept, the DADAO authors':
/// f(θ) = (w/m) sum_r log(1 + exp(-y_r <x_r, θ>)) + (mu/2) ||θ||^2 over a node's m rows
/// with data weight w (1 unless set; see `Objective`),
/// with class 0 as y = -1 and class 1 as y = +1, θ one value per feature. The same
/// problem as scikit-learn's `LogisticRegression(fit_intercept=False, C = 1/(mu m))`.
///
/// With s(t) = 1/(1 + exp(-t)) and t_r = <x_r, θ>: ∇f(θ) = -(1/m) X^T (y ∘ s(-y ∘ t)) + mu θ
/// and ∇²f(θ) = (1/m) X^T diag(s(t) s(-t)) X + mu I. Both the loss and s are evaluated
/// in forms that never overflow, whatever the size of the margins. Value and gradient
/// cost O(m d), the Hessian O(m d^2).
public struct LogisticObjective: Objective {
    let design: DesignMatrix
    /// y_r in {-1, +1}.
    let signs: [Double]
    let ridge: RidgePenalty
    public let dataWeight: Double

    /// The objective over `data`'s rows with L2 regularization mu = `regularization` and
    /// data weight w = `dataWeight`.
    /// - Throws: `ObjectiveError.noRows` when `data` is empty, `.notBinary` unless it has
    ///   two classes, `.invalidRegularization` unless mu is positive and finite,
    ///   `.invalidDataWeight` unless w is.
    public init(_ data: Dataset, regularization: Double, dataWeight: Double = 1) throws {
        guard !data.isEmpty else { throw ObjectiveError.noRows }
        guard data.classCount == 2 else { throw ObjectiveError.notBinary(classCount: data.classCount) }
        design = DesignMatrix(features: data.features, rows: data.count, featureCount: data.featureCount,
                              appendingOne: false)
        signs = data.labels.map { $0 == 1 ? 1 : -1 }
        ridge = try RidgePenalty(regularization)
        self.dataWeight = try checkedDataWeight(dataWeight)
    }

    public init(pooling parts: [LogisticObjective]) throws {
        _ = try agreedSetting(parts, "the feature count") { $0.design.columns }
        ridge = try RidgePenalty(agreedSetting(parts, "the regularization") { $0.regularization })
        design = DesignMatrix(stacking: parts.map(\.design))
        signs = parts.flatMap(\.signs)
        dataWeight = 1
    }

    /// w / m, the weight of each row's loss.
    private var rowWeight: Double { dataWeight / Double(rowCount) }

    /// mu.
    public var regularization: Double { ridge.strength }
    public var parameterCount: Int { design.columns }
    public var rowCount: Int { design.rows }

    public func value(at parameters: [Double]) -> Double {
        let margins = margins(at: parameters)
        let loss = zip(signs, margins).reduce(0.0) { $0 + softplus(-$1.0 * $1.1) }
        return loss * rowWeight + ridge.value(parameters)
    }

    public func valueAndGradient(at parameters: [Double]) -> (value: Double, gradient: [Double]) {
        var weights = margins(at: parameters)
        var loss = 0.0
        for row in weights.indices {
            let margin = signs[row] * weights[row]
            loss += softplus(-margin)
            weights[row] = -signs[row] * logistic(-margin) * rowWeight
        }
        var gradient = design.transposedTimes(weights, width: 1)
        ridge.addGradient(parameters, to: &gradient)
        return (loss * rowWeight + ridge.value(parameters), gradient)
    }

    public func hessian(at parameters: [Double]) -> [Double] {
        let rowWeight = rowWeight
        let weights = margins(at: parameters).map { logistic($0) * logistic(-$0) * rowWeight }
        var hessian = design.weightedGram(weights)
        ridge.addHessian(to: &hessian, size: parameterCount)
        return hessian
    }

    /// The DADAO authors' constants: mu_i = mu and L_i = max((w/m) sum_r ||x_r||^2 / 4, mu).
    ///
    /// The data term's Hessian is at most (1/4m) X^T X, whose largest eigenvalue is at most
    /// its trace (1/4m) sum_r ||x_r||^2; but the Hessian adds mu I to it, so the sound
    /// bound is that sum plus mu, and the authors' maximum can fall short of the true
    /// smoothness (by at most a factor 2) when the data term's largest eigenvalue is near
    /// its trace, as with one feature. Kept as the authors compute it so that DADAO's
    /// steps match theirs. O(m d).
    /// The share of rows with y_r <x_r, θ> > 0: class 1 predicted for a positive margin,
    /// class 0 otherwise. O(m d).
    public func accuracy(at parameters: [Double]) -> Double? {
        checkCount(parameters)
        let scores = design.times(parameters, width: 1)
        let correct = zip(scores, signs).filter { ($0 > 0 ? 1.0 : -1.0) == $1 }.count
        return Double(correct) / Double(rowCount)
    }

    public func regularityConstants() -> RegularityConstants {
        RegularityConstants(strongConvexity: regularization,
                            smoothness: max(dataWeight * design.meanSquaredRowNorm / 4, regularization))
    }

    /// t = X θ.
    private func margins(at parameters: [Double]) -> [Double] {
        checkCount(parameters)
        return design.times(parameters, width: 1)
    }
}

/// log(1 + exp(z)), without overflow for large z and without losing small values for
/// very negative z.
func softplus(_ z: Double) -> Double {
    z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
}

/// The logistic function 1 / (1 + exp(-z)), without overflow for any z.
func logistic(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + exp(-z)) }
    let power = exp(z)
    return power / (1 + power)
}
