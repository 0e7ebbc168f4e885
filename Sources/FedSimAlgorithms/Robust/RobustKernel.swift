import FedSimCore

/// The n input vectors of one robust aggregation, checked once: at least one vector,
/// all of the same positive length d, every coordinate finite.
///
/// Stored as an n x d row-major `Matrix` (row i is input i), the layout BLAS needs for
/// the Gram matrix, so rules and pre-aggregators pass it along without copying.
public struct RobustInputs: Sendable {
    /// Row i is input vector i.
    public let matrix: Matrix

    /// n, the number of input vectors.
    public var count: Int { matrix.rows }
    /// d, the length of each vector.
    public var dimension: Int { matrix.columns }

    /// Packs and checks `vectors`; `context` is the rule name errors cite. O(n d).
    /// - Throws: `RobustAggregationError.noInputs`, `.raggedInputs` or `.nonFinite`.
    public init(_ vectors: [[Float]], context: String = "inputs") throws {
        guard let first = vectors.first, !first.isEmpty else { throw RobustAggregationError.noInputs(rule: context) }
        var values = [Float]()
        values.reserveCapacity(vectors.count * first.count)
        for (row, vector) in vectors.enumerated() {
            guard vector.count == first.count else {
                throw RobustAggregationError.raggedInputs(
                    rule: context, row: row, length: vector.count, expected: first.count)
            }
            values.append(contentsOf: vector)
        }
        try self.init(validating: Matrix(rows: vectors.count, columns: first.count, values: values), context: context)
    }

    /// Checks the rows of `matrix` as inputs. O(n d).
    /// - Throws: `RobustAggregationError.noInputs` or `.nonFinite`.
    public init(validating matrix: Matrix, context: String = "inputs") throws {
        guard matrix.rows > 0, matrix.columns > 0 else { throw RobustAggregationError.noInputs(rule: context) }
        if let position = matrix.values.firstIndex(where: { !$0.isFinite }) {
            throw RobustAggregationError.nonFinite(
                rule: context, row: position / matrix.columns, column: position % matrix.columns,
                value: matrix.values[position])
        }
        self.matrix = matrix
    }

    /// Wraps rows computed from checked inputs (means, rescalings), which stay finite.
    @usableFromInline
    init(trusted matrix: Matrix) {
        self.matrix = matrix
    }

    /// Wraps `rows x columns` values computed from checked inputs.
    @usableFromInline
    init(trustedRows rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "\(values.count) values for \(rows)x\(columns) inputs")
        self.matrix = try! Matrix(rows: rows, columns: columns, values: values)
    }

    /// Input vector `index`. O(d).
    public func row(_ index: Int) -> [Float] {
        Array(matrix.values[index * dimension..<(index + 1) * dimension])
    }

    /// All inputs as separate vectors. O(n d).
    public var rows: [[Float]] { (0..<count).map(row) }
}

/// The shared kernel of the robust aggregators in this folder: pairwise distances from
/// one Gram-matrix product, per-coordinate gathering, means of row subsets, row norms,
/// and the checks on f that several rules share.
///
/// Sums run in `Double` in a fixed order and are rounded to `Float` once, so a mean of n
/// equal vectors is exactly that vector and a result depends only on the inputs.
public enum RobustKernel {
    /// The n x n matrix of squared distances `D_ij = ||x_i - x_j||^2`, from one sgemm:
    /// `G = X X^T`, `D_ij = G_ii + G_jj - 2 G_ij`, clamped at 0, with D read from the upper
    /// triangle of G so it is exactly symmetric with a zero diagonal.
    ///
    /// Complexity: O(n^2 d) in one BLAS call, plus O(n^2). Precision is that of `Float`
    /// dot products: distances between inputs that share a large common offset lose the
    /// digits the offset takes.
    /// - Throws: `RobustAggregationError.overflow` when squared norms exceed `Float`'s range.
    public static func squaredDistances(_ inputs: RobustInputs, rule: String) throws -> Matrix {
        let gram = try gramMatrix(inputs, rule: rule)
        let n = inputs.count
        var distances = Matrix(rows: n, columns: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let value = max(0, gram[i, i] + gram[j, j] - 2 * gram[i, j])
                distances[i, j] = value
                distances[j, i] = value
            }
        }
        return distances
    }

    /// `G = X X^T` (n x n inner products of the inputs), one sgemm. O(n^2 d).
    /// - Throws: `RobustAggregationError.overflow` when an entry is not finite.
    public static func gramMatrix(_ inputs: RobustInputs, rule: String) throws -> Matrix {
        let gram: Matrix
        do {
            gram = try BLAS.product(inputs.matrix, inputs.matrix, transposeB: true)
        } catch {
            throw RobustAggregationError.linearAlgebra(rule: rule, message: "\(error)")
        }
        guard gram.values.allSatisfy(\.isFinite) else {
            throw RobustAggregationError.overflow(
                rule: rule, message: "inner products of the inputs overflow Float; the inputs are too large")
        }
        return gram
    }

    /// The indices of row `row`'s `count` nearest inputs by `distances`, nearest first,
    /// ties broken by the lower index. Row `row` itself is included (at distance 0) only
    /// when `includingSelf`. O(n log n).
    public static func nearest(
        _ count: Int, to row: Int, distances: Matrix, includingSelf: Bool
    ) -> [Int] {
        let candidates = (0..<distances.columns).filter { includingSelf || $0 != row }
        let sorted = candidates.sorted { (distances[row, $0], $0) < (distances[row, $1], $1) }
        return Array(sorted.prefix(count))
    }

    /// The mean of the rows in `rows` (each index once), summed in Double in the order
    /// given. O(|rows| d).
    @inlinable
    public static func mean(_ inputs: RobustInputs, rows: [Int]) -> [Float] {
        weightedSum(inputs, rows: rows, weights: Array(repeating: 1, count: rows.count), divisor: Double(rows.count))
    }

    /// `sum_k weights[k] * x_{rows[k]} / divisor`, summed in Double in the order given and
    /// rounded to Float once. O(|rows| d).
    @inlinable
    public static func weightedSum(_ inputs: RobustInputs, rows: [Int], weights: [Double], divisor: Double = 1) -> [Float] {
        weightedSumInDouble(inputs, rows: rows, weights: weights).map { Float($0 / divisor) }
    }

    /// `sum_k weights[k] * x_{rows[k]}` in Double, summed in the order given. O(|rows| d).
    @inlinable
    public static func weightedSumInDouble(_ inputs: RobustInputs, rows: [Int], weights: [Double]) -> [Double] {
        let d = inputs.dimension
        var sum = [Double](repeating: 0, count: d)
        inputs.matrix.values.withUnsafeBufferPointer { values in
            sum.withUnsafeMutableBufferPointer { total in
                for (row, weight) in zip(rows, weights) {
                    let start = row * d
                    for column in 0..<d {
                        total[column] += weight * Double(values[start + column])
                    }
                }
            }
        }
        return sum
    }

    /// The Euclidean norm of every input, accumulated in Double. O(n d).
    @inlinable
    public static func rowNorms(_ inputs: RobustInputs) -> [Double] {
        let d = inputs.dimension
        return inputs.matrix.values.withUnsafeBufferPointer { values in
            (0..<inputs.count).map { row in
                var squares = 0.0
                for column in row * d..<(row + 1) * d {
                    let value = Double(values[column])
                    squares += value * value
                }
                return squares.squareRoot()
            }
        }
    }

    /// `||x_row - center||` accumulated in Double. O(d).
    @inlinable
    public static func distance(_ inputs: RobustInputs, row: Int, to center: [Double]) -> Double {
        let d = inputs.dimension
        return inputs.matrix.values.withUnsafeBufferPointer { values in
            center.withUnsafeBufferPointer { center in
                var squares = 0.0
                let start = row * d
                for column in 0..<d {
                    let difference = Double(values[start + column]) - center[column]
                    squares += difference * difference
                }
                return squares.squareRoot()
            }
        }
    }

    /// The inputs with row i multiplied by `scales[i]`. O(n d).
    @inlinable
    public static func scaledRows(_ inputs: RobustInputs, by scales: [Double]) -> RobustInputs {
        var values = inputs.matrix.values
        let d = inputs.dimension
        values.withUnsafeMutableBufferPointer { values in
            for (row, scale) in scales.enumerated() where scale != 1 {
                for column in row * d..<(row + 1) * d {
                    values[column] = Float(Double(values[column]) * scale)
                }
            }
        }
        return RobustInputs(trustedRows: inputs.count, columns: d, values: values)
    }

    /// One value per coordinate: `body` receives coordinate j's n values (x_1j, ..., x_nj)
    /// sorted in ascending order, and returns coordinate j of the result.
    /// O(d n log n) plus the cost of `body`.
    @inlinable
    public static func sortedCoordinatewise(
        _ inputs: RobustInputs, _ body: (UnsafeBufferPointer<Float>) -> Float
    ) -> [Float] {
        let n = inputs.count
        let d = inputs.dimension
        var result = [Float](repeating: 0, count: d)
        var scratch = [Float](repeating: 0, count: n)
        inputs.matrix.values.withUnsafeBufferPointer { values in
            scratch.withUnsafeMutableBufferPointer { column in
                result.withUnsafeMutableBufferPointer { result in
                    for j in 0..<d {
                        for i in 0..<n { column[i] = values[i * d + j] }
                        column.sort()
                        result[j] = body(UnsafeBufferPointer(column))
                    }
                }
            }
        }
        return result
    }

    /// The mean of `values[range]`, summed in Double. O(|range|).
    @inlinable
    public static func mean(of values: UnsafeBufferPointer<Float>, _ range: Range<Int>) -> Float {
        var sum = 0.0
        for index in range { sum += Double(values[index]) }
        return Float(sum / Double(range.count))
    }

    /// The median of sorted values: the middle one, or the mean of the two middle ones
    /// (computed in Double) when the count is even.
    @inlinable
    public static func medianOfSorted(_ values: UnsafeBufferPointer<Float>) -> Float {
        let n = values.count
        if n % 2 == 1 { return values[n / 2] }
        return Float((Double(values[n / 2 - 1]) + Double(values[n / 2])) / 2)
    }
}
