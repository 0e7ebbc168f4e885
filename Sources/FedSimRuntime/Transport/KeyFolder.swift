import FedSimWire
import Foundation

/// The coordinator's CURVE keys: its own pair, and the workers' public keys it admits.
public struct CoordinatorKeys: Sendable {
    public let keys: CurveKeyPair
    /// The admitted worker keys, each with the certificate it came from (for logs).
    public let workers: [CurveKey: String]
}

/// A worker's CURVE keys: its own pair, and the coordinator's public key.
public struct WorkerKeys: Sendable {
    public let keys: CurveKeyPair
    public let coordinator: CurveKey
}

/// A folder of CURVE certificates in ZeroMQ's format (`CurveCertificate`), as
/// `fedsim keygen` writes it and `--keys` reads it:
///
/// - `coordinator.key_secret` (mode 0600) and `coordinator.key`: the coordinator's pair;
/// - `NAME.key_secret` and `NAME.key`: a worker's (keygen names them `worker-0`, ...).
///
/// The coordinator reads its secret certificate and admits exactly the workers whose
/// public certificate, `*.key` other than `coordinator.key`, is in the folder: deleting a
/// worker's `.key` file revokes it at the next start. A worker reads `coordinator.key`
/// and its own secret certificate: `NAME.key_secret` for a given NAME, otherwise the
/// folder's only `*.key_secret` other than the coordinator's (a container given just its
/// own).
public struct KeyFolder: Sendable {
    /// The base name of the coordinator's certificates.
    public static let coordinatorName = "coordinator"

    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The name `fedsim keygen` gives worker `index`'s certificates.
    public static func workerName(_ index: Int) -> String { "worker-\(index)" }

    /// Makes a folder at `path` (mode 0700, which may exist but must not hold these
    /// files) with new key pairs for the coordinator and `workers` workers. Returns the
    /// files written.
    @discardableResult
    public static func generate(at path: String, workers: Int) throws -> [String] {
        let folder = KeyFolder(path: path)
        let names = [coordinatorName] + (0..<workers).map(workerName)
        let files = names.flatMap { [folder.file("\($0).key"), folder.file("\($0).key_secret")] }
        if let existing = files.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw CurveCertificateError(path: existing, line: nil, reason: "exists; keygen does not overwrite keys")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CurveCertificateError(path: path, line: nil, reason: "cannot make the folder: \(error.localizedDescription)")
        }
        for name in names {
            let certificate = CurveCertificate(keys: try CurveKeyPair.generate(), metadata: [.init("name", name)])
            try certificate.write(publicPath: folder.file("\(name).key"), secretPath: folder.file("\(name).key_secret"))
        }
        return files
    }

    /// The coordinator's pair and the workers it admits; throws when the folder has no
    /// worker certificate.
    public func coordinatorKeys() throws -> CoordinatorKeys {
        let keys = try secretKeys(Self.coordinatorName)
        var workers: [CurveKey: String] = [:]
        for name in try files(endingIn: ".key") where name != "\(Self.coordinatorName).key" {
            workers[try CurveCertificate.read(path: file(name)).publicKey] = name
        }
        guard !workers.isEmpty else {
            throw CurveCertificateError(path: path, line: nil,
                                        reason: "no worker public certificate (*.key besides coordinator.key) to admit")
        }
        return CoordinatorKeys(keys: keys, workers: workers)
    }

    /// Worker `name`'s pair (nil: the folder's only worker secret certificate) and the
    /// coordinator's public key.
    public func workerKeys(name: String?) throws -> WorkerKeys {
        let coordinator = try CurveCertificate.read(path: file("\(Self.coordinatorName).key")).publicKey
        let chosen: String
        if let name {
            chosen = name
        } else {
            let secrets = try files(endingIn: ".key_secret").map { String($0.dropLast(".key_secret".count)) }
                .filter { $0 != Self.coordinatorName }
            guard secrets.count == 1 else {
                let found = secrets.isEmpty ? "none" : secrets.joined(separator: ", ")
                throw CurveCertificateError(path: path, line: nil,
                                            reason: "choose this worker's secret certificate with --key NAME (found: \(found))")
            }
            chosen = secrets[0]
        }
        return WorkerKeys(keys: try secretKeys(chosen), coordinator: coordinator)
    }

    /// The pair in `NAME.key_secret`.
    private func secretKeys(_ name: String) throws -> CurveKeyPair {
        let secretPath = file("\(name).key_secret")
        guard let keys = try CurveCertificate.read(path: secretPath).keyPair else {
            throw CurveCertificateError(path: secretPath, line: nil, reason: "holds no secret-key")
        }
        return keys
    }

    /// The names of the folder's files ending in `suffix`, sorted.
    private func files(endingIn suffix: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(suffix) }.sorted()
        } catch {
            throw CurveCertificateError(path: path, line: nil, reason: "cannot be read as a folder")
        }
    }

    private func file(_ name: String) -> String {
        URL(fileURLWithPath: path).appendingPathComponent(name).path
    }
}
