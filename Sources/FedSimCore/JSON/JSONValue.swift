import Foundation

/// A JSON value as RFC 8259 defines it, read strictly: objects keep their members in
/// file order (a repeated key is kept twice, so readers can refuse it), and numbers keep
/// their text, so an integer is read exactly whatever its size.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, which the grammar has checked.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// One `"key": value` pair of an object.
    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// How deep arrays and objects may nest, so no input can exhaust the stack.
    public static let maximumDepth = 64

    /// The value `bytes` hold as UTF-8 text: one value with optional whitespace around it.
    /// Never traps, whatever the bytes. O(bytes).
    /// - Throws: `JSONValue.SyntaxError` with the byte offset of the first problem.
    public init<Bytes: Collection>(parsing bytes: Bytes) throws where Bytes.Element == UInt8 {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhitespace()
        self = try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.position < parser.bytes.count {
            throw parser.error("unexpected text after the value")
        }
    }

    /// The value as an integer, when it is a number written as one (no fraction, no
    /// exponent) that `Int` can hold.
    public var integer: Int? {
        guard case let .number(text) = self else { return nil }
        return Int(text)
    }

    /// The value as a string, when it is one.
    public var string: String? {
        guard case let .string(text) = self else { return nil }
        return text
    }

    /// The members of an object, in file order.
    public var members: [Member]? {
        guard case let .object(members) = self else { return nil }
        return members
    }

    /// The value of the first member named `key`, when the value is an object holding one.
    public subscript(key: String) -> JSONValue? {
        members?.first { $0.key == key }?.value
    }

    /// Text that is not JSON: what is wrong, and the byte offset where it was found.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String

        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// A recursive-descent reader over the bytes; `position` is the next byte to read.
    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        func error(_ reason: String) -> SyntaxError {
            SyntaxError(offset: position, reason: reason)
        }

        var next: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard next == byte else { throw error("expected '\(literal)'") }
                position += 1
            }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < JSONValue.maximumDepth else { throw error("nested deeper than \(JSONValue.maximumDepth) levels") }
            guard let byte = next else { throw error("unexpected end of text") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character")
            }
        }

        mutating func object(depth: Int) throws -> JSONValue {
            .object(try elements(closing: UInt8(ascii: "}")) { parser in
                guard parser.next == UInt8(ascii: "\"") else { throw parser.error("expected a quoted key") }
                let key = try parser.string()
                parser.skipWhitespace()
                try parser.expect(":")
                parser.skipWhitespace()
                return Member(key, try parser.value(depth: depth + 1))
            })
        }

        mutating func array(depth: Int) throws -> JSONValue {
            .array(try elements(closing: UInt8(ascii: "]")) { try $0.value(depth: depth + 1) })
        }

        /// The comma-separated elements of the array or object whose opening bracket is
        /// next, each read by `element`, up to `closing`.
        mutating func elements<Element>(closing: UInt8, _ element: (inout Parser) throws -> Element) throws -> [Element] {
            position += 1
            var elements: [Element] = []
            skipWhitespace()
            if next == closing {
                position += 1
                return elements
            }
            while true {
                skipWhitespace()
                elements.append(try element(&self))
                skipWhitespace()
                if next == UInt8(ascii: ",") {
                    position += 1
                } else {
                    try expect(String(Unicode.Scalar(closing)))
                    return elements
                }
            }
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as text.
        mutating func number() throws -> String {
            let start = position
            if next == UInt8(ascii: "-") { position += 1 }
            if next == UInt8(ascii: "0") {
                position += 1
            } else {
                try digits()
            }
            if next == UInt8(ascii: ".") {
                position += 1
                try digits()
            }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                position += 1
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { position += 1 }
                try digits()
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// One or more decimal digits.
        mutating func digits() throws {
            guard let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw error("expected a digit")
            }
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
        }

        /// A quoted string with its escapes resolved; the text must be valid UTF-8 without
        /// raw control characters, and `\u` escapes pair their surrogates.
        mutating func string() throws -> String {
            position += 1
            var text: [UInt8] = []
            while true {
                guard let byte = next else { throw error("unterminated string") }
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let decoded = String(bytes: text, encoding: .utf8) else {
                        throw error("string is not valid UTF-8")
                    }
                    return decoded
                case UInt8(ascii: "\\"):
                    try escape(into: &text)
                case 0..<0x20:
                    position -= 1
                    throw error("raw control character in a string")
                default:
                    text.append(byte)
                }
            }
        }

        mutating func escape(into text: inout [UInt8]) throws {
            guard let byte = next else { throw error("unterminated string") }
            position += 1
            let simple: [UInt8: UInt8] = [
                UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
                UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
            ]
            if let resolved = simple[byte] {
                text.append(resolved)
                return
            }
            guard byte == UInt8(ascii: "u") else { throw error("unknown escape") }
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                try expect("\\u")
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("unpaired surrogate") }
            text.append(contentsOf: Array(String(Character(unicode)).utf8))
        }

        mutating func hexQuad() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = next, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                    throw error("expected four hex digits")
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }
    }
}
