/// Why loading, splitting, partitioning or generating data failed.
///
/// Errors about a file name it and, where it applies, the 1-based line and the
/// 1-based field on that line (a CSV column, or a whitespace-separated LIBSVM token),
/// so `description` reads like a compiler diagnostic:
/// `train.csv:12: field 3: "abc" is not a finite number`.
public struct DataError: FedSimError, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case fileNotFound
        case unreadableFile
        /// A CSV row with a different number of fields than the first row.
        case raggedRow
        /// A value or label that does not parse, or is not finite, or not an integer label.
        case invalidValue
        /// A label that is not among the label values the caller supplied.
        case unknownLabel
        /// A LIBSVM feature index that is malformed, zero, not increasing or too large.
        case invalidIndex
        /// An IDX file whose magic number is wrong or whose element type is not supported.
        case badMagic
        /// A gzip-compressed file that is truncated or whose compressed data is corrupt.
        case corruptGzip
        /// A file whose length disagrees with the sizes its header declares.
        case sizeMismatch
        /// Two files (or a file and a request) that disagree on how many samples there are.
        case countMismatch
        /// A file with no data rows.
        case noData
        /// A parameter outside its valid range.
        case invalidArgument
        /// A partition that cannot satisfy its constraints.
        case partitionFailed
        /// A graph file's line that is neither an edge nor its `nodes N` header, or an edge
        /// that is a self-loop, repeats an earlier one or names a node past the header's count.
        case invalidGraph
    }

    public let kind: Kind
    /// The file the error is about, as the caller named it; nil for in-memory work.
    public let file: String?
    /// 1-based line number in `file`, for text formats.
    public let line: Int?
    /// 1-based field on `line`.
    public let field: Int?
    public let message: String

    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, field: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = ""
        if let file { location += file + ":" }
        if let line { location += "\(line):" }
        if let field { location += (location.isEmpty ? "" : " ") + "field \(field):" }
        return location.isEmpty ? message : location + " " + message
    }
}
