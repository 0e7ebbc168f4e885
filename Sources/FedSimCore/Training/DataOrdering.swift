import Foundation

/// Ordered local learning (Vahidian et al., "When Do Curricula Work in Federated
/// Learning?", ICCV 2023, after Wu, Dyer and Neyshabur, "When Do Curricula Work?", ICLR
/// 2021): a task ranks its client's rows by difficulty and trains on a growing prefix of
/// that ranking instead of on freshly shuffled passes over all rows.
///
/// As the authors' code does (github.com/sreevatsank1999/Curriculum-FL), a row's
/// difficulty is its cross-entropy under the global model the task starts from, scored
/// afresh at every task; each pass over the data is a fresh shuffle of the prefix the
/// pacing function makes visible when the pass begins, so the prefix grows only between
/// passes; a task takes as many optimizer steps as it would without ordering.
public struct DataOrdering: Equatable, Sendable {
    /// How the rows are ranked.
    public enum Order: String, Codable, Sendable, CaseIterable {
        /// Easiest first: ascending loss, ties by row index.
        case curriculum
        /// Hardest first: the curriculum ranking reversed.
        case antiCurriculum = "anti_curriculum"
        /// A random ranking drawn at every task from the task's random stream, which
        /// the pacing function then reveals as it would a curriculum.
        case random
    }

    public var order: Order
    public var pacing: Pacing

    public init(order: Order, pacing: Pacing = Pacing()) {
        self.order = order
        self.pacing = pacing
    }

    /// A client's `rows` rows ranked by `order`; `losses()` gives every row's loss (not
    /// called for `random`, which draws a permutation from `rng`). O(n log n).
    public func ranking(rows: Int, losses: () -> [Double], rng: inout RandomStream) -> [Int] {
        switch order {
        case .random:
            return rng.permutation(rows)
        case .curriculum, .antiCurriculum:
            let losses = losses()
            precondition(losses.count == rows, "\(losses.count) losses for \(rows) rows")
            let ascending = losses.indices.sorted { (losses[$0], $0) < (losses[$1], $1) }
            return order == .curriculum ? ascending : ascending.reversed()
        }
    }

    /// How many ranked rows a pass that begins after `step` of a task's `steps` steps
    /// walks: g(t) of `pacing`, at least one minibatch of `batchSize` rows (the
    /// authors' code keeps at least 32), at most `rows`.
    public func visibleRows(afterStep step: Int, of steps: Int, rows: Int, batchSize: Int) -> Int {
        let paced: Int
        switch pacing.span {
        case .localSteps: paced = pacing.visibleRows(at: step, of: steps, rows: rows)
        case let .rounds(current, total): paced = pacing.visibleRows(at: current, of: total, rows: rows)
        }
        return max(paced, min(batchSize, rows))
    }
}

/// A pacing function g (Wu et al. 2021, table 2): how many of a client's N ranked rows
/// are visible after t of the T steps it paces,
///
///     g(t) = N b + N (1 - b) f(t / (a T))     (step: N b + N floor(t / (a T)))
///
/// truncated to an integer and kept within [1, N], where b (`start`) is the fraction
/// visible at first and a (`fullAt`) the fraction of the T steps after which every row is
/// visible (f(1) = 1), with f(x) = x (linear), x^2 (quadratic), sqrt(x) (root),
/// (e^(10x) - 1) / (e^10 - 1) (exponential), 1 + 0.1 ln(x + e^-10) (logarithmic).
/// Defaults: linear, b = 0.2, a = 0.8, the authors' main setting.
public struct Pacing: Equatable, Codable, Sendable {
    public enum Function: String, Codable, Sendable, CaseIterable {
        case linear, quadratic, root, exponential, logarithmic, step
    }

    /// What t and T count.
    public enum Span: Equatable, Codable, Sendable {
        /// The optimizer steps of each task: every task starts from b N visible rows
        /// (the authors' code).
        case localSteps
        /// The server's rounds: t is `current`, the model version the task starts from
        /// (the coordinator sets it task by task), and T `total`, so the visible fraction
        /// grows from task to task and stays fixed within one.
        case rounds(current: Int, total: Int)
    }

    public var function: Function
    /// b, in (0, 1].
    public var start: Double
    /// a, in (0, 1].
    public var fullAt: Double
    public var span: Span

    public init(function: Function = .linear, start: Double = 0.2, fullAt: Double = 0.8, span: Span = .localSteps) {
        self.function = function
        self.start = start
        self.fullAt = fullAt
        self.span = span
    }

    /// g(t) for `rows` rows over `total` = T steps (or rounds), in 1...rows (0 when
    /// `rows` is 0). O(1).
    public func visibleRows(at t: Int, of total: Int, rows: Int) -> Int {
        guard rows > 0 else { return 0 }
        let n = Double(rows)
        let x = Double(t) / (fullAt * Double(max(total, 1)))
        let grown: Double
        switch function {
        case .linear: grown = n * (1 - start) * x
        case .quadratic: grown = n * (1 - start) * x * x
        case .root: grown = n * (1 - start) * x.squareRoot()
        case .exponential: grown = n * (1 - start) * (exp(10 * x) - 1) / (exp(10) - 1)
        case .logarithmic: grown = n * (1 - start) * (1 + 0.1 * log(x + exp(-10)))
        case .step: grown = n * x.rounded(.down)
        }
        let visible = n * start + grown
        guard visible.isFinite, visible < n else { return rows }
        return max(1, Int(visible))
    }
}

extension LocalTraining {
    /// These settings for a task that starts from model version `round`: with pacing
    /// over rounds, the pacing's current round is `round` (at most the last round);
    /// otherwise the settings unchanged.
    public func pacedAt(round: Int) -> LocalTraining {
        guard var ordering, case let .rounds(_, total) = ordering.pacing.span else { return self }
        ordering.pacing.span = .rounds(current: min(max(round, 0), total - 1), total: total)
        var settings = self
        settings.ordering = ordering
        return settings
    }
}
