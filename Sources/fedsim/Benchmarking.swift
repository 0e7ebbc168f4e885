import Foundation

/// How the benchmark commands measure: `body` runs once to warm up, then `repeats`
/// times; the measured runs' values are kept. `body` gets the repetition, 0 for the
/// warm-up.
func measured(repeats: Int, _ body: (_ repetition: Int) throws -> Double) rethrows -> [Double] {
    _ = try body(0)
    return try (1...repeats).map(body)
}

/// Wall-clock seconds `body` takes.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let elapsed = try ContinuousClock().measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// "median M, min m, max x" of measurements, with `decimals` digits.
func spread(_ values: [Double], _ decimals: Int) -> String {
    "median \(format(median(values), decimals)), min \(format(values.min()!, decimals)), max \(format(values.max()!, decimals))"
}

/// The middle of `values` once sorted (the upper of the two middles for an even count).
///
/// - Precondition: `values` is not empty.
func median(_ values: [Double]) -> Double {
    values.sorted()[values.count / 2]
}
