import FedSimCore

extension Pacing {
    /// A `pacing` section's `function` (linear), `start` b (0.2) and `full_at` a (0.8),
    /// both in (0, 1], over each task's local steps: what `training.pacing` and a
    /// curriculum selection's `server.pacing` share.
    public static func read(_ section: some SettingsReader) -> Pacing {
        Pacing(function: section.choice("function", default: .linear),
               start: section.number("start", default: 0.2, in: 0...1, excludingLowerBound: true),
               fullAt: section.number("full_at", default: 0.8, in: 0...1, excludingLowerBound: true))
    }
}
