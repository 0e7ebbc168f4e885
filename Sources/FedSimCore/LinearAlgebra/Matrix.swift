/// A dense `rows x columns` matrix of `Float` stored contiguously in row-major order:
/// element (i, j) lives at `values[i * columns + j]`.
///
/// Value semantics with copy-on-write storage, like `Array`.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    @usableFromInline
    internal var storage: [Float]

    /// The `rows * columns` elements in row-major order.
    public var values: [Float] { storage }

    /// A matrix with every element equal to `value`. O(rows * columns).
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix shape \(rows)x\(columns) has a negative dimension")
        self.rows = rows
        self.columns = columns
        storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over `values` given in row-major order.
    /// - Throws: `LinearAlgebraError.shapeMismatch` unless `values.count == rows * columns`.
    public init(rows: Int, columns: Int, values: [Float]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw LinearAlgebraError.shapeMismatch(
                "a \(rows)x\(columns) matrix needs \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        storage = values
    }

    /// The `size x size` identity matrix.
    public static func identity(_ size: Int) -> Matrix {
        var matrix = Matrix(rows: size, columns: size)
        for index in 0..<size { matrix[index, index] = 1 }
        return matrix
    }

    /// Element (row, column); traps when out of bounds.
    @inlinable
    public subscript(row: Int, column: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "index (\(row), \(column)) is outside a \(rows)x\(columns) matrix")
            return storage[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "index (\(row), \(column)) is outside a \(rows)x\(columns) matrix")
            storage[row * columns + column] = newValue
        }
    }

    /// The `columns x rows` matrix with element (j, i) equal to this one's (i, j).
    /// O(rows * columns).
    public func transposed() -> Matrix {
        var result = Matrix(rows: columns, columns: rows)
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                for row in 0..<rows {
                    for column in 0..<columns {
                        target[column * rows + row] = source[row * columns + column]
                    }
                }
            }
        }
        return result
    }

    /// The transpose of the `rows x columns` row-major `values`: `columns x rows`, row-major.
    /// O(rows * columns).
    /// - Precondition: `values.count == rows * columns`.
    static func transposing(_ values: ArraySlice<Float>, rows: Int, columns: Int) -> [Float] {
        precondition(values.count == rows * columns, "a \(rows)x\(columns) matrix needs \(rows * columns) values, got \(values.count)")
        var matrix = Matrix(rows: rows, columns: columns)
        matrix.storage = Array(values)
        return matrix.transposed().values
    }

    /// "rows x columns", as used in error messages.
    var shapeDescription: String { "\(rows)x\(columns)" }
}
