/// Each client's mean training loss under the current global model, as the clients
/// would report it when the server asks them: what selection rules that score clients
/// read (`Scheduler.clientLosses`). The runtime computes the answers exactly as the
/// clients would, on the same rows and model, and charges no virtual time for them.
public protocol ClientLosses: AnyObject, Sendable {
    /// Client i's mean loss over its training rows under model `version`, for every
    /// client; `version` is the current global model's. O(all clients' rows) forward
    /// passes the first time a version is asked, nothing after.
    func losses(atVersion version: Int) -> [Double]
}
