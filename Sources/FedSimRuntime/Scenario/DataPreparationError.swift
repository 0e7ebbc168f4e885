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

    public var description: String {
        switch self {
        case let .data(error): return "data: \(error)"
        case let .transform(error): return "data.transform: \(error)"
        case .naturalWithoutClients:
            return "partition scheme natural needs data split by client (source synthetic or synthetic_regression)"
        }
    }
}
