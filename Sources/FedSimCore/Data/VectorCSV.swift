/// Reads vectors from a CSV file: one vector per row, no header, every row with the same
/// number of finite values. Blank lines are skipped but still counted in line numbers;
/// fields may be surrounded by spaces. Used by `fedsim aggregate`.
public enum VectorCSV {
    /// Loads the file at `path`. See `parse`.
    public static func load(path: String) throws -> [[Float]] {
        try parse(readFileBytes(path), name: path)
    }

    /// Parses CSV bytes; `name` is the file name errors cite. O(file length).
    /// - Throws: `DataError` naming the line and field of a value that is not a finite
    ///   number (or overflows `Float`), of a row with a different number of fields than
    ///   the first, or `.noData` for a file without rows.
    public static func parse(_ contents: [UInt8], name: String) throws -> [[Float]] {
        let file = TextFile(name: name, contents: contents)
        var vectors: [[Float]] = []
        var fields = [Range<Int>]()
        var firstRow: (line: Int, fieldCount: Int)?
        try file.forEachLine { line in
            if line.isBlank { return }
            line.split(line.range, separator: UInt8(ascii: ","), into: &fields)
            if let firstRow, fields.count != firstRow.fieldCount {
                throw DataError(.raggedRow, file: name, line: line.number,
                                "expected \(firstRow.fieldCount) fields as on line \(firstRow.line), found \(fields.count)")
            }
            if firstRow == nil { firstRow = (line.number, fields.count) }
            vectors.append(try fields.enumerated().map { index, field in
                guard let value = line.decimal(field) else {
                    throw DataError(.invalidValue, file: name, line: line.number, field: index + 1,
                                    "\"\(line.text(line.trimmed(field)))\" is not a finite number")
                }
                guard Float(value).isFinite else {
                    throw DataError(.invalidValue, file: name, line: line.number, field: index + 1,
                                    "\(value) is outside the range of Float")
                }
                return Float(value)
            })
        }
        guard !vectors.isEmpty else { throw DataError(.noData, file: name, "no rows") }
        return vectors
    }
}
