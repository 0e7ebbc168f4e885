import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a request to stop that a run checks between actions
/// and while it waits (`RunOptions.interruption`), so it can stop its workers, save a
/// checkpoint and say "interrupted" in its summary. A second signal ends the process at
/// once, with the usual status 128 + signal.
public final class SignalWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var caught: Int32?
    private var sources: [DispatchSourceSignal] = []

    /// Watches SIGINT and SIGTERM, calling `notice` once, with the first one caught.
    public init(notice: @escaping @Sendable (Int32) -> Void = { _ in }) {
        let queue = DispatchQueue(label: "fedsim.signals")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let first = self.caught == nil
                if first { self.caught = number }
                self.lock.unlock()
                if first {
                    notice(number)
                } else {
                    exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal caught, nil before any.
    public var caughtSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return caught
    }
}
