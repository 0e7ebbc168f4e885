import FedSimCore
import Foundation

/// A CURVE certificate in ZeroMQ's text format (czmq's `zcert` files): a `metadata`
/// section of name = "value" properties and a `curve` section with the `public-key`
/// and, in a secret certificate, the `secret-key`, both as 40 Z85 characters. Sections
/// start at the line's beginning, their properties are indented by four spaces, and `#`
/// starts a comment line:
///
/// ```
/// metadata
///     name = "worker-0"
/// curve
///     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
///     secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
/// ```
public struct CurveCertificate: Equatable, Sendable {
    /// A metadata property.
    public struct Property: Equatable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var publicKey: CurveKey
    /// The secret key; nil in a public certificate.
    public var secretKey: CurveKey?
    /// The metadata properties, in file order.
    public var metadata: [Property]

    /// The certificate of `keys`, secret key included.
    public init(keys: CurveKeyPair, metadata: [Property] = []) {
        publicKey = keys.publicKey
        secretKey = keys.secretKey
        self.metadata = metadata
    }

    /// The key pair of a secret certificate; nil for a public one.
    public var keyPair: CurveKeyPair? {
        get throws { try secretKey.map { try CurveKeyPair(secretKey: $0) } }
    }

    /// The value of metadata property `name`, if the certificate has it.
    public subscript(metadata name: String) -> String? {
        metadata.first { $0.name == name }?.value
    }

    /// The certificate as a public one: its metadata and public key, no secret key.
    public var publicCertificate: CurveCertificate {
        var certificate = self
        certificate.secretKey = nil
        return certificate
    }

    /// The certificate's text, with a comment saying whether it is secret.
    public var text: String {
        var lines = secretKey == nil
            ? ["#   ZeroMQ CURVE public certificate, written by fedsim.",
               "#   Hand it to the peers that must recognize this key."]
            : ["#   ZeroMQ CURVE secret certificate, written by fedsim.",
               "#   Keep it private: whoever holds it can speak as this key."]
        lines += ["", "metadata"] + metadata.map { "    \($0.name) = \"\($0.value)\"" }
        lines += ["curve", "    public-key = \"\(publicKey.z85)\""]
        if let secretKey { lines.append("    secret-key = \"\(secretKey.z85)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the public certificate to `publicPath` and, for a secret certificate, the
    /// whole one to `secretPath`, made readable by its owner only (mode 0600). Neither
    /// file may exist.
    public func write(publicPath: String, secretPath: String?) throws {
        try Self.write(publicCertificate.text, to: publicPath, mode: 0o644)
        if secretKey != nil, let secretPath { try Self.write(text, to: secretPath, mode: 0o600) }
    }

    /// Writes `text` to a new file at `path`, made with `mode` so that no other mode is
    /// ever seen.
    private static func write(_ text: String, to path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else {
            throw CurveCertificateError(path: path, line: nil, reason: "cannot be made: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // The umask may have cleared bits of `mode`; a secret file's are cleared already.
        fchmod(descriptor, mode)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw CurveCertificateError(path: path, line: nil, reason: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    /// The certificate in the file at `path`; errors name the file and the line.
    public static func read(path: String) throws -> CurveCertificate {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, attributes?[.type] as? FileAttributeType == .typeRegular,
              let data = FileManager.default.contents(atPath: path) else {
            throw CurveCertificateError(path: path, line: nil, reason: "cannot be read as a file")
        }
        guard size <= 65_536, let text = String(data: data, encoding: .utf8) else {
            throw CurveCertificateError(path: path, line: nil, reason: "is not a certificate (\(size) bytes, not short UTF-8 text)")
        }
        return try parse(text, path: path)
    }

    /// The certificate `text` holds; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> CurveCertificate {
        func failure(_ line: Int?, _ reason: String) -> CurveCertificateError {
            CurveCertificateError(path: path, line: line, reason: reason)
        }
        var section: String?
        var keys: [String: (text: String, line: Int)] = [:]
        var metadata: [Property] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let content = line.drop { $0 == " " }
            if content.trimmingCharacters(in: .whitespaces).isEmpty || content.hasPrefix("#") { continue }
            let indent = line.count - content.count
            guard !content.hasPrefix("\t") else { throw failure(number, "indent with spaces, not tabs") }
            switch indent {
            case 0:
                let name = content.trimmingCharacters(in: .whitespaces)
                guard name == "metadata" || name == "curve" else {
                    throw failure(number, "unknown section '\(name)' (a certificate has metadata and curve)")
                }
                section = name
            case 4:
                guard let section else { throw failure(number, "a property outside a section") }
                let (name, value) = try property(content, failure: { failure(number, $0) })
                if section == "metadata" {
                    guard !metadata.contains(where: { $0.name == name }) else { throw failure(number, "\(name) given twice") }
                    metadata.append(Property(name, value))
                    continue
                }
                guard name == "public-key" || name == "secret-key" else {
                    throw failure(number, "unknown property '\(name)' in the curve section (public-key, secret-key)")
                }
                if let first = keys[name] { throw failure(number, "\(name) given twice (first on line \(first.line))") }
                keys[name] = (value, number)
            default:
                throw failure(number, "indented by \(indent) spaces; properties are indented by 4")
            }
        }
        guard let publicText = keys["public-key"] else { throw failure(nil, "no public-key in a curve section") }
        guard let publicKey = CurveKey(z85: publicText.text) else {
            throw failure(publicText.line, "public-key is not a CURVE key (40 Z85 characters)")
        }
        var certificate = CurveCertificate(publicKey: publicKey, metadata: metadata)
        if let secretText = keys["secret-key"] {
            guard let secretKey = CurveKey(z85: secretText.text) else {
                throw failure(secretText.line, "secret-key is not a CURVE key (40 Z85 characters)")
            }
            guard try CurveKeyPair(secretKey: secretKey).publicKey == publicKey else {
                throw failure(secretText.line, "secret-key does not belong to the public-key on line \(publicText.line)")
            }
            certificate.secretKey = secretKey
        }
        return certificate
    }

    private init(publicKey: CurveKey, metadata: [Property]) {
        self.publicKey = publicKey
        self.metadata = metadata
    }

    /// The name and value of `name = value` or `name = "value"`.
    private static func property(_ content: Substring, failure: (String) -> CurveCertificateError) throws
        -> (name: String, value: String) {
        guard let equals = content.firstIndex(of: "=") else { throw failure("expected name = value") }
        let name = content[..<equals].trimmingCharacters(in: .whitespaces)
        var value = content[content.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains(" ") else { throw failure("expected name = value") }
        for quote in ["\"", "'"] where value.hasPrefix(quote) {
            guard value.count >= 2, value.hasSuffix(quote) else { throw failure("\(name)'s value lacks its closing \(quote)") }
            value = String(value.dropFirst().dropLast())
        }
        return (name, value)
    }
}

/// A certificate file that could not be read or makes no sense, with its path and,
/// where one line is at fault, that line.
public struct CurveCertificateError: FedSimError, Equatable, Sendable {
    public let path: String
    public let line: Int?
    public let reason: String

    public init(path: String, line: Int?, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String {
        line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
    }
}
