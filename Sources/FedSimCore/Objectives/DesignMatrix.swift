/// An objective's rows in double precision: the row-major `rows x columns` matrix Z whose
/// row r is feature row r, followed by a 1 when the model has biases. Converted once from
/// the Float features, so a gradient is two BLAS products over Z.
struct DesignMatrix: Sendable {
    let rows: Int
    let columns: Int
    /// Row-major, `rows * columns` values.
    let values: [Double]

    /// The `rows` rows of `features` (row-major, `featureCount` a row) in Double, each
    /// followed by a 1 if `appendingOne`. O(rows * columns).
    init(features: [Float], rows: Int, featureCount: Int, appendingOne: Bool) {
        precondition(features.count == rows * featureCount, "\(features.count) features for \(rows) x \(featureCount)")
        self.rows = rows
        columns = featureCount + (appendingOne ? 1 : 0)
        var values = [Double]()
        values.reserveCapacity(rows * columns)
        for row in 0..<rows {
            values.append(contentsOf: features[(row * featureCount)..<((row + 1) * featureCount)].lazy.map(Double.init))
            if appendingOne { values.append(1) }
        }
        self.values = values
    }

    /// The rows of `parts`, one part after the other.
    /// - Precondition: the parts have the same column count.
    init(stacking parts: [DesignMatrix]) {
        let width = parts.first?.columns ?? 0
        precondition(parts.allSatisfy { $0.columns == width }, "stacked design matrices differ in width")
        columns = width
        rows = parts.reduce(0) { $0 + $1.rows }
        values = parts.flatMap(\.values)
    }

    /// `Z M` for a row-major `columns x width` matrix M: `rows x width`, row-major.
    /// O(rows * columns * width).
    func times(_ matrix: [Double], width: Int) -> [Double] {
        var product = [Double](repeating: 0, count: rows * width)
        BLAS.gemm(m: rows, n: width, k: columns, values, matrix, into: &product)
        return product
    }

    /// `Z^T M` for a row-major `rows x width` matrix M: `columns x width`, row-major.
    /// O(rows * columns * width).
    func transposedTimes(_ matrix: [Double], width: Int) -> [Double] {
        var product = [Double](repeating: 0, count: columns * width)
        BLAS.gemm(transposeA: true, m: columns, n: width, k: rows, values, matrix, into: &product)
        return product
    }

    /// `Z^T diag(weights) Z`, row-major `columns x columns`: sum_r weights[r] z_r z_r^T,
    /// exactly symmetric.
    /// O(rows * columns^2).
    func weightedGram(_ weights: [Double]) -> [Double] {
        precondition(weights.count == rows, "\(weights.count) weights for \(rows) rows")
        var scaled = values
        for row in 0..<rows {
            for column in 0..<columns {
                scaled[row * columns + column] *= weights[row]
            }
        }
        var gram = [Double](repeating: 0, count: columns * columns)
        BLAS.gemm(transposeA: true, m: columns, n: columns, k: rows, values, scaled, into: &gram)
        // The product's two triangles may differ in the last bit: keep the upper one.
        for row in 0..<columns {
            for column in 0..<row { gram[row * columns + column] = gram[column * columns + row] }
        }
        return gram
    }

    /// `(1/rows) sum_r ||z_r||^2`. O(rows * columns).
    var meanSquaredRowNorm: Double {
        BLAS.dot(values, values) / Double(rows)
    }
}
