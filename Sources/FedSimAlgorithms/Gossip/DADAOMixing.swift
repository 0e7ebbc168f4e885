import Foundation

/// The linear ODE a DADAO node's state follows between its events, dv/dt = A v, the
/// same for every coordinate v = (x, x~, y, y~, z, z~) of its six vectors:
///
///     dx = eta (x~ - x)          dx~ = eta~ (x - x~)
///     dy = alpha (y~ - y)        dy~ = -theta (nu x~ + y + z)
///     dz = alpha (z~ - z)        dz~ = alpha~ (z - z~)
///
/// and its propagator exp(A t), in closed form.
///
/// **Closed form.** In the pairs X = (x, x~), Y = (y, y~), Z = (z, z~), A is block
/// triangular: X' = B_x X, Z' = B_z Z, Y' = B_y Y + C_x X + C_z Z with
/// B_x = [[-eta, eta], [eta~, -eta~]], B_z = [[-alpha, alpha], [alpha~, -alpha~]],
/// B_y = [[-alpha, alpha], [-theta, 0]], C_x X = (0, -theta nu x~), C_z Z = (0, -theta z).
/// - B_x = -r_x (I - P_x) with r_x = eta + eta~ and P_x = (1, 1)^T (eta~, eta) / r_x, the
///   projector on its kernel, so exp(B_x t) = P_x + e^(-r_x t) (I - P_x); likewise Z with
///   r_z = alpha + alpha~.
/// - B_y has the eigenvalues -alpha/2 +- i omega, omega = sqrt(alpha theta - alpha^2/4),
///   and N = B_y + (alpha/2) I squares to -omega^2 I, so
///   E_y(t) = exp(B_y t) = e^(-alpha t/2) (cos(omega t) I + sin(omega t) / omega N).
/// - By Duhamel, Y(t) = E_y(t) Y(0) + int_0^t E_y(t - s) (C_x X(s) + C_z Z(s)) ds, and for
///   real r, int_0^t E_y(t - s) e^(-r s) ds = K_r (E_y(t) - e^(-r t) I) with
///   K_r = (B_y + r I)^-1 (invertible: B_y has no real eigenvalue), which commutes with
///   E_y. So the block from X to Y is
///   E_y(t) (S_x + D_x) - S_x - e^(-r_x t) D_x, with S_x = K_0 C_x P_x and
///   D_x = K_(r_x) C_x (I - P_x), and likewise from Z.
///
/// This needs alpha < 4 theta, which DADAO's constants meet whenever mu <= L
/// (alpha / theta = nu / (2 L) <= 1/4). A propagator costs three exponentials, a sine,
/// a cosine and about a hundred flops, whatever t: no scaling and squaring.
///
/// **Accuracy.** Against exp(A t) in 60-digit arithmetic (mu = 1, L from 1 to 1e4, t from
/// 1.4e-9 to 1.4e4 on a half-decade grid) every entry is off by at most
/// 1.8 * 2^-52 * (1 + omega t) times the largest entry (omega is 0.34 to 0.36). The factor
/// 1 + omega t is the phase omega t's own rounding: exp(A t) moves as much when t moves
/// by one ulp, so no evaluation at a t held in a Double does better.
public struct DADAOMixing: Equatable, Sendable {
    /// A, row by row over (x, x~, y, y~, z, z~).
    public let matrix: [[Double]]
    private let rateX: Double
    private let rateZ: Double
    private let halfAlpha: Double
    private let omega: Double
    private let stillX: Matrix2
    private let stillZ: Matrix2
    private let oscillating: Matrix2
    private let yFromStillX: Matrix2
    private let yFromDecayingX: Matrix2
    private let yFromStillZ: Matrix2
    private let yFromDecayingZ: Matrix2

    init(eta: Double, etaTilde: Double, alpha: Double, alphaTilde: Double, theta: Double, nu: Double) {
        matrix = [
            [-eta, eta, 0, 0, 0, 0],
            [etaTilde, -etaTilde, 0, 0, 0, 0],
            [0, 0, -alpha, alpha, 0, 0],
            [0, -theta * nu, -theta, 0, -theta, 0],
            [0, 0, 0, 0, -alpha, alpha],
            [0, 0, 0, 0, alphaTilde, -alphaTilde],
        ]
        let omegaSquared = alpha * theta - alpha * alpha / 4
        precondition(omegaSquared > 0, "DADAO's mixing needs alpha < 4 theta")
        rateX = eta + etaTilde
        rateZ = alpha + alphaTilde
        halfAlpha = alpha / 2
        omega = omegaSquared.squareRoot()
        stillX = Matrix2(etaTilde, eta, etaTilde, eta).scaled(by: 1 / rateX)
        stillZ = Matrix2(alphaTilde, alpha, alphaTilde, alpha).scaled(by: 1 / rateZ)
        let yBlock = Matrix2(-alpha, alpha, -theta, 0)
        oscillating = yBlock + Matrix2.identity.scaled(by: halfAlpha)
        let fromX = Matrix2(0, 0, 0, -theta * nu)
        let fromZ = Matrix2(0, 0, -theta, 0)
        let resolvent = { (rate: Double) in (yBlock + Matrix2.identity.scaled(by: rate)).inverse }
        yFromStillX = resolvent(0) * fromX * stillX
        yFromDecayingX = resolvent(rateX) * fromX * (.identity - stillX)
        yFromStillZ = resolvent(0) * fromZ * stillZ
        yFromDecayingZ = resolvent(rateZ) * fromZ * (.identity - stillZ)
    }

    /// exp(A t), for t >= 0.
    public func propagator(over t: Double) -> DADAOPropagator {
        precondition(t >= 0, "DADAO mixes forward in time, got a step of \(t)")
        let decayX = exp(-rateX * t)
        let decayZ = exp(-rateZ * t)
        let angle = omega * t
        let envelope = exp(-halfAlpha * t)
        let yy = Matrix2.identity.scaled(by: envelope * cos(angle)) + oscillating.scaled(by: envelope * sin(angle) / omega)
        return DADAOPropagator(
            xx: stillX + (.identity - stillX).scaled(by: decayX),
            yx: yy * (yFromStillX + yFromDecayingX) - yFromStillX - yFromDecayingX.scaled(by: decayX),
            yy: yy,
            yz: yy * (yFromStillZ + yFromDecayingZ) - yFromStillZ - yFromDecayingZ.scaled(by: decayZ),
            zz: stillZ + (.identity - stillZ).scaled(by: decayZ))
    }
}

/// exp(A t) of `DADAOMixing`, held as its five nonzero 2 x 2 blocks over the pairs
/// X = (x, x~), Y = (y, y~), Z = (z, z~): X <- xx X, Z <- zz Z, Y <- yx X + yy Y + yz Z.
public struct DADAOPropagator: Equatable, Sendable {
    let xx: Matrix2
    let yx: Matrix2
    let yy: Matrix2
    let yz: Matrix2
    let zz: Matrix2

    /// The 6 x 6 matrix, row by row over (x, x~, y, y~, z, z~).
    public var matrix: [[Double]] {
        [
            [xx.a, xx.b, 0, 0, 0, 0],
            [xx.c, xx.d, 0, 0, 0, 0],
            [yx.a, yx.b, yy.a, yy.b, yz.a, yz.b],
            [yx.c, yx.d, yy.c, yy.d, yz.c, yz.d],
            [0, 0, 0, 0, zz.a, zz.b],
            [0, 0, 0, 0, zz.c, zz.d],
        ]
    }
}

/// A 2 x 2 matrix [[a, b], [c, d]].
struct Matrix2: Equatable, Sendable {
    var a, b, c, d: Double

    init(_ a: Double, _ b: Double, _ c: Double, _ d: Double) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
    }

    static let identity = Matrix2(1, 0, 0, 1)

    var inverse: Matrix2 {
        let determinant = a * d - b * c
        return Matrix2(d, -b, -c, a).scaled(by: 1 / determinant)
    }

    func scaled(by factor: Double) -> Matrix2 {
        Matrix2(factor * a, factor * b, factor * c, factor * d)
    }

    static func + (lhs: Matrix2, rhs: Matrix2) -> Matrix2 {
        Matrix2(lhs.a + rhs.a, lhs.b + rhs.b, lhs.c + rhs.c, lhs.d + rhs.d)
    }

    static func - (lhs: Matrix2, rhs: Matrix2) -> Matrix2 {
        Matrix2(lhs.a - rhs.a, lhs.b - rhs.b, lhs.c - rhs.c, lhs.d - rhs.d)
    }

    static func * (lhs: Matrix2, rhs: Matrix2) -> Matrix2 {
        Matrix2(lhs.a * rhs.a + lhs.b * rhs.c, lhs.a * rhs.b + lhs.b * rhs.d,
                lhs.c * rhs.a + lhs.d * rhs.c, lhs.c * rhs.b + lhs.d * rhs.d)
    }
}
