/// The constants of DADAO (Nabli and Oyallon, ICML 2023) for mu-strongly convex,
/// L-smooth local functions on a graph with constants chi1 and chi2 (ALGORITHMS.md
/// section 5: chi1 = 1 / lambda_min+(L_norm), chi2 the largest (1/2) (e_i - e_j)^T
/// L_norm^+ (e_i - e_j) over edges, L_norm the graph's Laplacian over |E|).
///
/// With nu = mu / 2:
/// - the mixing ODE: alpha = (1/4) sqrt(nu / L), alpha~ = (1/8) sqrt(nu / L),
///   eta = eta~ = (1/8) sqrt(nu / L), theta = (1/2) sqrt(L / nu);
/// - the gradient jump: gamma = 1 / (4 L), gamma~ = 1 / (4 sqrt(L nu)),
///   delta = (1/4) sqrt(nu / L), delta~ = 1;
/// - the communication jump: beta = 1/2, beta~ = 2 chi1* sqrt(L / nu);
/// - the events: gradient events at rate 1 per node (n in all), communication events at
///   total rate lambda_mix = sqrt(2 chi1 chi2) spread uniformly over the edges, and
///   chi1* = chi1 / lambda_mix, the chi1 of the Laplacian the communication events
///   realize (as the authors' run_optimizers.py computes it).
public struct DADAOConstants: Equatable, Sendable {
    /// mu, the strong convexity of every local function.
    public let strongConvexity: Double
    /// L, the smoothness of every local function.
    public let smoothness: Double
    public let chi1: Double
    public let chi2: Double

    public let nu: Double
    public let alpha: Double
    public let alphaTilde: Double
    public let eta: Double
    public let etaTilde: Double
    public let theta: Double
    public let gamma: Double
    public let gammaTilde: Double
    public let delta: Double
    public let deltaTilde: Double
    public let beta: Double
    public let betaTilde: Double
    /// The total rate of communication events.
    public let lambdaMix: Double
    public let chi1Star: Double
    /// The ODE the node state follows between events, and its propagator.
    public let mixing: DADAOMixing

    /// Gradient events per node per unit of time.
    public static let gradientRatePerNode = 1.0

    /// - Throws: `GossipError` unless mu, L, chi1 and chi2 are finite and > 0 and mu <= L.
    public init(strongConvexity mu: Double, smoothness L: Double, chi1: Double, chi2: Double) throws {
        try GossipError.requirePositive(mu, "DADAO's strong convexity mu")
        try GossipError.requirePositive(L, "DADAO's smoothness L")
        try GossipError.requirePositive(chi1, "the graph's chi1")
        try GossipError.requirePositive(chi2, "the graph's chi2")
        guard mu <= L else { throw GossipError.strongConvexityAboveSmoothness(mu: mu, smoothness: L) }
        strongConvexity = mu
        smoothness = L
        self.chi1 = chi1
        self.chi2 = chi2
        nu = mu / 2
        let root = (nu / L).squareRoot()
        alpha = root / 4
        alphaTilde = root / 8
        eta = root / 8
        etaTilde = eta
        theta = (L / nu).squareRoot() / 2
        gamma = 1 / (4 * L)
        gammaTilde = 1 / (4 * (L * nu).squareRoot())
        delta = root / 4
        deltaTilde = 1
        beta = 1.0 / 2
        lambdaMix = (2 * chi1 * chi2).squareRoot()
        chi1Star = chi1 / lambdaMix
        betaTilde = 2 * chi1Star * (L / nu).squareRoot()
        mixing = DADAOMixing(
            eta: eta, etaTilde: etaTilde, alpha: alpha, alphaTilde: alphaTilde, theta: theta, nu: nu)
    }
}
