/// How a training set is divided among clients.
public enum PartitionScheme: Sendable, Equatable {
    /// Uniformly random, near-equal client sizes.
    case iid
    /// Label skew: each class spread over clients by Dirichlet(alpha) proportions
    /// (Hsu et al. 2019); small alpha gives few classes per client. Every client gets
    /// at least `minSamples` rows.
    case dirichlet(alpha: Double, minSamples: Int = 1)
    /// Pathological label skew (McMahan et al. 2017): rows sorted by label, cut into
    /// equal shards, `perClient` random shards per client.
    case shards(perClient: Int)
}

/// Divides a dataset's rows among clients. Every partitioner draws from
/// `RandomStream(seed:, purpose: .partition)`, is deterministic in (labels, clients,
/// parameters, seed), uses each row at most once, and returns one ascending index list
/// per client (the order inside a client carries no randomness; batching shuffles).
public enum Partitioner {
    /// The partition `scheme` describes.
    public static func partition(_ dataset: Dataset, clients: Int, scheme: PartitionScheme,
                                 seed: UInt64) throws -> [[Int]] {
        switch scheme {
        case .iid:
            return try iid(dataset, clients: clients, seed: seed)
        case let .dirichlet(alpha, minSamples):
            return try dirichlet(dataset, clients: clients, alpha: alpha, minSamples: minSamples, seed: seed)
        case let .shards(perClient):
            return try shards(dataset, clients: clients, shardsPerClient: perClient, seed: seed)
        }
    }

    /// Shuffles the rows, then cuts them into `clients` contiguous chunks: the first
    /// n mod clients chunks have ceil(n / clients) rows, the others floor(n / clients).
    /// Uses every row. O(n log n) (sorting the chunks).
    public static func iid(_ dataset: Dataset, clients: Int, seed: UInt64) throws -> [[Int]] {
        try requireClients(clients)
        let count = dataset.count
        guard count >= clients else {
            throw DataError(.partitionFailed, "cannot give \(clients) clients at least one of \(count) rows each")
        }
        var stream = RandomStream(seed: seed, purpose: .partition)
        let order = stream.permutation(count)
        var start = 0
        return (0..<clients).map { client in
            let size = count / clients + (client < count % clients ? 1 : 0)
            defer { start += size }
            return order[start..<(start + size)].sorted()
        }
    }

    /// Dirichlet label skew. Per class c with rows shuffled, proportions p ~ Dir(alpha)
    /// over the clients; client k gets the rows from floor(m (p_1 + ... + p_{k-1})) to
    /// floor(m (p_1 + ... + p_k)) of the class's m rows (the last client up to m).
    /// Every row is assigned. If a client ends up with fewer than `minSamples` rows the
    /// whole draw is repeated with fresh numbers from the same stream, up to
    /// `maxAttempts` times, after which it throws. O(attempts x (n + classes x clients)).
    public static func dirichlet(_ dataset: Dataset, clients: Int, alpha: Double, minSamples: Int = 1,
                                 maxAttempts: Int = 1000, seed: UInt64) throws -> [[Int]] {
        try requireClients(clients)
        guard alpha > 0 && alpha.isFinite else {
            throw DataError(.invalidArgument, "the Dirichlet alpha must be positive, got \(alpha)")
        }
        guard minSamples >= 0, maxAttempts >= 1 else {
            throw DataError(.invalidArgument,
                            "minSamples must be >= 0 and maxAttempts >= 1, got \(minSamples) and \(maxAttempts)")
        }
        guard clients * minSamples <= dataset.count else {
            throw DataError(.partitionFailed,
                            "cannot give \(clients) clients at least \(minSamples) rows each from \(dataset.count) rows")
        }
        var stream = RandomStream(seed: seed, purpose: .partition)
        let classRows = dataset.rowsByClass().filter { !$0.isEmpty }
        for _ in 0..<maxAttempts {
            var assigned = [[Int]](repeating: [], count: clients)
            for var rows in classRows {
                stream.shuffle(&rows)
                let proportions = stream.dirichlet(alpha: alpha, count: clients)
                var cumulative = 0.0
                var start = 0
                for client in 0..<clients {
                    cumulative += proportions[client]
                    let end = client == clients - 1
                        ? rows.count : max(start, min(rows.count, Int(cumulative * Double(rows.count))))
                    assigned[client] += rows[start..<end]
                    start = end
                }
            }
            if assigned.allSatisfy({ $0.count >= minSamples }) {
                return assigned.map { $0.sorted() }
            }
        }
        throw DataError(.partitionFailed,
                        "no Dirichlet(\(alpha)) draw gave all \(clients) clients at least \(minSamples) rows in "
                            + "\(maxAttempts) attempts; raise alpha or lower minSamples")
    }

    /// Shards: rows sorted by label (ties by row index) and cut into
    /// clients x shardsPerClient shards of floor(n / shards) rows; the last
    /// n mod shards rows of that order are left out. Each client gets shardsPerClient
    /// shards chosen by a random permutation of the shards. A shard spans at most two
    /// labels when every class has at least a shard's worth of rows, so a client then
    /// sees at most 2 x shardsPerClient labels. O(n log n).
    public static func shards(_ dataset: Dataset, clients: Int, shardsPerClient: Int, seed: UInt64) throws -> [[Int]] {
        try requireClients(clients)
        guard shardsPerClient >= 1 else {
            throw DataError(.invalidArgument, "shards per client must be at least 1, got \(shardsPerClient)")
        }
        let shardCount = clients * shardsPerClient
        guard dataset.count >= shardCount else {
            throw DataError(.partitionFailed, "cannot cut \(dataset.count) rows into \(shardCount) non-empty shards")
        }
        let shardSize = dataset.count / shardCount
        let labels = dataset.labels
        let byLabel = (0..<dataset.count).sorted { labels[$0] < labels[$1] || (labels[$0] == labels[$1] && $0 < $1) }
        var stream = RandomStream(seed: seed, purpose: .partition)
        let shardOrder = stream.permutation(shardCount)
        return (0..<clients).map { client in
            shardOrder[(client * shardsPerClient)..<((client + 1) * shardsPerClient)]
                .flatMap { shard in byLabel[(shard * shardSize)..<((shard + 1) * shardSize)] }
                .sorted()
        }
    }

    private static func requireClients(_ clients: Int) throws {
        guard clients >= 1 else {
            throw DataError(.invalidArgument, "the number of clients must be at least 1, got \(clients)")
        }
    }
}

extension FederatedDataset {
    /// Partitions `train` among `clients` by `scheme`; `test` is kept whole.
    public init(partitioning train: Dataset, test: Dataset, clients: Int, scheme: PartitionScheme,
                seed: UInt64) throws {
        let parts = try Partitioner.partition(train, clients: clients, scheme: scheme, seed: seed)
        self.init(clients: parts.map { train.subset($0) }, test: test)
    }
}
