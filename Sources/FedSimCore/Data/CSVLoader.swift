/// Whether the first non-blank row of a CSV file names the columns.
public enum CSVHeader: Sendable, Equatable {
    /// A header when any field of the first row is not a number. A first data row with a
    /// typo therefore reads as a header; say `.present` or `.absent` when it matters, and
    /// always for headers made only of numbers (such as "0,1,2,...").
    case detect
    case present
    case absent
}

/// Reads numeric CSV files: every column a feature except one label column, integer
/// classes or, for regression, real targets.
///
/// Fields are separated by one byte (default ","), surrounding spaces are allowed, and
/// blank lines are skipped (but still counted in line numbers). There is no quoting,
/// except that double quotes around header names are removed.
public enum CSVLoader {
    /// Loads the file at `path`. See `parse` for the options.
    public static func load(
        path: String, labelColumn: Int = -1, clientColumn: Int? = nil, header: CSVHeader = .detect,
        separator: UInt8 = UInt8(ascii: ","), labelValues: [Int]? = nil, realTargets: Bool = false
    ) throws -> LoadedDataset {
        try parse(readFileBytes(path), name: path, labelColumn: labelColumn, clientColumn: clientColumn, header: header,
                  separator: separator, labelValues: labelValues, realTargets: realTargets)
    }

    /// Parses CSV bytes; `name` is the file name errors cite.
    ///
    /// - `labelColumn`: index of the label column; negative counts from the end, so the
    ///   default -1 is the last column.
    /// - `clientColumn`: index of a column naming each row's client (any text, read as
    ///   `LoadedDataset.clientIDs`), counted as `labelColumn` is; nil: every column but
    ///   the label's is a feature.
    /// - `labelValues`: the classes to use (class `c` is written `labelValues[c]`), e.g.
    ///   the training file's, so a test file maps to the same ids; by default the sorted
    ///   distinct labels found.
    /// - `realTargets`: the label column holds real targets (regression data: the
    ///   dataset's `targets`, its rows all of one class), any finite number; no
    ///   `labelValues` then.
    ///
    /// Every row must have as many fields as the first one. O(file length).
    public static func parse(
        _ contents: [UInt8], name: String, labelColumn: Int = -1, clientColumn: Int? = nil, header: CSVHeader = .detect,
        separator: UInt8 = UInt8(ascii: ","), labelValues: [Int]? = nil, realTargets: Bool = false
    ) throws -> LoadedDataset {
        let file = TextFile(name: name, contents: contents)
        var labels = try RowLabels(realTargets: realTargets, labelValues: labelValues)
        var features = [Float]()
        var featureNames = [String]()
        var fields = [Range<Int>]()
        var clientIDs = [String]()
        var layout: (fieldCount: Int, labelIndex: Int, clientIndex: Int?, firstLine: Int)?

        try file.forEachLine { line in
            if line.isBlank { return }
            line.split(line.range, separator: separator, into: &fields)
            guard let current = layout else {
                let labelIndex = labelColumn < 0 ? fields.count + labelColumn : labelColumn
                let clientIndex = clientColumn.map { $0 < 0 ? fields.count + $0 : $0 }
                let needed = clientIndex == nil ? 2 : 3
                guard fields.count >= needed else {
                    throw DataError(.invalidValue, file: name, line: line.number,
                                    "a row needs at least one feature\(clientIndex == nil ? "" : ", a client") and a label, "
                                    + "found \(fields.count) field\(fields.count == 1 ? "" : "s")")
                }
                guard (0..<fields.count).contains(labelIndex) else {
                    throw DataError(.invalidArgument, file: name, line: line.number,
                                    "label column \(labelColumn) is outside the \(fields.count) columns")
                }
                if let clientColumn, let clientIndex {
                    guard (0..<fields.count).contains(clientIndex) else {
                        throw DataError(.invalidArgument, file: name, line: line.number,
                                        "client column \(clientColumn) is outside the \(fields.count) columns")
                    }
                    guard clientIndex != labelIndex else {
                        throw DataError(.invalidArgument, file: name, line: line.number,
                                        "client column \(clientColumn) is the label column")
                    }
                }
                layout = (fields.count, labelIndex, clientIndex, line.number)
                let isHeader = switch header {
                case .present: true
                case .absent: false
                case .detect: fields.contains { line.decimal($0) == nil }
                }
                if isHeader {
                    featureNames = fields.indices.filter { $0 != labelIndex && $0 != clientIndex }
                        .map { unquoted(line.text(line.trimmed(fields[$0]))) }
                } else {
                    try appendRow(line, fields, labelIndex: labelIndex, clientIndex: clientIndex,
                                  into: &features, &labels, &clientIDs, file: name)
                }
                return
            }
            guard fields.count == current.fieldCount else {
                throw DataError(.raggedRow, file: name, line: line.number,
                                "expected \(current.fieldCount) fields as on line \(current.firstLine), found \(fields.count)")
            }
            try appendRow(line, fields, labelIndex: current.labelIndex, clientIndex: current.clientIndex,
                          into: &features, &labels, &clientIDs, file: name)
        }

        guard let layout, labels.count > 0 else {
            throw DataError(.noData, file: name, "no data rows")
        }
        return labels.loaded(features: features, featureCount: layout.fieldCount - (layout.clientIndex == nil ? 1 : 2),
                             featureNames: featureNames, clientIDs: clientIDs)
    }

    private static func appendRow(
        _ line: TextLine, _ fields: [Range<Int>], labelIndex: Int, clientIndex: Int?,
        into features: inout [Float], _ labels: inout RowLabels, _ clientIDs: inout [String], file: String
    ) throws {
        for (index, field) in fields.enumerated() {
            if index == labelIndex {
                try labels.append(line, field, field: index + 1, file: file)
            } else if index == clientIndex {
                let id = unquoted(line.text(line.trimmed(field)))
                guard !id.isEmpty else {
                    throw DataError(.invalidValue, file: file, line: line.number, field: index + 1, "the client is empty")
                }
                clientIDs.append(id)
            } else {
                guard let value = line.decimal(field) else {
                    throw DataError(.invalidValue, file: file, line: line.number, field: index + 1,
                                    "\"\(line.text(line.trimmed(field)))\" is not a finite number")
                }
                features.append(Float(value))
            }
        }
    }

    private static func unquoted(_ name: String) -> String {
        name.count >= 2 && name.hasPrefix("\"") && name.hasSuffix("\"") ? String(name.dropFirst().dropLast()) : name
    }
}
