import Foundation

/// What a report's charts put along x (`fedsim report --x`): virtual time, aggregation
/// steps (server runs only), or communication: the bytes a server run sent up and down,
/// the edge exchanges of a decentralized run.
public enum ChartAxis: String, CaseIterable, Sendable {
    case time, steps, communication
}

/// One chart of a report page: one measure against x, a line per group of runs (its mean
/// over the runs, on a band from their minimum to their maximum when the group has more
/// than one run), with ticks and labels on both axes and a legend below the plot. x runs
/// from 0 to the largest x drawn, y over the values drawn.
public struct LineChart: Sendable {
    public enum Scale: Sendable {
        case linear
        /// Powers of ten equally spaced, for measures that fall by orders of magnitude.
        case logarithmic
    }

    /// The measure, e.g. "test loss"; with spaces as underscores, its name in the CSV.
    public var measure: String
    public var x: ChartAxis
    /// What x counts, in the heading and under the axis: "virtual time", "communications".
    public var xTitle: String
    public var yScale: Scale
    /// One curve per group of runs, in legend order.
    public var curves: [GroupCurve]

    public init(measure: String, x: ChartAxis, xTitle: String, yScale: Scale, curves: [GroupCurve]) {
        self.measure = measure
        self.x = x
        self.xTitle = xTitle
        self.yScale = yScale
        self.curves = curves
    }

    /// Whether some curve has a point the scale can draw.
    var hasPoints: Bool {
        curves.contains { $0.points.contains { yScale.position($0.mean) != nil } }
    }

    // The plot area: x from 80 to 624, y from 16 to 240; labels and legend around it.
    private static let width = 640.0, left = 80.0, right = 16.0, top = 16.0, plotHeight = 224.0
    private static let legendRow = 16.0

    /// The heading and the SVG.
    var html: String {
        let (left, top) = (Self.left, Self.top)
        let plotWidth = Self.width - left - Self.right, bottom = top + Self.plotHeight
        let drawn = curves.map { curve in
            curve.points.compactMap { point -> (x: Double, mean: Double, low: Double, high: Double)? in
                guard let mean = yScale.position(point.mean), let low = yScale.position(point.min),
                      let high = yScale.position(point.max) else { return nil }
                return (point.x, mean, low, high)
            }
        }
        let points = drawn.flatMap { $0 }
        let maxX = max(points.map(\.x).max() ?? 1, 1e-9)
        var (low, high) = (points.map(\.low).min() ?? 0, points.map(\.high).max() ?? 1)
        if high - low < 1e-12 {
            let pad = yScale == .logarithmic ? 0.5 : max(abs(low) * 0.1, 1e-9)
            (low, high) = (low - pad, high + pad)
        }
        func x(_ value: Double) -> String { ReportText.fixed(left + value / maxX * plotWidth, 1) }
        func y(_ position: Double) -> String { ReportText.fixed(bottom - (position - low) / (high - low) * Self.plotHeight, 1) }

        var svg: [String] = []
        for tick in AxisTick.ticks(from: 0, to: maxX, scale: .linear) {
            svg.append("<line x1=\"\(x(tick.position))\" y1=\"\(top)\" x2=\"\(x(tick.position))\" y2=\"\(bottom + 5)\" "
                       + "stroke=\"#ddd\"/>")
            svg.append("<text x=\"\(x(tick.position))\" y=\"\(bottom + 18)\" text-anchor=\"middle\">\(tick.label)</text>")
        }
        for tick in AxisTick.ticks(from: low, to: high, scale: yScale) {
            svg.append("<line x1=\"\(left - 5)\" y1=\"\(y(tick.position))\" x2=\"\(left + plotWidth)\" y2=\"\(y(tick.position))\" "
                       + "stroke=\"#ddd\"/>")
            svg.append("<text x=\"\(left - 8)\" y=\"\(y(tick.position))\" text-anchor=\"end\" dominant-baseline=\"middle\">"
                       + "\(tick.label)</text>")
        }
        svg.append("<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(Self.plotHeight)\" "
                   + "fill=\"none\" stroke=\"#999\"/>")
        svg.append("<text class=\"x-label\" x=\"\(ReportText.fixed(left + plotWidth / 2, 1))\" y=\"\(bottom + 36)\" "
                   + "text-anchor=\"middle\">\(ReportText.escaped(xLabel))</text>")
        svg.append("<text class=\"y-label\" transform=\"rotate(-90)\" x=\"\(-(top + Self.plotHeight / 2))\" y=\"14\" "
                   + "text-anchor=\"middle\">\(ReportText.escaped(measure + (yScale == .logarithmic ? " (log scale)" : "")))</text>")
        for (index, curve) in drawn.enumerated() where curves[index].runs > 1 && !curve.isEmpty {
            let band = curve.map { "\(x($0.x)),\(y($0.high))" } + curve.reversed().map { "\(x($0.x)),\(y($0.low))" }
            svg.append("<polygon class=\"band\" fill=\"\(Self.color(index))\" fill-opacity=\"0.2\" stroke=\"none\" "
                       + "points=\"\(band.joined(separator: " "))\"/>")
        }
        for (index, curve) in drawn.enumerated() {
            let path = curve.map { "\(x($0.x)),\(y($0.mean))" }.joined(separator: " ")
            svg.append("<polyline fill=\"none\" stroke=\"\(Self.color(index))\" stroke-width=\"1.5\" points=\"\(path)\"/>")
        }
        let legendTop = bottom + 52
        var legend = curves.enumerated().map { index, curve in
            let row = legendTop + Double(index) * Self.legendRow
            return "<rect x=\"\(left)\" y=\"\(row - 9)\" width=\"10\" height=\"10\" fill=\"\(Self.color(index))\"/>"
                + "<text x=\"\(left + 16)\" y=\"\(row)\">\(ReportText.escaped(curve.name))</text>"
        }
        if curves.contains(where: { $0.runs > 1 }) {
            legend.append("<text x=\"\(left)\" y=\"\(legendTop + Double(curves.count) * Self.legendRow)\" fill=\"#666\">"
                          + "lines: mean over a group's seeds; shaded: their minimum to maximum</text>")
        }
        let height = legendTop + Double(legend.count) * Self.legendRow
        return """
            <h2>\(ReportText.escaped(measure)) against \(ReportText.escaped(xTitle))</h2>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(height))" \
            font-family="sans-serif" font-size="11">
            \(svg.joined(separator: "\n"))
            <g class="legend">
            \(legend.joined(separator: "\n"))
            </g>
            </svg>
            """
    }

    /// Under the x axis: the title, with the unit of virtual time.
    private var xLabel: String { x == .time ? "\(xTitle) (s)" : xTitle }

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// Curve `index`'s color, in the plot and the legend alike.
    static func color(_ index: Int) -> String { palette[index % palette.count] }
}

extension LineChart.Scale {
    /// Where `value` sits on the scale (its log10 on a logarithmic one); nil if it cannot be drawn.
    func position(_ value: Double) -> Double? {
        switch self {
        case .linear: return value.isFinite ? value : nil
        case .logarithmic: return value.isFinite && value > 0 ? log10(value) : nil
        }
    }
}

/// A tick of a chart's axis: on a linear scale one of about five round values (1, 2 or
/// 5 times a power of ten apart) labelled with the digits that step needs; on a
/// logarithmic one a power of ten in range (every k-th when more than six are), or a
/// round value when fewer than two powers fall in range.
struct AxisTick: Equatable {
    /// On the scale (log10 of the value on a logarithmic one).
    let position: Double
    let label: String

    /// The ticks of an axis over the positions `low...high`.
    static func ticks(from low: Double, to high: Double, scale: LineChart.Scale) -> [AxisTick] {
        switch scale {
        case .linear:
            return roundValues(low, high).map { AxisTick(position: $0.value, label: $0.label) }
        case .logarithmic:
            let (first, last) = (Int(ceil(low - 1e-9)), Int(floor(high + 1e-9)))
            guard last - first >= 1 else {
                return roundValues(pow(10, low), pow(10, high)).filter { $0.value > 0 }.map {
                    AxisTick(position: log10($0.value), label: ReportText.scientific($0.value))
                }
            }
            let every = (last - first + 6) / 6
            return stride(from: first, through: last, by: every).map {
                AxisTick(position: Double($0), label: ReportText.scientific(pow(10, Double($0))))
            }
        }
    }

    /// About five round values from `low` to `high` and their labels.
    private static func roundValues(_ low: Double, _ high: Double) -> [(value: Double, label: String)] {
        let raw = (high - low) / 5
        guard raw > 0, raw.isFinite else { return [] }
        let power = pow(10, floor(log10(raw)))
        let step = power * [1.0, 2, 5, 10].first { raw / power <= $0 * 1.5 }!
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        let multiples = stride(from: (low / step - 1e-9).rounded(.up), through: (high / step + 1e-9).rounded(.down), by: 1)
        return multiples.map { multiple in
            let value = multiple == 0 ? 0 : multiple * step
            return (value, abs(value) >= 1e6 ? ReportText.scientific(value) : ReportText.fixed(value, decimals))
        }
    }
}
