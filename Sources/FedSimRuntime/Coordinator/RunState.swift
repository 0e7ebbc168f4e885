import FedSimAlgorithms
import Foundation

/// A run's whole state between two of its actions: everything the rest of the run
/// depends on besides its inputs (the scenario, its data and the seed).
///
/// - `schedule`: the server strategy, the virtual clock, the model version, each
///   client's job count, the event queue and the actions not yet carried out;
/// - `models`: the current global model and every older version a running job trains from;
/// - `pipeline`: what the aggregation stages carry from step to step (the server
///   optimizer's moments, centered clipping's center);
/// - `privacy`: the privacy accountant, for private runs;
/// - `jobs`: the jobs running, dropped while running, or received and awaiting their step;
/// - `recorder`: the client totals, the latest evaluation and the downloads not yet counted;
/// - `streamedStep`: in a state saved while a step waits for its updates, the weighted
///   sum of those already added (nil otherwise, and whenever the step's updates are held
///   whole in `jobs`).
///
/// No random stream has a position to save: every draw comes from a stream keyed by
/// (seed, purpose, client, job or step number), and those numbers are in the state.
/// Which worker hosts which client is not part of it either: results never depend on it.
public struct RunState: Codable, Equatable, Sendable {
    public var schedule: ScheduleState
    var models: ModelVersions
    var pipeline: [String: StageState]
    var privacy: PrivacyLedger.State?
    var jobs: JobTable
    var recorder: RunRecorder.State
    var streamedStep: StreamedStep?

    /// The state as JSON, keys sorted, so the same state always gives the same bytes.
    /// Floats and doubles are written in their shortest exact form (NaN and infinities
    /// as strings), so `init(json:)` gives back the same state.
    public func json() throws -> Data {
        try Self.encoder.encode(self)
    }

    /// The state `json()` wrote.
    public init(json data: Data) throws {
        self = try Self.decoder.decode(RunState.self, from: data)
    }

    /// Keys sorted; non-finite numbers as "inf", "-inf" and "nan".
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// Reads what `encoder` writes.
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    init(schedule: ScheduleState, models: ModelVersions, pipeline: [String: StageState],
         privacy: PrivacyLedger.State?, jobs: JobTable, recorder: RunRecorder.State, streamedStep: StreamedStep? = nil) {
        self.schedule = schedule
        self.models = models
        self.pipeline = pipeline
        self.privacy = privacy
        self.jobs = jobs
        self.recorder = recorder
        self.streamedStep = streamedStep
    }
}
