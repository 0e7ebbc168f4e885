import Foundation

/// Arithmetic on numbers stored as their natural logarithms, for the accountant's sums
/// of terms far outside Double's range. -infinity stands for 0.
enum LogSpace {
    /// log(exp(x) + exp(y)), as max + log1p(exp(min - max)).
    static func add(_ x: Double, _ y: Double) -> Double {
        let (low, high) = (min(x, y), max(x, y))
        guard low > -.infinity else { return high }
        return high + log1p(exp(low - high))
    }

    /// log(exp(x) - exp(y)) for x >= y, as y + log(expm1(x - y)); -infinity (zero) when
    /// x <= y, a difference that rounding alone can produce.
    static func subtract(_ x: Double, _ y: Double) -> Double {
        guard y > -.infinity else { return x }
        guard x > y else { return -.infinity }
        let gap = x - y
        // expm1 overflows past ~709, where exp(x) - exp(y) equals exp(x) to Double precision.
        return gap > 700 ? x : y + log(expm1(gap))
    }

    /// log(erfc(x)). Below x = 25 this is log of the library's erfc, whose relative error
    /// is a few ulp throughout; beyond it erfc underflows, and the asymptotic series
    /// `erfc(x) = exp(-x^2) / (x sqrt(pi)) * (1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 + ...)`
    /// is used instead (its first omitted term is below 1e-16 there).
    static func erfc(_ x: Double) -> Double {
        if x < 25 { return log(Foundation.erfc(x)) }
        let inverse = 1 / (2 * x * x)
        let series = 1 - inverse * (1 - 3 * inverse * (1 - 5 * inverse * (1 - 7 * inverse)))
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }
}
