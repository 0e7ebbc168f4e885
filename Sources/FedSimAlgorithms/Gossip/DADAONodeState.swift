/// One DADAO node: its six vectors x, x~, y, y~, z, z~ of length d, the time of its last
/// event, and the rule's constants. Between events the vectors follow `DADAOMixing`'s ODE,
/// applied lazily: each event first mixes the node to the event's time.
///
/// A runtime drives a node with the events of `GossipEvents`, in order:
/// - a gradient event at node i: `gradientStep(at:gradient:)` on node i;
/// - a communication event on edge (i, j): `message(at:)` on both nodes, each sends its
///   message to the other, then `communicate(partnerMessage:)` on both. Between the two
///   halves the node takes no other call. The halves on i and j together are
///   ALGORITHMS.md's rule: with m = (y_i + z_i) - (y_j + z_j), node i's own message less
///   its partner's is m and node j's is exactly -m, so z_i -= beta m, z_j += beta m,
///   z~_i -= beta~ m, z~_j += beta~ m, and sum_i z_i, sum_i z~_i stay put (up to rounding).
///   This needs each message to arrive as sent, all 64 bits of every entry: a message
///   rounded on its way (to Float, say) makes the two halves differ by that rounding.
///
/// Each event costs O(d) (20 d multiply-adds for the mixing) plus the gradient.
public struct DADAONodeState: Equatable, Sendable {
    public let constants: DADAOConstants
    public private(set) var x: [Double]
    public private(set) var xTilde: [Double]
    public private(set) var y: [Double]
    public private(set) var yTilde: [Double]
    public private(set) var z: [Double]
    public private(set) var zTilde: [Double]
    /// t_i, the time of the node's last event, to which its vectors are mixed.
    public private(set) var time: Double
    /// y + z as sent by `message(at:)`, until `communicate(partnerMessage:)` uses it.
    private var sentMessage: [Double]?

    /// A node at time 0 with x = `x` and the other five vectors 0.
    public init(x: [Double], constants: DADAOConstants) {
        let zero = [Double](repeating: 0, count: x.count)
        self.init(x: x, xTilde: zero, y: zero, yTilde: zero, z: zero, zTilde: zero, time: 0, constants: constants)
    }

    /// A node with the given vectors (all of one length), last touched at `time`.
    public init(
        x: [Double], xTilde: [Double], y: [Double], yTilde: [Double], z: [Double], zTilde: [Double],
        time: Double, constants: DADAOConstants
    ) {
        precondition(
            [xTilde, y, yTilde, z, zTilde].allSatisfy { $0.count == x.count },
            "a DADAO node's six vectors must have one length")
        (self.x, self.xTilde, self.y, self.yTilde, self.z, self.zTilde) = (x, xTilde, y, yTilde, z, zTilde)
        self.time = time
        self.constants = constants
    }

    /// Applies exp(A (t - t_i)) to every coordinate and sets t_i = t. Needs t >= t_i.
    public mutating func mix(to t: Double) {
        precondition(sentMessage == nil, "a DADAO node is between the halves of a communication")
        precondition(t >= time, "a DADAO node cannot mix back from \(time) to \(t)")
        guard t > time else { return }
        let step = constants.mixing.propagator(over: t - time)
        let (xx, yx, yy, yz, zz) = (step.xx, step.yx, step.yy, step.yz, step.zz)
        for k in x.indices {
            let (x0, x1, y0, y1, z0, z1) = (x[k], xTilde[k], y[k], yTilde[k], z[k], zTilde[k])
            x[k] = xx.a * x0 + xx.b * x1
            xTilde[k] = xx.c * x0 + xx.d * x1
            y[k] = yx.a * x0 + yx.b * x1 + yy.a * y0 + yy.b * y1 + yz.a * z0 + yz.b * z1
            yTilde[k] = yx.c * x0 + yx.d * x1 + yy.c * y0 + yy.d * y1 + yz.c * z0 + yz.d * z1
            z[k] = zz.a * z0 + zz.b * z1
            zTilde[k] = zz.c * z0 + zz.d * z1
        }
        time = t
    }

    /// A gradient event at time t: mixes to t, then with
    /// g = grad f_i(x_i) - nu x_i - y~_i takes x -= gamma g, x~ -= gamma~ g,
    /// y~ += (delta + delta~) g. `gradient` returns grad f_i at the x it is given (the
    /// mixed x_i), a vector of length d.
    public mutating func gradientStep(at t: Double, gradient: ([Double]) throws -> [Double]) rethrows {
        mix(to: t)
        let objective = try gradient(x)
        precondition(objective.count == x.count, "the gradient has \(objective.count) entries for \(x.count)")
        let c = constants
        for k in x.indices {
            let g = objective[k] - c.nu * x[k] - yTilde[k]
            x[k] -= c.gamma * g
            xTilde[k] -= c.gammaTilde * g
            yTilde[k] += (c.delta + c.deltaTilde) * g
        }
    }

    /// The first half of a communication event at time t: mixes to t and returns y + z,
    /// the message for the partner.
    public mutating func message(at t: Double) -> [Double] {
        mix(to: t)
        let message = zip(y, z).map { $0 + $1 }
        sentMessage = message
        return message
    }

    /// The second half of a communication event: with m = (y + z) - partnerMessage, the
    /// message this node sent less the partner's, takes z -= beta m and z~ -= beta~ m.
    public mutating func communicate(partnerMessage: [Double]) {
        guard let own = sentMessage else { preconditionFailure("communicate(partnerMessage:) before message(at:)") }
        precondition(partnerMessage.count == own.count, "the partner's message has \(partnerMessage.count) entries for \(own.count)")
        for k in own.indices {
            let m = own[k] - partnerMessage[k]
            z[k] -= constants.beta * m
            zTilde[k] -= constants.betaTilde * m
        }
        sentMessage = nil
    }
}
