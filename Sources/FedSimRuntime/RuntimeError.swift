/// A failure the runtime reports to the user; the message says what and where.
public struct RuntimeError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
