import Foundation

/// The 128-layer ziggurat of the standard normal density f(x) = exp(-x^2 / 2)
/// (Marsaglia and Tsang 2000, in Doornik's 2005 layout).
///
/// `edges[0] = V / f(r)` is the width of the base layer (a rectangle of area V that
/// stands in for the box [0, r] x [0, f(r)] plus the tail beyond r), `edges[1] = r`,
/// `edges[i] = f^-1(V / edges[i-1] + f(edges[i-1]))` and `edges[128] = 0`, with
/// r = 3.442619855899 and V = 9.91256303526217e-3 making every layer's area V.
struct NormalZiggurat: Sendable {
    static let layerCount = 128
    /// Where the tail begins.
    static let tailStart = 3.442619855899
    /// The common area of the layers.
    static let layerArea = 9.91256303526217e-3
    static let shared = NormalZiggurat()

    /// Outer x of each layer, 129 values from V / f(r) down to 0.
    let edges: [Double]
    /// `edges[i + 1] / edges[i]`: the share of layer i that lies under the curve.
    let innerShares: [Double]
    /// f(edges[i]).
    let densities: [Double]

    private init() {
        let count = Self.layerCount
        var edges = [Double](repeating: 0, count: count + 1)
        var density = exp(-0.5 * Self.tailStart * Self.tailStart)
        edges[0] = Self.layerArea / density
        edges[1] = Self.tailStart
        for layer in 2..<count {
            edges[layer] = (-2 * log(Self.layerArea / edges[layer - 1] + density)).squareRoot()
            density = exp(-0.5 * edges[layer] * edges[layer])
        }
        self.edges = edges
        innerShares = (0..<count).map { edges[$0 + 1] / edges[$0] }
        densities = edges.map { exp(-0.5 * $0 * $0) }
    }
}

extension RandomStream {
    /// Entries `addGaussianNoise` handles per chunk of words drawn at once.
    static let noiseChunkSize = 256

    /// Adds independent N(0, standardDeviation^2) draws to every entry of `values`.
    ///
    /// The draws come from a 128-layer ziggurat. Entries go in chunks of up to
    /// `noiseChunkSize`: one `fill` takes a 32-bit word per entry, which gives the layer
    /// (7 bits) and a signed uniform (25 bits), and about 99% of draws need nothing more.
    /// The chunk's other entries are then finished in index order with words from
    /// `next32()` and 53-bit `uniform()`s, for the retries, the wedge test and Marsaglia's
    /// exponential tail sampler. The values differ from `normal()`'s Box-Muller draws.
    /// O(n), no heap allocation.
    public mutating func addGaussianNoise(to values: inout [Float], standardDeviation: Float) {
        let table = NormalZiggurat.shared
        let chunkSize = Self.noiseChunkSize
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: chunkSize) { words in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: chunkSize) { pending in
                table.edges.withUnsafeBufferPointer { edges in
                    table.innerShares.withUnsafeBufferPointer { shares in
                        table.densities.withUnsafeBufferPointer { densities in
                            values.withUnsafeMutableBufferPointer { values in
                                for chunkStart in stride(from: 0, to: values.count, by: chunkSize) {
                                    let count = min(chunkSize, values.count - chunkStart)
                                    fill(UnsafeMutableBufferPointer(rebasing: words[0..<count]))
                                    var pendingCount = 0
                                    for offset in 0..<count {
                                        let bits = words[offset]
                                        let layer = Int(bits & 0x7F)
                                        let u = Self.signedUniform(bits)
                                        if abs(u) < shares[layer] {
                                            values[chunkStart + offset] += standardDeviation * Float(u * edges[layer])
                                        } else {
                                            pending[pendingCount] = offset
                                            pendingCount += 1
                                        }
                                    }
                                    for offset in pending[0..<pendingCount] {
                                        let bits = words[offset]
                                        let draw = zigguratFallback(
                                            layer: Int(bits & 0x7F), u: Self.signedUniform(bits), edges: edges,
                                            innerShares: shares, densities: densities)
                                        values[chunkStart + offset] += standardDeviation * Float(draw)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The upper 25 bits of `bits` as a signed integer, shifted half a step and scaled:
    /// uniform on a grid symmetric about 0 in (-1, 1).
    @inline(__always)
    private static func signedUniform(_ bits: UInt32) -> Double {
        (Double(Int32(bitPattern: bits & 0xFFFF_FF80)) + 64) * 0x1p-31
    }

    /// Finishes a ziggurat draw whose first word (giving `layer` and `u`) fell outside the
    /// layer's inner rectangle: the tail sampler for the base layer, else the wedge test,
    /// then fresh attempts with words from `next32()` until one is accepted.
    private mutating func zigguratFallback(
        layer: Int, u: Double, edges: UnsafeBufferPointer<Double>, innerShares: UnsafeBufferPointer<Double>,
        densities: UnsafeBufferPointer<Double>
    ) -> Double {
        var (layer, u) = (layer, u)
        while true {
            if abs(u) < innerShares[layer] { return u * edges[layer] }
            if layer == 0 {
                // Beyond r: x = r + E1 / r accepted when 2 E2 > (E1 / r)^2 (E1, E2 exponential).
                let r = NormalZiggurat.tailStart
                var excess = 0.0
                var exponential = 0.0
                repeat {
                    excess = -log(1 - uniform()) / r
                    exponential = -log(1 - uniform())
                } while 2 * exponential <= excess * excess
                return u < 0 ? -(r + excess) : r + excess
            }
            let candidate = u * edges[layer]
            let height = densities[layer + 1] + uniform() * (densities[layer] - densities[layer + 1])
            if height < exp(-0.5 * candidate * candidate) { return candidate }
            let bits = next32()
            layer = Int(bits & 0x7F)
            u = Self.signedUniform(bits)
        }
    }

    /// Poisson sampling: fills `rows` with the members of 0..<population, in increasing
    /// order, each included independently with probability `rate`.
    ///
    /// Draws the gaps between members, Geometric(rate) variables floor(log U / log(1 - q))
    /// with U uniform in (0, 1], so the cost is O(rate * population + 1) draws rather than
    /// one per candidate. With rate 1 every row is included and nothing is drawn.
    /// `rows` keeps its capacity, so a loop that reuses it allocates only while it grows.
    public mutating func poissonSample(rate: Double, population: Int, into rows: inout [Int]) {
        precondition(rate > 0 && rate <= 1, "a Poisson sampling rate must be in (0, 1], got \(rate)")
        precondition(population >= 0, "population must not be negative, got \(population)")
        rows.removeAll(keepingCapacity: true)
        if rate == 1 {
            rows.append(contentsOf: 0..<population)
            return
        }
        let logComplement = log1p(-rate)
        var next = 0
        while next < population {
            let gap = (log(1 - uniform()) / logComplement).rounded(.down)
            guard gap < Double(population - next) else { return }
            next += Int(gap)
            rows.append(next)
            next += 1
        }
    }
}
