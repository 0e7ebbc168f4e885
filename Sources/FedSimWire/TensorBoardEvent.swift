import FedSimProto

/// One event of a TensorBoard event file: an `Event` of TensorFlow's event.proto, with
/// the fields Protos/tensorboard.proto keeps. Its bytes are what a TFRecord of the file
/// holds.
public struct TensorBoardEvent: Equatable, Sendable {
    /// A number TensorBoard plots under `tag` (a `Summary.Value` with `simple_value`).
    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var value: Float

        public init(tag: String, value: Float) {
            self.tag = tag
            self.value = value
        }
    }

    /// What an event holds: the file's version (its first event, `brain.Event:2`) or a
    /// `Summary` of scalars.
    public enum Content: Equatable, Sendable {
        case fileVersion(String)
        case scalars([Scalar])
    }

    /// Seconds since 1970.
    public var wallTime: Double
    public var step: Int64
    public var content: Content

    public init(wallTime: Double, step: Int64, content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    /// The serialized `Event`: `wall_time` (1, double), `step` (2, int64, left out when 0),
    /// then `file_version` (3) or `summary` (5) whose values each hold `tag` (1) and
    /// `simple_value` (2, float; written even when 0). O(n) in the scalars and their tags.
    public var encoded: [UInt8] {
        let scratch = PackScratch()
        var event = Tensorboard__Event()
        tensorboard__event__init(&event)
        event.wall_time = wallTime
        event.step = step
        switch content {
        case .fileVersion(let version):
            event.what_case = TENSORBOARD__EVENT__WHAT_FILE_VERSION
            event.file_version = scratch.cString(version)
        case .scalars(let scalars):
            let values = scalars.map { scalar in
                var value = Tensorboard__Summary__Value()
                tensorboard__summary__value__init(&value)
                value.tag = scratch.cString(scalar.tag)
                value.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE
                value.simple_value = scalar.value
                return scratch.store(value)
            }
            var summary = Tensorboard__Summary()
            tensorboard__summary__init(&summary)
            summary.n_value = values.count
            summary.value = scratch.copy(values.map(Optional.some))
            event.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY
            event.summary = scratch.store(summary)
        }
        return withExtendedLifetime(scratch) {
            withUnsafePointer(to: &event) { event in
                [UInt8](packing: tensorboard__event__get_packed_size(event)) { bytes in
                    guard let start = bytes.baseAddress else { return 0 }
                    return tensorboard__event__pack(event, start.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
    }
}
