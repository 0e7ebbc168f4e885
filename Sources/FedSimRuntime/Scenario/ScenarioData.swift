import FedSimCore

extension Simulation {
    /// Loads, splits, scales and partitions the data `scenario` describes. A pure
    /// function of the scenario (and the files it names), so every process that calls
    /// it gets the same clients. A file's rows are rearranged by `data.transform` right
    /// after loading. Errors name the data file and line. A least-squares
    /// model reads a file's labels as real targets, and its test split is then plain
    /// random rather than stratified by class.
    public static func prepareData(_ scenario: Scenario) throws -> FederatedDataset {
        do {
            let federated: FederatedDataset
            switch scenario.data.source {
            case .synthetic, .syntheticIID:
                var generated = try syntheticGenerator(scenario)!.generate(clients: scenario.partition.clients)
                if let groups = scenario.data.labelGroups {
                    generated = FederatedDataset(clients: try generated.clients.map { try $0.regrouped(groups) },
                                                 test: try generated.test.regrouped(groups))
                }
                federated = try scaled(generated, scenario.data.normalize)
            case let .syntheticRegression(features, samplesPerClient, informative, noise, slopeRange):
                let generator = try SyntheticRegression(
                    featureCount: features, samplesPerClient: samplesPerClient, informativeCount: informative,
                    noise: noise, slopeRange: slopeRange, seed: scenario.effectiveDataSeed)
                federated = try scaled(try generator.generate(clients: scenario.partition.clients), scenario.data.normalize)
            case _ where scenario.data.isSplitByClient:
                federated = try scaled(try clientSplitFile(scenario), scenario.data.normalize)
            default:
                let realTargets = scenario.model.kind == .leastSquares
                var pooled = try load(scenario.data.source, classes: scenario.data.classes, realTargets: realTargets,
                                      clientColumn: nil).dataset
                if let transform = scenario.data.transform { pooled = try transformed(pooled, transform) }
                if let groups = scenario.data.labelGroups { pooled = try pooled.regrouped(groups) }
                let (train, test) = try pooled.split(testFraction: scenario.data.testFraction, seed: scenario.effectiveDataSeed,
                                                     stratified: !realTargets)
                let (scaledTrain, scaledTest) = try scale(train: train, test: test, scenario.data.normalize)
                federated = try FederatedDataset(
                    partitioning: scaledTrain, test: scaledTest, clients: scenario.partition.clients,
                    scheme: try partitionScheme(scenario.partition), seed: scenario.effectiveDataSeed)
            }
            return federated
        } catch let error as DataError {
            throw DataPreparationError.data(error)
        }
    }

    /// What the coordinator keeps of `scenario`'s data: the test set and every client's
    /// row count, and the rows themselves when `shipping` them to the workers; otherwise
    /// each client's content hash, against which workers check the rows they build from
    /// the scenario's data recipe. Data generated client by client is generated one
    /// client at a time, so the coordinator never holds more than the test set and one
    /// client's rows, unless the run asks the clients for their losses
    /// (`Scenario.asksClientLosses`), which it answers from a copy of every client's rows.
    /// The same data as `prepareData`.
    public static func prepareCoordinatorData(_ scenario: Scenario, shipping: Bool) throws -> CoordinatorData {
        guard !shipping, let generator = try clientByClientGenerator(scenario) else {
            let data = try prepareData(scenario)
            return shipping ? CoordinatorData(shipping: data)
                : CoordinatorData(recipe: scenario.dataRecipe, test: data.test, sampleCounts: data.sampleCounts,
                                  hashes: data.clients.map(\.contentHash),
                                  rows: scenario.asksClientLosses ? data.clients : nil)
        }
        let clients = 0..<scenario.partition.clients
        var counts: [Int] = [], hashes: [ContentHash] = [], rows: [Dataset] = []
        // The test set is allocated once, at its size, rather than grown client by client.
        var test = try generator.rows(0).test
        let testRows = clients.reduce(0) { $0 + generator.testRowCount($1) }
        test.features = []
        test.features.reserveCapacity(testRows * test.featureCount)
        test.labels = []
        test.labels.reserveCapacity(testRows)
        for client in clients {
            let (train, testPart) = try generator.rows(client)
            counts.append(train.count)
            hashes.append(train.contentHash)
            if scenario.asksClientLosses { rows.append(train) }
            test.features += testPart.features
            test.labels += testPart.labels
        }
        return CoordinatorData(recipe: scenario.dataRecipe, test: test, sampleCounts: counts, hashes: hashes,
                               rows: scenario.asksClientLosses ? rows : nil)
    }

    /// The training rows of `clients` under `scenario`'s data, as `prepareData` gives
    /// them. Data generated client by client is generated for these clients only; a file
    /// is loaded, split and partitioned whole, and the other clients' rows dropped.
    public static func prepareClients(_ clients: [Int], of scenario: Scenario) throws -> [Int: Dataset] {
        if let generator = try clientByClientGenerator(scenario) {
            return Dictionary(uniqueKeysWithValues: try clients.map { ($0, try generator.rows($0).train) })
        }
        let data = try prepareData(scenario)
        return Dictionary(uniqueKeysWithValues: clients.map { ($0, data.clients[$0]) })
    }

    /// Data made one client at a time: each client's training and test rows alone, and
    /// its number of test rows without making any.
    private struct ClientGenerator {
        let rows: (Int) throws -> (train: Dataset, test: Dataset)
        let testRowCount: (Int) -> Int
    }

    /// How to make one client's rows alone, when the scenario's data allows it: LEAF
    /// synthetic data without normalization (whose statistics pool every client). Nil
    /// for other data.
    private static func clientByClientGenerator(_ scenario: Scenario) throws -> ClientGenerator? {
        guard scenario.data.normalize.scaling == nil, let generator = try syntheticGenerator(scenario) else { return nil }
        let groups = scenario.data.labelGroups
        return ClientGenerator(rows: { client in
            do {
                let (train, test) = generator.client(client)
                guard let groups else { return (train, test) }
                return (try train.regrouped(groups), try test.regrouped(groups))
            } catch let error as DataError {
                throw DataPreparationError.data(error)
            }
        }, testRowCount: generator.testRowCount(ofClient:))
    }

    /// The generator of LEAF synthetic data; nil for other data.
    private static func syntheticGenerator(_ scenario: Scenario) throws -> LEAFSynthetic? {
        let variant: LEAFSynthetic.Variant, features: Int, classes: Int, maxSamplesPerClient: Int
        switch scenario.data.source {
        case let .synthetic(alpha, beta, featureCount, classCount, maxSamples):
            (variant, features, classes, maxSamplesPerClient) = (.heterogeneous(alpha: alpha, beta: beta), featureCount,
                                                                 classCount, maxSamples)
        case let .syntheticIID(featureCount, classCount, maxSamples):
            (variant, features, classes, maxSamplesPerClient) = (.iid, featureCount, classCount, maxSamples)
        default:
            return nil
        }
        do {
            return try LEAFSynthetic(variant: variant, featureCount: features,
                                     classCount: classes, maxSamplesPerClient: maxSamplesPerClient, seed: scenario.effectiveDataSeed)
        } catch let error as DataError {
            throw DataPreparationError.data(error)
        }
    }

    /// The file's rows, with each row's client when `clientColumn` says where it is (and
    /// for LEAF JSON, always); with `classes`, labels are class ids 0..<classes.
    private static func load(_ source: DataSource, classes: Int?, realTargets: Bool,
                             clientColumn: ClientColumn?) throws -> LoadedDataset {
        let classIds = classes.map { Array(0..<$0) }
        switch source {
        case let .csv(path, labelColumn):
            var column: Int?
            if case let .index(index)? = clientColumn { column = index }
            return try CSVLoader.load(path: path, labelColumn: labelColumn, clientColumn: column, labelValues: classIds,
                                      realTargets: realTargets)
        case let .libsvm(path, features):
            return try LIBSVMLoader.load(path: path, featureCount: features > 0 ? features : nil, labelValues: classIds,
                                         realTargets: realTargets, clientsByQID: clientColumn == .qid)
        case let .idx(images, labels):
            return LoadedDataset(dataset: try IDXLoader.load(images: images, labels: labels, classCount: classes),
                                 labelValues: [])
        case let .leaf(path, _):
            return try LEAFJSONLoader.load(path: path, labelValues: classIds)
        case .synthetic, .syntheticIID, .syntheticRegression:
            preconditionFailure("synthetic data is generated per client")
        }
    }

    /// A file's own clients: its rows grouped by client in the order the file first names
    /// them, each rearranged and regrouped as `data` says. The test set is LEAF's test
    /// file when given (read with the training file's classes and width); otherwise each
    /// client's rows are split by `test_fraction`, client k with its own stream of the
    /// data seed, and the test set is the clients' held-out rows together.
    private static func clientSplitFile(_ scenario: Scenario) throws -> FederatedDataset {
        let data = scenario.data
        let realTargets = scenario.model.kind == .leastSquares
        let loaded = try load(data.source, classes: data.classes, realTargets: realTargets, clientColumn: data.clientColumn)
        let file = data.source.files[0]
        let byClient = loaded.rowsByClient()
        guard byClient.count == scenario.partition.clients else {
            throw DataPreparationError.clientCount(file: file, found: byClient.count, expected: scenario.partition.clients)
        }
        func prepared(_ rows: Dataset) throws -> Dataset {
            var rows = rows
            if let transform = data.transform { rows = try transformed(rows, transform) }
            if let groups = data.labelGroups { rows = try rows.regrouped(groups) }
            return rows
        }
        var clients: [Dataset] = [], testParts: [Dataset] = []
        if case let .leaf(_, testPath?) = data.source {
            clients = try byClient.map { try prepared($0.rows) }
            let test = try LEAFJSONLoader.load(path: testPath, labelValues: loaded.labelValues,
                                               featureCount: loaded.dataset.featureCount)
            testParts = [try prepared(test.dataset)]
        } else {
            for (client, (_, rows)) in byClient.enumerated() {
                let (train, test) = try rows.split(testFraction: data.testFraction, seed: scenario.effectiveDataSeed,
                                                   client: client)
                clients.append(try prepared(train))
                testParts.append(try prepared(test))
            }
        }
        if let empty = clients.firstIndex(where: \.isEmpty) {
            throw DataPreparationError.emptyClient(file: file, client: byClient[empty].id)
        }
        guard testParts.contains(where: { !$0.isEmpty }) else { throw DataPreparationError.emptyTest(file: file) }
        return FederatedDataset(clients: clients, test: Dataset(concatenating: testParts))
    }

    /// `data` rearranged by the scenario's `data.transform`, whose misfit is reported at that field.
    private static func transformed(_ data: Dataset, _ transform: FeatureTransform) throws -> Dataset {
        do {
            return try data.transformed(transform)
        } catch let error as DataError {
            throw DataPreparationError.transform(error)
        }
    }

    private static func partitionScheme(_ settings: PartitionSettings) throws -> PartitionScheme {
        switch settings.scheme {
        case .natural: throw DataPreparationError.naturalWithoutClients
        case .iid: return .iid
        case .dirichlet: return .dirichlet(alpha: settings.alpha, minSamples: settings.minSamples)
        case .shards: return .shards(perClient: settings.shardsPerClient)
        }
    }

    private static func scale(train: Dataset, test: Dataset, _ normalization: Normalization) throws
        -> (train: Dataset, test: Dataset) {
        guard let method = normalization.scaling else { return (train, test) }
        return try FeatureScaler.scale(train: train, test: test, method: method)
    }

    /// Scales naturally split data with statistics of all clients' training rows together.
    private static func scaled(_ data: FederatedDataset, _ normalization: Normalization) throws -> FederatedDataset {
        guard let method = normalization.scaling, !data.clients.isEmpty else { return data }
        let scaler = try FeatureScaler(fittedTo: Dataset(concatenating: data.clients), method: method)
        return FederatedDataset(clients: try data.clients.map { try scaler.apply(to: $0) },
                                test: try scaler.apply(to: data.test))
    }
}

extension Normalization {
    /// The Core scaling this names; nil for `none`.
    var scaling: FeatureScaling? {
        switch self {
        case .none: return nil
        case .minmax: return .minMax
        case .standard: return .standard
        }
    }
}
