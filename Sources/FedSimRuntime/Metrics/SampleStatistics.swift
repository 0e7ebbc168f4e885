import Foundation

/// A measure over a few independent runs (one per seed): its mean, sample standard
/// deviation and the 95% confidence interval of the mean, mean ± t · std / sqrt(n) with
/// t the 0.975 quantile of Student's t with n - 1 degrees of freedom.
public struct SampleStatistics: Equatable, Sendable {
    public let count: Int
    public let mean: Double
    /// With n - 1 in the denominator; nil for a single value.
    public let standardDeviation: Double?
    /// Nil for a single value, which says nothing about the spread.
    public let confidenceInterval: ClosedRange<Double>?

    /// The statistics of `values`; nil when there are none.
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(count)
        guard count >= 2 else {
            standardDeviation = nil
            confidenceInterval = nil
            return
        }
        let mean = mean
        let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)).squareRoot()
        standardDeviation = deviation
        let halfWidth = Self.studentT975(degreesOfFreedom: count - 1) * deviation / Double(count).squareRoot()
        confidenceInterval = (mean - halfWidth)...(mean + halfWidth)
    }

    /// The 0.975 quantile of Student's t with `degreesOfFreedom` (at least 1): the
    /// tabulated value to six decimals up to 30 degrees of freedom, then the
    /// Cornish-Fisher expansion around the normal quantile z = 1.959964 (Abramowitz and
    /// Stegun 26.7.5, terms to 1/df^4), within 3e-8 of the exact quantile from 31 on.
    public static func studentT975(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "Student's t needs at least one degree of freedom, got \(df)")
        if df <= tTable975.count { return tTable975[df - 1] }
        let z = 1.959963984540054, n = Double(df)
        let (z3, z5, z7, z9) = (pow(z, 3), pow(z, 5), pow(z, 7), pow(z, 9))
        return z + (z3 + z) / (4 * n)
            + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * pow(n, 3))
            + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * pow(n, 4))
    }

    /// t(0.975, df) for df = 1...30.
    private static let tTable975 = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ]
}
