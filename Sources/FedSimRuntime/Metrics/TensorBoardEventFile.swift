import FedSimCore
import FedSimWire
import Foundation

/// A run folder's TensorBoard event file, `events.out.tfevents.<unix seconds>.<host name>`,
/// which `tensorboard --logdir runs/` reads: `TFRecord`s of `TensorBoardEvent`s, first
/// the file version `brain.Event:2`, then one event per metrics.jsonl record holding a
/// float32 scalar for each of the record's numeric fields (`wall_seconds` too), tagged
/// with its key; null fields are left out. Each event's `wall_time` is when it was
/// written: the real time is in this file's name and events only, never in metrics.jsonl.
final class TensorBoardEventFile {
    /// How an event file's name begins; TensorBoard reads a folder's files in name order.
    static let namePrefix = "events.out.tfevents."
    static let fileVersion = "brain.Event:2"

    let url: URL
    private let handle: FileHandle

    /// Creates an event file in `folder` and writes its file version. A file of the same
    /// name (an earlier part of the run, begun in the same second) is kept, and this one
    /// named after it with `.2`, `.3`, ... appended.
    init(in folder: String) throws {
        let now = Date().timeIntervalSince1970
        let name = Self.namePrefix + "\(Int(now)).\(ProcessInfo.processInfo.hostName)"
        let folderURL = URL(fileURLWithPath: folder)
        var url = folderURL.appendingPathComponent(name)
        var part = 1
        while FileManager.default.fileExists(atPath: url.path) {
            part += 1
            url = folderURL.appendingPathComponent("\(name).\(part)")
        }
        try Data().write(to: url)
        self.url = url
        handle = try FileHandle(forWritingTo: url)
        try write(TensorBoardEvent(wallTime: now, step: 0, content: .fileVersion(Self.fileVersion)))
    }

    deinit {
        try? handle.close()
    }

    /// The names of the event files in `folder`, in name order.
    static func names(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(namePrefix) }.sorted()
    }

    /// Writes the event of the metrics record `record` at `step`; O(n) in its fields.
    func append(_ record: JSONObject, step: Int) throws {
        let scalars = record.numbers.map { TensorBoardEvent.Scalar(tag: $0.key, value: Float($0.value)) }
        try write(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(step), content: .scalars(scalars)))
    }

    private func write(_ event: TensorBoardEvent) throws {
        try handle.write(contentsOf: TFRecord.framed(event.encoded))
    }
}
