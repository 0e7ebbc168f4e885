import Foundation

/// The most resident memory this process has used since it started its program:
/// VmHWM of /proc/self/status. (`getrusage`'s maxrss is no good for a spawned worker:
/// Linux carries it over from the parent's image at exec.)
public enum PeakMemory {
    /// Bytes, or nil where /proc does not say.
    public static func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    /// How a worker's log states it: "peak memory N MB".
    static func logged() -> String {
        residentBytes().map { "peak memory \($0 >> 20) MB" } ?? "peak memory unknown"
    }

    /// The largest peak stated by the worker logs in `folder` (a run folder's `logs`).
    public static func largestLogged(inLogsOf folder: String) -> Int? {
        let logs = folder + "/logs"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return names.filter { $0.hasPrefix("worker-") }.compactMap { name -> Int? in
            guard let text = try? String(contentsOfFile: logs + "/" + name, encoding: .utf8),
                  let range = text.range(of: "peak memory ", options: .backwards),
                  let megabytes = Int(text[range.upperBound...].prefix { $0.isNumber }) else { return nil }
            return megabytes << 20
        }.max()
    }
}
