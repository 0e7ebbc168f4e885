import Foundation

/// What a random draw is for. Each purpose is an independent family of streams, so
/// adding draws for one purpose never shifts the numbers another purpose sees.
public enum RandomPurpose: UInt64, Sendable, CaseIterable {
    case initialization = 1
    case split
    case partition
    case synthetic
    case sampling
    case batches
    case speeds
    case availability
    case noise
    case attack
    case gossip
    case aggregation
    case topology
    /// Synthetic regression data (`SyntheticRegression`), per client.
    case regression
    /// The feature permutation of a scenario's `data.transform` (`FeatureTransform.permute`),
    /// keyed by the transform's own seed.
    case featurePermutation
    /// Which of a round's clients straggle, and how much work a straggler does.
    case stragglers
}

/// A counter-based random stream: Philox4x32-10 (Salmon et al., SC 2011) keyed by
/// (seed, purpose) with the counter's upper half holding (client, counter).
///
/// Every stream is a pure function of `(seed, purpose, client, counter)`, so whichever
/// process trains a client's job draws the same numbers. `counter` numbers the draws of
/// one purpose: a client's job number for its local training, the step number for the
/// server's draws (sampling, attacks, robust rules, noise). Streams with different
/// keys are independent; each one yields up to 2^66 values before repeating.
public struct RandomStream: RandomNumberGenerator, Sendable {
    private let key: (UInt32, UInt32)
    private let client: UInt32
    private let counter: UInt32
    private var block: UInt64 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    public init(seed: UInt64, purpose: RandomPurpose, client: Int = 0, counter: Int = 0) {
        let mixed = RandomStream.splitMix(seed ^ RandomStream.splitMix(purpose.rawValue))
        key = (UInt32(truncatingIfNeeded: mixed), UInt32(truncatingIfNeeded: mixed >> 32))
        self.client = UInt32(truncatingIfNeeded: client)
        self.counter = UInt32(truncatingIfNeeded: counter)
    }

    /// SplitMix64's finalizer: a bijective 64-bit mixer.
    @inlinable
    public static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next32() -> UInt32 {
        if used == 4 {
            buffer = Self.philox(
                counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), client, self.counter),
                key: key)
            block &+= 1
            used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    public mutating func next() -> UInt64 {
        let high = UInt64(next32())
        return high << 32 | UInt64(next32())
    }

    /// Writes the next `words.count` values of `next32()` into `words`, as that many calls
    /// would, computing whole Philox blocks straight into the buffer where it can.
    mutating func fill(_ words: UnsafeMutableBufferPointer<UInt32>) {
        var index = 0
        while index < words.count, used < 4 {
            words[index] = next32()
            index += 1
        }
        while words.count - index >= 32 {
            let lanes = Self.philox8(firstBlock: block, client: client, counter: counter, key: key)
            block &+= 8
            for lane in 0..<8 {
                words[index] = lanes.0[lane]
                words[index + 1] = lanes.1[lane]
                words[index + 2] = lanes.2[lane]
                words[index + 3] = lanes.3[lane]
                index += 4
            }
        }
        while words.count - index >= 4 {
            let values = Self.philox(
                counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), client, self.counter),
                key: key)
            block &+= 1
            words[index] = values.0
            words[index + 1] = values.1
            words[index + 2] = values.2
            words[index + 3] = values.3
            index += 4
        }
        while index < words.count {
            words[index] = next32()
            index += 1
        }
    }

    /// Philox4x32-10 of the eight counters (firstBlock + lane, client, counter), lane by
    /// lane in SIMD registers: `.0[l]`... `.3[l]` equal `philox` of block firstBlock + l.
    static func philox8(
        firstBlock: UInt64, client: UInt32, counter: UInt32, key: (UInt32, UInt32)
    ) -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
        let blocks = SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7) &+ firstBlock
        var c0 = SIMD8<UInt32>(truncatingIfNeeded: blocks)
        var c1 = SIMD8<UInt32>(truncatingIfNeeded: blocks &>> 32)
        var c2 = SIMD8<UInt32>(repeating: client)
        var c3 = SIMD8<UInt32>(repeating: counter)
        var k = key
        let multiplier0 = SIMD8<UInt64>(repeating: 0xD251_1F53)
        let multiplier1 = SIMD8<UInt64>(repeating: 0xCD9E_8D57)
        for _ in 0..<10 {
            let product0 = SIMD8<UInt64>(truncatingIfNeeded: c0) &* multiplier0
            let product1 = SIMD8<UInt64>(truncatingIfNeeded: c2) &* multiplier1
            (c0, c1, c2, c3) = (
                SIMD8<UInt32>(truncatingIfNeeded: product1 &>> 32) ^ c1 ^ k.0,
                SIMD8<UInt32>(truncatingIfNeeded: product1),
                SIMD8<UInt32>(truncatingIfNeeded: product0 &>> 32) ^ c3 ^ k.1,
                SIMD8<UInt32>(truncatingIfNeeded: product0)
            )
            k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85)
        }
        return (c0, c1, c2, c3)
    }

    static func philox(
        counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for _ in 0..<10 {
            let product0 = UInt64(0xD251_1F53) &* UInt64(c.0)
            let product1 = UInt64(0xCD9E_8D57) &* UInt64(c.2)
            c = (
                UInt32(truncatingIfNeeded: product1 >> 32) ^ c.1 ^ k.0,
                UInt32(truncatingIfNeeded: product1),
                UInt32(truncatingIfNeeded: product0 >> 32) ^ c.3 ^ k.1,
                UInt32(truncatingIfNeeded: product0)
            )
            k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85)
        }
        return c
    }
}

extension RandomStream {
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in 0..<bound (Lemire's unbiased multiply-and-reject).
    public mutating func integer(below bound: Int) -> Int {
        precondition(bound > 0, "integer(below:) needs a positive bound")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Standard normal draw (Box-Muller, one value per pair of uniforms).
    public mutating func normal() -> Double {
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Normal draw with the given mean and standard deviation.
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * normal()
    }

    /// Exponential draw with the given rate.
    public mutating func exponential(rate: Double) -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        return -log(u) / rate
    }

    /// Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape < 1 boosted by U^(1/shape)).
    public mutating func gamma(shape: Double) -> Double {
        exp(logGamma(shape: shape))
    }

    /// The logarithm of a Gamma(shape, 1) draw. Stays finite for tiny shapes, whose
    /// draws underflow to 0 as plain doubles.
    public mutating func logGamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma needs a positive shape")
        if shape < 1 {
            var u = uniform()
            while u <= 0 { u = uniform() }
            return logGamma(shape: shape + 1) + log(u) / shape
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniform()
            if u < 1 - 0.0331 * x * x * x * x { return log(d * v) }
            if u > 0, log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return log(d * v) }
        }
    }

    /// A draw from Dirichlet(alpha, ..., alpha) over `count` categories: normalized
    /// Gamma(alpha) draws, normalized in log space so tiny alphas keep their skew.
    public mutating func dirichlet(alpha: Double, count: Int) -> [Double] {
        let logs = (0..<count).map { _ in logGamma(shape: alpha) }
        guard let largest = logs.max() else { return [] }
        let scaled = logs.map { exp($0 - largest) }
        let total = scaled.reduce(0, +)
        return scaled.map { $0 / total }
    }

    /// Fisher-Yates shuffle with this stream's own bounded integers, so the result
    /// never depends on the standard library's shuffle algorithm.
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ collection: inout C)
    where C.Index == Int {
        var last = collection.count - 1
        while last > 0 {
            let other = integer(below: last + 1)
            collection.swapAt(collection.startIndex + last, collection.startIndex + other)
            last -= 1
        }
    }

    /// The integers 0..<count in a random order.
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        shuffle(&order)
        return order
    }

    /// `count` distinct integers from 0..<population, in increasing order.
    public mutating func sample(_ count: Int, from population: Int) -> [Int] {
        precondition(count <= population, "cannot sample \(count) of \(population)")
        var order = Array(0..<population)
        for position in 0..<count {
            let other = position + integer(below: population - position)
            order.swapAt(position, other)
        }
        return order[0..<count].sorted()
    }
}
