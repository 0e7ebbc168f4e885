import Foundation

/// L2-regularized multinomial logistic (softmax) regression with biases: over a node's m
/// rows and K classes, f(θ) = (w/m) sum_r (log sum_c exp(l_rc) - l_r,y_r) + (mu/2) ||θ||^2
/// with logits l_r = x_r W + b and data weight w (1 unless set; see `Objective`). Every parameter, biases included, is regularized, so f is
/// mu-strongly convex (the cross-entropy alone is flat along adding the same amount to
/// every class's logit).
///
/// Layout: θ is the row-major (d + 1) x K matrix Θ whose first d rows are W (features x
/// classes) and whose last row is b, the layout of a `Dense` layer's values, so the
/// logits are l_r = z_r Θ with z_r = (x_r, 1). With P the row-wise softmax of the logits
/// and Y the one-hot labels, ∇f(θ) = (w/m) Z^T (P - Y) + mu θ, and
/// ∇²f(θ) = (w/m) sum_r (z_r z_r^T) ⊗ (diag(p_r) - p_r p_r^T) + mu I, entry
/// ((j, c), (k, c')) at row j K + c and column k K + c'. Value and gradient cost
/// O(m d K); the Hessian is assembled from K (K + 1) / 2 weighted Gram matrices of Z,
/// O(m d^2 K^2) time and O(d^2 K^2) memory, for a parameter count of a few thousand at most.
public struct SoftmaxObjective: Objective {
    /// Z: the feature rows, each followed by a 1.
    let design: DesignMatrix
    let labels: [Int32]
    public let classCount: Int
    let ridge: RidgePenalty
    public let dataWeight: Double

    /// The objective over `data`'s rows and classes with L2 regularization
    /// mu = `regularization` and data weight w = `dataWeight`.
    /// - Throws: `ObjectiveError.noRows` when `data` is empty, `.invalidRegularization`
    ///   unless mu is positive and finite, `.invalidDataWeight` unless w is.
    public init(_ data: Dataset, regularization: Double, dataWeight: Double = 1) throws {
        guard !data.isEmpty else { throw ObjectiveError.noRows }
        design = DesignMatrix(features: data.features, rows: data.count, featureCount: data.featureCount,
                              appendingOne: true)
        labels = data.labels
        classCount = data.classCount
        ridge = try RidgePenalty(regularization)
        self.dataWeight = try checkedDataWeight(dataWeight)
    }

    public init(pooling parts: [SoftmaxObjective]) throws {
        _ = try agreedSetting(parts, "the feature count") { $0.design.columns - 1 }
        classCount = try agreedSetting(parts, "the class count") { $0.classCount }
        ridge = try RidgePenalty(agreedSetting(parts, "the regularization") { $0.regularization })
        design = DesignMatrix(stacking: parts.map(\.design))
        labels = parts.flatMap(\.labels)
        dataWeight = 1
    }

    /// mu.
    public var regularization: Double { ridge.strength }
    /// (d + 1) K.
    public var parameterCount: Int { design.columns * classCount }
    public var rowCount: Int { design.rows }

    public func value(at parameters: [Double]) -> Double {
        dataWeight * crossEntropy(at: parameters).mean + ridge.value(parameters)
    }

    public func valueAndGradient(at parameters: [Double]) -> (value: Double, gradient: [Double]) {
        var (mean, errors) = crossEntropy(at: parameters)
        let scale = dataWeight / Double(rowCount)
        for row in 0..<rowCount {
            errors[row * classCount + Int(labels[row])] -= 1
        }
        var gradient = design.transposedTimes(errors.map { scale * $0 }, width: classCount)
        ridge.addGradient(parameters, to: &gradient)
        return (dataWeight * mean + ridge.value(parameters), gradient)
    }

    public func hessian(at parameters: [Double]) -> [Double] {
        let probabilities = crossEntropy(at: parameters).probabilities
        let width = design.columns
        var hessian = [Double](repeating: 0, count: parameterCount * parameterCount)
        for c in 0..<classCount {
            for other in c..<classCount {
                // Block (c, other): (w/m) Z^T diag(p_rc (δ - p_r,other)) Z, the same for (other, c).
                let weights = (0..<rowCount).map { row in
                    let p = probabilities[row * classCount + c]
                    return p * ((c == other ? 1 : 0) - probabilities[row * classCount + other]) * dataWeight
                        / Double(rowCount)
                }
                let block = design.weightedGram(weights)
                for j in 0..<width {
                    for k in 0..<width {
                        hessian[(j * classCount + c) * parameterCount + k * classCount + other] = block[j * width + k]
                        hessian[(j * classCount + other) * parameterCount + k * classCount + c] = block[j * width + k]
                    }
                }
            }
        }
        ridge.addHessian(to: &hessian, size: parameterCount)
        return hessian
    }

    /// fedsim's constants (the DADAO authors have no softmax problem): mu_i = mu and
    /// L_i = (w/m) sum_r ||(x_r, 1)||^2 / 2 + mu.
    ///
    /// The cross-entropy's Hessian in the logits, A = diag(p) - p p^T, has v^T A v the
    /// variance of v_c under c ~ p, at most (max_c v_c - min_c v_c)^2 / 4 <= ||v||^2 / 2.
    /// So for a unit Θ the data term's curvature (1/m) sum_r (Θ^T z_r)^T A_r (Θ^T z_r) is at
    /// most (1/2m) sum_r ||Θ^T z_r||^2 <= (1/2m) sum_r ||z_r||^2, and the regularization
    /// adds mu: a true bound, where the binary objective keeps the authors' maximum of the
    /// two terms. The trace stands for the largest eigenvalue of (1/m) Z^T Z as in the
    /// authors' binary bound. O(m d).
    public func regularityConstants() -> RegularityConstants {
        RegularityConstants(strongConvexity: regularization,
                            smoothness: design.meanSquaredRowNorm / 2 + regularization)
    }

    /// The share of rows whose largest logit (the first on ties) is their label's. O(m d K).
    public func accuracy(at parameters: [Double]) -> Double? {
        checkCount(parameters)
        let logits = design.times(parameters, width: classCount)
        var correct = 0
        for row in 0..<rowCount {
            let base = row * classCount
            var best = 0
            for c in 1..<classCount where logits[base + c] > logits[base + best] { best = c }
            if best == Int(labels[row]) { correct += 1 }
        }
        return Double(correct) / Double(rowCount)
    }

    /// The mean cross-entropy at θ and the row-major m x K softmax probabilities, from
    /// log-sum-exp shifted by each row's largest logit, so no logit overflows.
    private func crossEntropy(at parameters: [Double]) -> (mean: Double, probabilities: [Double]) {
        checkCount(parameters)
        var values = design.times(parameters, width: classCount)
        var total = 0.0
        for row in 0..<rowCount {
            let logits = (row * classCount)..<((row + 1) * classCount)
            let largest = values[logits].max()!
            let labelLogit = values[row * classCount + Int(labels[row])]
            var sum = 0.0
            for index in logits {
                values[index] = exp(values[index] - largest)
                sum += values[index]
            }
            total += largest + log(sum) - labelLogit
            for index in logits { values[index] /= sum }
        }
        return (total / Double(rowCount), values)
    }
}
