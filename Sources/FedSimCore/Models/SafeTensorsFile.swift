import Foundation

/// A file in the safetensors format (Hugging Face's `safetensors`, which PyTorch, JAX and
/// NumPy read) holding float32 tensors.
///
/// Layout: bytes 0..<8 hold N, a little-endian UInt64; the next N bytes hold the header,
/// a UTF-8 JSON object; the rest of the file is the data. The header maps each tensor's
/// name to `{"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}`: its
/// values are little-endian float32 in row-major order at bytes `begin..<end` of the data
/// (counted from the end of the header), so `end - begin = 4 d0 d1 ...`. The key
/// `"__metadata__"`, if present, holds an object of string values. The tensors tile the
/// data: sorted by offset, each one begins where the one before ends, the first at 0, the
/// last at the end of the file.
///
/// Writing puts `__metadata__` first (keys sorted), then the tensors in the order of
/// `tensors`, which is also their order in the data, and pads the header with spaces to a
/// multiple of 8 bytes, as the reference implementation does, so the data starts aligned.
/// Reading gives the tensors in data order, so a written file reads back equal.
public struct SafeTensorsFile: Equatable, Sendable {
    public var tensors: [NamedTensor]
    public var metadata: [String: String]

    /// The header key of the metadata, which names no tensor.
    public static let metadataKey = "__metadata__"

    public init(tensors: [NamedTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes. O(values).
    /// - Precondition: names are distinct and none is `__metadata__`; each tensor holds as
    ///   many values as its shape's product.
    public func encoded() -> [UInt8] {
        var header = JSONObject()
        if !metadata.isEmpty {
            var entries = JSONObject()
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { entries.set(key, value) }
            header.set(Self.metadataKey, entries)
        }
        var names = Set([Self.metadataKey])
        var offset = 0
        for tensor in tensors {
            precondition(names.insert(tensor.name).inserted, "tensor name '\(tensor.name)' is used twice or reserved")
            precondition(tensor.values.count == tensor.shape.reduce(1, *),
                         "tensor '\(tensor.name)' of shape \(tensor.shape) holds \(tensor.values.count) values")
            let end = offset + MemoryLayout<Float>.size * tensor.values.count
            var entry = JSONObject()
            entry.set("dtype", "F32")
            entry.set("shape", tensor.shape)
            entry.set("data_offsets", [offset, end])
            header.set(tensor.name, entry)
            offset = end
        }
        var text = Array(header.description.utf8)
        text += repeatElement(UInt8(ascii: " "), count: (8 - text.count % 8) % 8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + text.count + offset)
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += text
        for tensor in tensors {
            tensor.values.map(\.bitPattern.littleEndian).withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The file `bytes` hold, every rule of the format checked. Never traps, whatever the
    /// bytes. O(bytes).
    /// - Parameter file: names the file in errors.
    /// - Throws: `SafeTensorsError` naming `file`, and the tensor when one is at fault.
    public init(decoding bytes: [UInt8], file: String) throws {
        func failure(_ problem: SafeTensorsError.Problem) -> SafeTensorsError {
            SafeTensorsError(file: file, problem: problem)
        }
        guard bytes.count >= 8 else { throw failure(.tooShort(bytes: bytes.count)) }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw failure(.headerBeyondFile(headerLength: headerLength, fileBytes: bytes.count))
        }
        let dataStart = 8 + Int(headerLength)
        let dataBytes = bytes.count - dataStart
        let header: JSONValue
        do {
            header = try JSONValue(parsing: bytes[8..<dataStart])
        } catch {
            throw failure(.headerNotJSON(reason: "\(error)"))
        }
        guard let members = header.members else { throw failure(.headerNotObject) }

        var seen = Set<String>()
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for member in members {
            guard seen.insert(member.key).inserted else { throw failure(.duplicateName(member.key)) }
            if member.key == Self.metadataKey {
                guard let fields = member.value.members else { throw failure(.badMetadata(reason: "not an object")) }
                for field in fields {
                    guard let value = field.value.string else {
                        throw failure(.badMetadata(reason: "'\(field.key)' is not a string"))
                    }
                    metadata[field.key] = value
                }
                continue
            }
            entries.append(try Entry(member, dataBytes: dataBytes, file: file))
        }

        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var end = 0
        var previous: Entry?
        for entry in entries {
            if entry.begin < end, let previous { throw failure(.overlap(entry.name, previous.name)) }
            if entry.begin > end { throw failure(.hole(from: end, to: entry.begin)) }
            end = entry.end
            previous = entry
        }
        if end != dataBytes { throw failure(.hole(from: end, to: dataBytes)) }

        tensors = bytes.withUnsafeBytes { raw in
            entries.map { entry in
                let values = stride(from: dataStart + entry.begin, to: dataStart + entry.end, by: 4).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt32.self)))
                }
                return NamedTensor(name: entry.name, shape: entry.shape, values: values)
            }
        }
        self.metadata = metadata
    }

    /// Reads and checks the file at `path`, as `init(decoding:file:)` does.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(file: path, problem: .unreadable)
        }
        try self.init(decoding: [UInt8](data), file: path)
    }

    /// Writes `encoded()` to `path`, replacing any file there at once.
    public func write(to path: String) throws {
        do {
            try Data(encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafeTensorsError(file: path, problem: .unwritable(reason: error.localizedDescription))
        }
    }

    /// One tensor's header entry, its fields checked on their own and against the data's length.
    private struct Entry {
        var name: String
        var shape: [Int]
        var begin: Int
        var end: Int

        init(_ member: JSONValue.Member, dataBytes: Int, file: String) throws {
            name = member.key
            func failure(_ problem: SafeTensorsError.Problem) -> SafeTensorsError {
                SafeTensorsError(file: file, problem: problem)
            }
            guard member.value.members != nil else {
                throw failure(.badEntry(name, "must be an object with dtype, shape and data_offsets"))
            }
            for field in ["dtype", "shape", "data_offsets"] where member.value[field] == nil {
                throw failure(.badEntry(name, "has no '\(field)'"))
            }
            guard let dtype = member.value["dtype"]?.string else { throw failure(.badEntry(name, "'dtype' is not a string")) }
            guard dtype == "F32" else { throw failure(.unsupportedDType(name, dtype)) }
            guard case let .array(dimensions)? = member.value["shape"],
                  case let shape = dimensions.compactMap(\.integer), shape.count == dimensions.count,
                  shape.allSatisfy({ $0 >= 0 }) else {
                throw failure(.badEntry(name, "'shape' is not a list of non-negative integers"))
            }
            guard case let .array(offsets)? = member.value["data_offsets"], offsets.count == 2,
                  let begin = offsets[0].integer, let end = offsets[1].integer, 0 <= begin, begin <= end else {
                throw failure(.badEntry(name, "'data_offsets' is not [begin, end] with integers 0 <= begin <= end"))
            }
            guard end <= dataBytes else { throw failure(.outsideData(name, begin: begin, end: end, dataBytes: dataBytes)) }
            let size = shape.reduce((partialValue: MemoryLayout<Float>.size, overflow: false)) { product, dimension in
                product.overflow ? product : product.partialValue.multipliedReportingOverflow(by: dimension)
            }
            guard !size.overflow, size.partialValue == end - begin else {
                throw failure(.sizeMismatch(name, shape: shape, bytes: end - begin))
            }
            self.shape = shape
            self.begin = begin
            self.end = end
        }
    }
}

/// A safetensors file that could not be read, written, or used as a model: `file` names
/// it, and `problem` says what is wrong, naming the tensor when one is at fault.
public struct SafeTensorsError: FedSimError, Equatable, Sendable {
    public var file: String
    public var problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case unreadable
        case unwritable(reason: String)
        /// The file cannot even hold the header's length.
        case tooShort(bytes: Int)
        case headerBeyondFile(headerLength: UInt64, fileBytes: Int)
        case headerNotJSON(reason: String)
        case headerNotObject
        case badMetadata(reason: String)
        /// A key appears twice in the header.
        case duplicateName(String)
        /// The entry of the tensor lacks a field or has one of the wrong type.
        case badEntry(String, String)
        case unsupportedDType(String, String)
        /// The tensor's shape does not need the bytes its offsets span.
        case sizeMismatch(String, shape: [Int], bytes: Int)
        case outsideData(String, begin: Int, end: Int, dataBytes: Int)
        /// The first tensor overlaps the second, which comes before it in the data.
        case overlap(String, String)
        /// Data bytes that no tensor covers: between two tensors, before the first or after the last.
        case hole(from: Int, to: Int)
        /// The metadata does not name the model (`ModelFile.specKey`).
        case missingSpec
        case badSpec(ModelError)
        /// The tensors are not those of the model the metadata names.
        case tensors(ModelTensorsError)
        /// The file holds another model than the one expected; one phrase per difference.
        case specMismatch([String])

        public var description: String {
            switch self {
            case .unreadable: return "cannot read the file"
            case let .unwritable(reason): return "cannot write the file: \(reason)"
            case let .tooShort(bytes):
                return "the file is \(bytes) bytes long, too short for the 8-byte header length of a safetensors file"
            case let .headerBeyondFile(length, fileBytes):
                return "the header length \(length) runs past the end of the file (\(fileBytes) bytes)"
            case let .headerNotJSON(reason): return "the header is not JSON: \(reason)"
            case .headerNotObject: return "the header is not a JSON object"
            case let .badMetadata(reason): return "__metadata__ must be an object of strings: \(reason)"
            case let .duplicateName(name): return "'\(name)' appears twice in the header"
            case let .badEntry(name, reason): return "tensor '\(name)': its entry \(reason)"
            case let .unsupportedDType(name, dtype):
                return "tensor '\(name)' has dtype '\(dtype)'; fedsim reads F32 tensors only"
            case let .sizeMismatch(name, shape, bytes):
                return "tensor '\(name)' of shape \(shape) does not fill the \(bytes) bytes its data_offsets span"
            case let .outsideData(name, begin, end, dataBytes):
                return "tensor '\(name)': data_offsets [\(begin), \(end)] run past the \(dataBytes) bytes of data"
            case let .overlap(name, other): return "tensor '\(name)' overlaps tensor '\(other)' in the data"
            case let .hole(from, to): return "bytes \(from)..<\(to) of the data belong to no tensor"
            case .missingSpec: return "the metadata has no '\(ModelFile.specKey)' naming the model"
            case let .badSpec(error): return "'\(ModelFile.specKey)' in the metadata: \(error)"
            case let .tensors(error): return "\(error)"
            case let .specMismatch(differences):
                return "the file holds another model: " + differences.joined(separator: "; ")
            }
        }
    }

    public var description: String { "\(file): \(problem)" }
}
