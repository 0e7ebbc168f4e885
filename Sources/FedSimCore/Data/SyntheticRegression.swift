/// Linear-regression data with one problem per client, as the DADAO authors make theirs
/// (Nabli and Oyallon, ICML 2023): each worker draws its own scikit-learn
/// `make_regression(n, d, noise=10)` data set and multiplies its targets by a slope drawn
/// uniformly in [0.01, 5].
///
/// For client k, with d features of which `informativeCount` are informative:
/// - its slope c_k ~ U[slopeRange];
/// - its coefficients w_k: 100 U(0, 1) on `informativeCount` features chosen uniformly
///   at random, 0 on the others (make_regression puts 100 U(0, 1) on its first
///   n_informative features and then shuffles the columns, which is the same law);
/// - each of its n rows x ~ N(0, I_d) (make_regression's well-conditioned input, without
///   `effective_rank`), and its target y = c_k (<x, w_k> + noise e), e ~ N(0, 1), with no
///   bias; y is computed from the features as stored (Float), so y / c_k - <x, w_k> is
///   exactly the noise.
///
/// As in `LEAFSynthetic`, a client's first floor(0.9 n) rows are its training data and the
/// rest its test data. The rows are `Dataset`s with `targets`.
///
/// Client k draws everything from `RandomStream(seed:, purpose: .regression, client: k)`,
/// in the order c_k, the informative features, their coefficients, then row by row its d
/// features and its noise; so any process can generate any one client alone, and a
/// client's data do not depend on how many clients there are. O(n d) per client.
public struct SyntheticRegression: Equatable, Sendable {
    public let featureCount: Int
    public let samplesPerClient: Int
    public let informativeCount: Int
    /// The standard deviation of the noise added to <x, w_k>, before the slope.
    public let noise: Double
    public let slopeRange: ClosedRange<Double>
    public let seed: UInt64

    /// One client's data and the model that made them.
    public struct Client: Equatable, Sendable {
        public var train: Dataset
        public var test: Dataset
        /// w_k, one per feature (0 off the informative features).
        public var coefficients: [Double]
        /// c_k.
        public var slope: Double
    }

    /// The authors' settings by default: noise 10, slopes in [0.01, 5]; every feature
    /// informative unless `informativeCount` says how many are.
    /// - Throws: `DataError.invalidArgument` for fewer than 1 feature or 2 samples a
    ///   client (one to train on, one to test), an informative count outside
    ///   1...featureCount, a negative or infinite noise, or a slope range that is not finite.
    public init(featureCount: Int, samplesPerClient: Int, informativeCount: Int? = nil, noise: Double = 10,
                slopeRange: ClosedRange<Double> = 0.01...5, seed: UInt64) throws {
        guard featureCount >= 1, samplesPerClient >= 2 else {
            throw DataError(.invalidArgument, "synthetic regression data needs at least 1 feature and 2 samples a client "
                            + "(one to train on, one to test), got \(featureCount) and \(samplesPerClient)")
        }
        let informative = informativeCount ?? featureCount
        guard (1...featureCount).contains(informative) else {
            throw DataError(.invalidArgument,
                            "the informative features must number 1 to the \(featureCount) features, got \(informative)")
        }
        guard noise >= 0, noise.isFinite else {
            throw DataError(.invalidArgument, "the noise is a standard deviation and must be finite and >= 0, got \(noise)")
        }
        guard slopeRange.lowerBound.isFinite, slopeRange.upperBound.isFinite else {
            throw DataError(.invalidArgument, "the slope range must be finite, got \(slopeRange)")
        }
        self.featureCount = featureCount
        self.samplesPerClient = samplesPerClient
        self.informativeCount = informative
        self.noise = noise
        self.slopeRange = slopeRange
        self.seed = seed
    }

    /// Every client's training data, and the union of their test data in client order.
    public func generate(clients: Int) throws -> FederatedDataset {
        guard clients >= 1 else {
            throw DataError(.invalidArgument, "the number of clients must be at least 1, got \(clients)")
        }
        let parts = (0..<clients).map { client($0) }
        let test = Dataset(features: parts.flatMap(\.test.features), targets: parts.flatMap { $0.test.targets ?? [] },
                           featureCount: featureCount)
        return FederatedDataset(clients: parts.map(\.train), test: test)
    }

    /// Client `index`'s data, split into training and test rows, with its coefficients and slope.
    public func client(_ index: Int) -> Client {
        var stream = RandomStream(seed: seed, purpose: .regression, client: index)
        let slope = slopeRange.lowerBound + (slopeRange.upperBound - slopeRange.lowerBound) * stream.uniform()
        var coefficients = [Double](repeating: 0, count: featureCount)
        for feature in stream.sample(informativeCount, from: featureCount) {
            coefficients[feature] = 100 * stream.uniform()
        }
        var features = [Float]()
        features.reserveCapacity(samplesPerClient * featureCount)
        var targets = [Double]()
        targets.reserveCapacity(samplesPerClient)
        for _ in 0..<samplesPerClient {
            var product = 0.0
            for feature in 0..<featureCount {
                let value = Float(stream.normal())
                features.append(value)
                product += Double(value) * coefficients[feature]
            }
            targets.append(slope * (product + noise * stream.normal()))
        }
        let all = Dataset(features: features, targets: targets, featureCount: featureCount)
        let trainCount = samplesPerClient * 9 / 10
        return Client(train: all.subset(Array(0..<trainCount)), test: all.subset(Array(trainCount..<samplesPerClient)),
                      coefficients: coefficients, slope: slope)
    }
}
