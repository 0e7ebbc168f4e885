import CProcessControl
import Foundation

/// A worker process that `fedsim run` spawned dies with it: the kernel sends it SIGTERM
/// when its parent exits, however the parent ends (Ctrl-C, SIGTERM, SIGKILL, a crash).
/// Workers sit in their own process groups, so nothing else would reach them.
public enum ParentDeath {
    /// Asks for SIGTERM when the parent dies and checks that the parent is still
    /// `parent`: if it died before the request, this process was adopted already and
    /// the signal would never come, so it exits at once.
    /// - Throws: `LaunchError.parentGone` when the parent is not `parent` any more, and
    ///   `LaunchError.parentDeathSignal` when the kernel refuses the request.
    public static func follow(parent: Int32) throws {
        guard fedsim_set_parent_death_signal(SIGTERM) == 0 else {
            throw LaunchError.parentDeathSignal(reason: String(cString: strerror(errno)))
        }
        let current = getppid()
        guard current == parent else { throw LaunchError.parentGone(expected: parent, current: current) }
    }
}
