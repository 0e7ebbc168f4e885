import Foundation

/// Reads a whole file as bytes, turning a missing or unreadable file into a `DataError`
/// that names it.
func readFileBytes(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw DataError(.fileNotFound, file: path, "no such file")
    }
    do {
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw DataError(.unreadableFile, file: path, "cannot read the file: \(error.localizedDescription)")
    }
}

/// A text file held in memory as UTF-8 bytes and scanned line by line, so parsing never
/// builds a `String` per line or indexes characters one by one.
struct TextFile {
    /// The name errors cite.
    let name: String
    /// The file's bytes, without a UTF-8 byte-order mark, followed by one NUL so that
    /// C's `strtod` always stops inside the buffer.
    private let bytes: [UInt8]

    init(name: String, contents: [UInt8]) {
        self.name = name
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        var bytes = contents.starts(with: byteOrderMark) ? Array(contents.dropFirst(3)) : contents
        bytes.append(0)
        self.bytes = bytes
    }

    /// Calls `body` for every line in order, blank ones included, with its 1-based
    /// number. Lines end at "\n"; a "\r" just before it is not part of the line. The
    /// `TextLine` is valid only during the call. O(file length).
    func forEachLine(_ body: (TextLine) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { buffer in
            let contentEnd = buffer.count - 1
            var lineStart = 0
            var lineNumber = 1
            while lineStart < contentEnd {
                var lineEnd = lineStart
                while lineEnd < contentEnd && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var textEnd = lineEnd
                if textEnd > lineStart && buffer[textEnd - 1] == UInt8(ascii: "\r") { textEnd -= 1 }
                try body(TextLine(number: lineNumber, buffer: buffer, range: lineStart..<textEnd))
                lineStart = lineEnd + 1
                lineNumber += 1
            }
        }
    }
}

/// One line of a `TextFile`: byte ranges into the file's buffer plus helpers that
/// split and parse them. Only exists inside `TextFile.forEachLine`.
struct TextLine {
    /// 1-based line number.
    let number: Int
    private let buffer: UnsafeBufferPointer<UInt8>
    /// The line's bytes in the file, without its terminator.
    let range: Range<Int>

    fileprivate init(number: Int, buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        self.number = number
        self.buffer = buffer
        self.range = range
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    subscript(position: Int) -> UInt8 { buffer[position] }

    /// True when the line holds only spaces and tabs.
    var isBlank: Bool { range.allSatisfy { Self.isSpace(buffer[$0]) } }

    /// The first position of `byte` in `range`, or nil.
    func firstIndex(of byte: UInt8, in range: Range<Int>) -> Int? {
        range.first { buffer[$0] == byte }
    }

    /// `range` without leading and trailing spaces and tabs.
    func trimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper && Self.isSpace(buffer[lower]) { lower += 1 }
        while upper > lower && Self.isSpace(buffer[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Replaces `fields` with the ranges between `separator`s in `range` (untrimmed).
    func split(_ range: Range<Int>, separator: UInt8, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var fieldStart = range.lowerBound
        for position in range where buffer[position] == separator {
            fields.append(fieldStart..<position)
            fieldStart = position + 1
        }
        fields.append(fieldStart..<range.upperBound)
    }

    /// Replaces `tokens` with the maximal runs of non-space bytes in `range`.
    func tokens(_ range: Range<Int>, into tokens: inout [Range<Int>]) {
        tokens.removeAll(keepingCapacity: true)
        var position = range.lowerBound
        while position < range.upperBound {
            while position < range.upperBound && Self.isSpace(buffer[position]) { position += 1 }
            let tokenStart = position
            while position < range.upperBound && !Self.isSpace(buffer[position]) { position += 1 }
            if position > tokenStart { tokens.append(tokenStart..<position) }
        }
    }

    /// True when `range` holds exactly the UTF-8 bytes of `text`.
    func spells(_ text: String, _ range: Range<Int>) -> Bool {
        text.utf8.elementsEqual(range.lazy.map { buffer[$0] })
    }

    /// The bytes of `range` as a String (for names and error messages).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// The finite decimal number spelled by `range` (surrounding spaces allowed), or nil.
    /// Accepts what C's `strtod` accepts after a leading digit, sign or point, so
    /// "3", "-0.5", "1e-3" parse and "", "abc", "nan", "1e999", "1 2" do not.
    func decimal(_ range: Range<Int>) -> Double? {
        let field = trimmed(range)
        guard let first = field.first.map({ buffer[$0] }),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        else { return nil }
        let base = buffer.baseAddress! + field.lowerBound
        let (value, consumed) = base.withMemoryRebound(to: CChar.self, capacity: field.count + 1) { start in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &end)
            return (value, end.map { UnsafePointer($0) - start } ?? 0)
        }
        return consumed == field.count && value.isFinite ? value : nil
    }

    /// The integer spelled by `range` as a number with no fractional part ("3", "+1",
    /// "-1", "2.0"), or nil. Magnitudes up to 2^53 only, where every integer is exact.
    func integerLabel(_ range: Range<Int>) -> Int? {
        guard let value = decimal(range), value.rounded() == value, abs(value) <= 0x1p53 else { return nil }
        return Int(value)
    }

    /// The unsigned decimal integer spelled by the digits of `range`, or nil on any other
    /// byte or on overflow.
    func digits(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        var value = 0
        for position in range {
            let byte = buffer[position]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflowShift && !overflowAdd else { return nil }
            value = sum
        }
        return value
    }
}
