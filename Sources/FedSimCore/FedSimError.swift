/// An error fedsim reports to its user. Its description says what went wrong and where
/// (the file and line, the field, the peer or the step) in plain words, without Swift
/// type names, so one printer serves every command. Every error type of fedsim's
/// modules conforms.
public protocol FedSimError: Error, CustomStringConvertible {}
