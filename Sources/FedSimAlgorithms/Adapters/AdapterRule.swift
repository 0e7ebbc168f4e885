/// How a federated run trains the low-rank adapters of a LoRA model (`server.adapter`)
/// and what the server does with them. Every rule averages what the clients train, as
/// the server's algorithm weighs their updates; none ever changes a frozen base weight.
public enum AdapterRule: String, Sendable, CaseIterable {
    /// Clients train `A` and `B`; the server averages each. The product of the averages
    /// is not the average of the products, `mean(B) mean(A) != mean(B A)`: the known
    /// inexactness of federated LoRA.
    case lora
    /// FFA-LoRA (Sun et al., ICLR 2024): `A` stays at its random initialization and
    /// clients train and send `B` only, so the average of `B A` is exact.
    case ffaLora = "ffa_lora"
    /// FedSVD (Lee et al., 2025): as FFA-LoRA, and every `server.svd_period` steps the
    /// server re-factorizes `B A` by SVD (`FedSVD.refactorize`), so `A` has orthonormal
    /// rows and adapts to the data; the new `A` goes out with the next model.
    case fedsvd

    /// Whether clients train `A` as well as `B`.
    public var trainsFactorA: Bool { self == .lora }
}
