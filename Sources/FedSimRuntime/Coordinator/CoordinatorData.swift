import FedSimCore
import FedSimWire

/// What the coordinator's parts read of a federated dataset: the test set the global
/// model is evaluated on and each client's number of training rows, never the rows.
public protocol FederatedDataSummary {
    var test: Dataset { get }
    /// Client i's training rows, for every client.
    var sampleCounts: [Int] { get }
}

extension FederatedDataSummary {
    public var clientCount: Int { sampleCounts.count }
    public var featureCount: Int { test.featureCount }
    public var classCount: Int { test.classCount }
}

extension FederatedDataset: FederatedDataSummary {}

/// The coordinator's share of a run's data. It holds the test set and, per client, the
/// row count (and, when workers build the rows themselves, the rows' content hash):
/// a few dozen bytes a client. The clients' rows stay only when they are shipped to
/// the workers in their Assign.
public struct CoordinatorData: FederatedDataSummary, Sendable {
    /// How the workers come by their clients' rows.
    public enum Delivery: Sendable {
        /// The rows travel in each worker's Assign (hosts without the data files).
        case shipped([Dataset])
        /// Each worker builds its clients' rows from the scenario's data recipe
        /// (`Scenario.dataRecipe`) and checks them against the content hashes, client by client.
        case recipe(String, hashes: [ContentHash])
    }

    public let test: Dataset
    public let sampleCounts: [Int]
    public let delivery: Delivery
    /// The clients' rows when the coordinator keeps a copy of them: always when it ships
    /// them, and with a recipe when the run asks the clients for their losses
    /// (`Scenario.asksClientLosses`); nil otherwise.
    public var rows: [Dataset]? {
        if case let .shipped(clients) = delivery { return clients }
        return keptRows
    }
    private let keptRows: [Dataset]?

    /// Data whose rows are shipped to the workers.
    public init(shipping data: FederatedDataset) {
        test = data.test
        sampleCounts = data.sampleCounts
        delivery = .shipped(data.clients)
        keptRows = nil
    }

    /// Data the workers build from `recipe`, client i having `sampleCounts[i]` rows of
    /// content hash `hashes[i]`; the coordinator keeps `rows` when given.
    public init(recipe: String, test: Dataset, sampleCounts: [Int], hashes: [ContentHash], rows: [Dataset]? = nil) {
        precondition(sampleCounts.count == hashes.count, "\(sampleCounts.count) clients but \(hashes.count) hashes")
        self.test = test
        self.sampleCounts = sampleCounts
        delivery = .recipe(recipe, hashes: hashes)
        keptRows = rows
    }

    /// The recipe the workers build their rows from; nil when the rows are shipped.
    var recipe: String? {
        if case let .recipe(recipe, _) = delivery { return recipe }
        return nil
    }

    /// Client `client`'s shard of an Assign: its rows, or its row count and hash.
    func shard(of client: Int, flipsLabels: Bool) -> ClientShard {
        switch delivery {
        case let .shipped(clients):
            return ClientShard(clientID: client, data: clients[client], flipsLabels: flipsLabels)
        case let .recipe(_, hashes):
            return ClientShard(clientID: client, content: .described(samples: sampleCounts[client], hash: hashes[client]),
                               flipsLabels: flipsLabels)
        }
    }
}
