import FedSimCore

/// Why a scenario's data could not be prepared.
public enum DataPreparationError: FedSimError, Equatable, Sendable {
    /// Loading, splitting, scaling or partitioning failed.
    case data(DataError)
    /// `data.transform` does not fit the data (an image transform on features that are
    /// not a square).
    case transform(DataError)
    /// `partition.scheme: natural` with data that is not split by client.
    case naturalWithoutClients
    /// A file split by client holds `found` clients where `partition.clients` says `expected`.
    case clientCount(file: String, found: Int, expected: Int)
    /// A client of a file split by client has no training rows left.
    case emptyClient(file: String, client: String)
    /// A file split by client left no rows for the test set.
    case emptyTest(file: String)

    public var description: String {
        switch self {
        case let .data(error): return "data: \(error)"
        case let .transform(error): return "data.transform: \(error)"
        case .naturalWithoutClients:
            return "partition scheme natural needs data split by client (source synthetic or synthetic_regression)"
        case let .clientCount(file, found, expected):
            return "data: \(file): holds \(found) client\(found == 1 ? "" : "s"), and partition.clients says \(expected); "
                + "set partition.clients: \(found)"
        case let .emptyClient(file, client):
            return "data: \(file): client \"\(client)\" has no training rows left (after the test split and label_groups)"
        case let .emptyTest(file):
            return "data: \(file): no rows are left for the test set; raise data.test_fraction or give a test_path"
        }
    }
}
