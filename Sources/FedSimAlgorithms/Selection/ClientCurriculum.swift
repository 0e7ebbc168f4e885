import FedSimCore

/// Client selection as a curriculum over clients, after the client scheduler of the
/// authors' code for "When Do Curricula Work in Federated Learning?" (Vahidian et al.,
/// ICCV 2023; github.com/sreevatsank1999/Curriculum-FL, `ClientScheduler`): every client
/// reports its mean loss under the global model; the clients are ranked by it (`order`:
/// easiest first, hardest first, or at random); the pool is the first g(n) of the
/// ranking, g being the `pacing` function over N = the clients and T = rounds * k client
/// updates, n the client updates aggregated so far; the pool is shuffled and handed out
/// k clients a round, and the clients are scored and ranked afresh once it is used up.
public struct ClientCurriculum: Equatable, Codable, Sendable {
    public var order: DataOrdering.Order
    /// g over the client updates: b (`start`) the fraction of the clients in the first
    /// pool, a (`fullAt`) the fraction of the run's updates after which it holds them all.
    public var pacing: Pacing
    /// The run's rounds, for T (`server.rounds`, which the scenario fills in).
    public var rounds: Int

    /// The pool's clients not yet handed out, in hand-out order.
    private var pool: [Int] = []
    /// n: client updates aggregated so far.
    private var updates = 0
    /// The losses the pool was ranked by, nil where not finite (empty for a random order).
    private var poolLosses: [Double?] = []

    public init(order: DataOrdering.Order, function: Pacing.Function = .linear, start: Double = 0.2,
                fullAt: Double = 0.8, rounds: Int) {
        self.order = order
        pacing = Pacing(function: function, start: start, fullAt: fullAt)
        self.rounds = rounds
    }

    /// Counts `count` aggregated client updates.
    mutating func aggregated(_ count: Int) {
        updates += count
    }

    /// The next `count` clients among `online`: from the pool, refilled first (scoring
    /// every client with `scheduler.clientLosses` unless the order is random) when fewer
    /// than `count` remain. Draws from `stream`.
    mutating func choose(_ count: Int, of online: [Int], stream: inout RandomStream, scheduler: Scheduler)
        -> [(client: Int, loss: Double?)] {
        if pool.count < count {
            let clients = scheduler.clientCount
            var losses: [Double] = []
            let ranking = DataOrdering(order: order).ranking(rows: clients, losses: {
                losses = ClientSelection.clientLosses(scheduler)
                return losses
            }, rng: &stream)
            poolLosses = losses.map { $0.isFinite ? $0 : nil }
            let size = max(count, pacing.visibleRows(at: updates, of: rounds * count, rows: clients))
            pool = Array(ranking.prefix(size))
            stream.shuffle(&pool)
        }
        let isOnline = Set(online)
        let chosen = Array(pool.filter { isOnline.contains($0) }.prefix(count))
        pool.removeAll { chosen.contains($0) }
        return chosen.map { ($0, poolLosses.isEmpty ? nil : poolLosses[$0]) }
    }
}
