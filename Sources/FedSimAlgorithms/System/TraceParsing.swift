/// A problem in a trace's CSV text, located at `source:line`.
public struct TraceParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// The row has `found` comma-separated fields instead of `expected`.
        case fieldCount(expected: Int, found: Int)
        /// The client id is not an integer.
        case notAClientID(text: String)
        /// A time field is not a finite number.
        case notANumber(field: String, text: String)
        /// The client id is negative or >= the number of clients.
        case unknownClient(id: Int, clients: Int)
        /// A compute time is <= 0.
        case notPositive(field: String, value: Double)
        /// An interval starts before t = 0.
        case negative(field: String, value: Double)
        /// An online interval ends at or before its start.
        case endNotAfterStart(start: Double, end: Double)
        /// A compute trace gives the client a second time; `firstLine` gave the first.
        case duplicateClient(id: Int, firstLine: Int)
        /// A compute trace has no row for these clients (the whole file is at fault).
        case missingClients([Int])
        /// The row's online interval overlaps the one on `otherLine` for the same client.
        case overlapping(client: Int, otherLine: Int)
    }

    /// Where the text came from, usually a file name.
    public var source: String
    /// 1-based line number, counting every line; nil when the problem is the whole text.
    public var line: Int?
    public var problem: Problem

    public init(source: String, line: Int?, problem: Problem) {
        self.source = source
        self.line = line
        self.problem = problem
    }

    public var description: String {
        let location = line.map { "\(source):\($0)" } ?? source
        return "\(location): \(explanation)"
    }

    private var explanation: String {
        switch problem {
        case .fieldCount(let expected, let found):
            return "expected \(expected) comma-separated fields, found \(found)"
        case .notAClientID(let text):
            return "client_id '\(text)' is not an integer"
        case .notANumber(let field, let text):
            return "\(field) '\(text)' is not a finite number"
        case .unknownClient(let id, let clients):
            return "unknown client id \(id); ids run from 0 to \(clients - 1)"
        case .notPositive(let field, let value):
            return "\(field) must be > 0, got \(value)"
        case .negative(let field, let value):
            return "\(field) must be >= 0, got \(value)"
        case .endNotAfterStart(let start, let end):
            return "end \(end) is not after start \(start)"
        case .duplicateClient(let id, let firstLine):
            return "client \(id) already has a time on line \(firstLine); give one row per client"
        case .missingClients(let ids):
            let shown = ids.prefix(10).map(String.init).joined(separator: ", ")
            let rest = ids.count > 10 ? " and \(ids.count - 10) more" : ""
            return "no row for client\(ids.count == 1 ? "" : "s") \(shown)\(rest); a compute trace needs one row per client"
        case .overlapping(let client, let otherLine):
            return "this interval of client \(client) overlaps the one on line \(otherLine); merge them"
        }
    }
}

/// The data rows of a small CSV text: lines split on commas, fields trimmed of spaces.
/// Blank lines and lines starting with '#' are skipped; so is a header, recognised as
/// a first row none of whose fields is a number. O(text length).
struct TraceRows {
    struct Row {
        let line: Int
        let fields: [String]
    }

    let source: String
    let rows: [Row]

    init(_ text: String, source: String) {
        self.source = source
        var rows: [Row] = []
        var isFirstRow = true
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, line) in lines.enumerated() {
            let trimmed = Self.trim(line)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(Self.trim)
            let isHeader = isFirstRow && fields.allSatisfy { Double($0) == nil }
            isFirstRow = false
            if isHeader { continue }
            rows.append(Row(line: offset + 1, fields: fields))
        }
        self.rows = rows
    }

    private static func trim(_ text: Substring) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    func error(_ row: Row, _ problem: TraceParseError.Problem) -> TraceParseError {
        TraceParseError(source: source, line: row.line, problem: problem)
    }

    /// Checks `row` has `names.count` fields and reads field 0 as a client id in 0..<clients.
    func client(of row: Row, fieldNames names: [String], clients: Int) throws -> Int {
        guard row.fields.count == names.count else {
            throw error(row, .fieldCount(expected: names.count, found: row.fields.count))
        }
        guard let id = Int(row.fields[0]) else {
            throw error(row, .notAClientID(text: row.fields[0]))
        }
        guard id >= 0, id < clients else { throw error(row, .unknownClient(id: id, clients: clients)) }
        return id
    }

    /// Field `index` of `row` as a finite number, or +infinity ("inf") when `allowingInfinity`.
    func number(_ row: Row, field index: Int, named name: String, allowingInfinity: Bool = false) throws -> Double {
        guard let value = Double(row.fields[index]), value.isFinite || (allowingInfinity && value == .infinity) else {
            throw error(row, .notANumber(field: name, text: row.fields[index]))
        }
        return value
    }
}

extension ComputeProfile {
    /// Reads a compute trace from CSV rows `client_id,seconds`, exactly one per client
    /// (any order; header, blank and '#' lines allowed). O(text length + clients).
    ///
    /// - Throws: `TraceParseError` at `source:line` for a bad row, an unknown or repeated
    ///   client id, or seconds <= 0; for the whole text when some client has no row.
    public static func parseTrace(_ text: String, clients: Int, source: String) throws -> ComputeProfile {
        let names = ["client_id", "seconds"]
        let table = TraceRows(text, source: source)
        var seconds = [Double?](repeating: nil, count: max(clients, 0))
        var lineOfClient: [Int: Int] = [:]
        for row in table.rows {
            let client = try table.client(of: row, fieldNames: names, clients: clients)
            let value = try table.number(row, field: 1, named: names[1])
            guard value > 0 else { throw table.error(row, .notPositive(field: names[1], value: value)) }
            if let firstLine = lineOfClient[client] {
                throw table.error(row, .duplicateClient(id: client, firstLine: firstLine))
            }
            lineOfClient[client] = row.line
            seconds[client] = value
        }
        let missing = seconds.indices.filter { seconds[$0] == nil }
        guard missing.isEmpty else {
            throw TraceParseError(source: source, line: nil, problem: .missingClients(missing))
        }
        return .trace(seconds.compactMap { $0 })
    }
}

extension AvailabilityProfile {
    /// Reads an availability trace from CSV rows `client_id,start,end`, each an online
    /// interval [start, end] (any number per client, any order; header, blank and '#'
    /// lines allowed; `end` may be `inf` for a client that stays online). Intervals of one client may touch but not overlap; a client
    /// without rows is never online. O(text length + n log n) for n rows.
    ///
    /// - Throws: `TraceParseError` at `source:line` for a bad row, an unknown client id,
    ///   start < 0, end <= start, or an interval overlapping another of its client.
    public static func parseTrace(_ text: String, clients: Int, source: String) throws -> AvailabilityProfile {
        let names = ["client_id", "start", "end"]
        let table = TraceRows(text, source: source)
        var intervals = [[(interval: ClosedRange<Double>, line: Int)]](repeating: [], count: max(clients, 0))
        for row in table.rows {
            let client = try table.client(of: row, fieldNames: names, clients: clients)
            let start = try table.number(row, field: 1, named: names[1])
            let end = try table.number(row, field: 2, named: names[2], allowingInfinity: true)
            guard start >= 0 else { throw table.error(row, .negative(field: names[1], value: start)) }
            guard end > start else { throw table.error(row, .endNotAfterStart(start: start, end: end)) }
            intervals[client].append((start...end, row.line))
        }
        for client in intervals.indices {
            intervals[client].sort { ($0.interval.lowerBound, $0.line) < ($1.interval.lowerBound, $1.line) }
            for (previous, next) in zip(intervals[client], intervals[client].dropFirst())
            where next.interval.lowerBound < previous.interval.upperBound {
                let later = max(previous.line, next.line)
                throw TraceParseError(
                    source: source, line: later,
                    problem: .overlapping(client: client, otherLine: min(previous.line, next.line)))
            }
        }
        return .trace(intervals.map { $0.map(\.interval) })
    }
}
