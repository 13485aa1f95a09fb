/// A line chart over categories (days, slots) drawn left to right at even spacing.
///
/// Two y-axis styles: `.grid(lines:)` (a nice upper bound, horizontal grid lines with labels:
/// the dashboard) and `.frame(label:)` (the data maximum, a left and bottom axis labelled 0 and
/// max: the report's small multiples). Nil values break the line; with `shadeGaps` a category
/// where any series is nil is shaded.
public struct LineChart: Sendable {
    public enum YAxis: Sendable {
        case grid(lines: Int)
        case frame(label: @Sendable (Double) -> String)
    }
    public enum XLabels: Sendable {
        /// Up to n labels spread evenly, centred under their points.
        case spread(Int)
        /// The first and last label at the plot's left and right edges.
        case ends
    }

    public var width: Int
    public var height: Int
    public var insets: Insets
    public var yAxis: YAxis
    public var xLabels: XLabels
    public var style: ChartStyle
    public var title: String?
    public var shadeGaps: Bool
    public var id: String?
    public var cssClass: String?
    public var label: String?
    public var namespace: Bool
    /// A fixed top of the y axis (e.g. 100 for % of capacity); nil: from the data.
    public var yMax: Double? = nil
    /// Horizontal reference lines (limits, floors) drawn dashed across the plot with a label.
    public var referenceLines: [ReferenceLine] = []

    public init(width: Int, height: Int, insets: Insets, yAxis: YAxis = .grid(lines: 4), xLabels: XLabels = .spread(8),
                style: ChartStyle = .dashboard, title: String? = nil, shadeGaps: Bool = false, id: String? = nil,
                cssClass: String? = nil, label: String? = nil, namespace: Bool = false) {
        self.width = width; self.height = height; self.insets = insets; self.yAxis = yAxis; self.xLabels = xLabels
        self.style = style; self.title = title; self.shadeGaps = shadeGaps; self.id = id; self.cssClass = cssClass
        self.label = label; self.namespace = namespace
    }

    /// The chart for `series` (each as long as `labels`).
    public func svg(_ series: [ChartSeries], labels: [String]) -> String {
        let n = max(1, labels.count)
        let pw = Double(width) - insets.left - insets.right, ph = Double(height) - insets.top - insets.bottom
        let dataMax = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        var maxV: Double
        switch yAxis {
        case .grid: maxV = ChartScale.niceMax(dataMax)
        case .frame: maxV = dataMax > 0 ? dataMax : 1
        }
        if let yMax, yMax > 0 { maxV = yMax }
        func x(_ i: Int) -> Double { insets.left + (n == 1 ? pw / 2 : pw * Double(i) / Double(n - 1)) }
        func y(_ v: Double) -> Double { insets.top + ph * (1 - v / maxV) }
        var s = SVG(width: width, height: height, id: id, cssClass: cssClass, label: label, namespace: namespace)
        if let title { s.text(title, x: insets.left, y: 14, size: 13, bold: true); s.newline() }
        if shadeGaps {
            let dx = n > 1 ? pw / Double(n - 1) : pw
            for i in 0..<labels.count where series.contains(where: { i < $0.values.count && $0.values[i] == nil }) {
                s.rect(x: x(i) - dx / 2, y: insets.top, width: dx, height: ph, fill: "#eee")
            }
        }
        switch yAxis {
        case .grid(let lines):
            for k in 0...max(1, lines) {
                let v = maxV * Double(k) / Double(max(1, lines))
                s.line(x1: insets.left, y1: y(v), x2: insets.left + pw, y2: y(v), stroke: style.grid)
                s.text(ChartScale.axisLabel(v), x: insets.left - 6, y: y(v) + 4, size: style.fontSize, anchor: .end, fill: style.axisText)
            }
        case .frame(let text):
            s.line(x1: insets.left, y1: insets.top + ph, x2: insets.left + pw, y2: insets.top + ph, stroke: style.axis)
            s.line(x1: insets.left, y1: insets.top, x2: insets.left, y2: insets.top + ph, stroke: style.axis)
            s.newline()
            s.text(text(maxV), x: insets.left - 4, y: insets.top + 4, size: style.fontSize, anchor: .end, fill: style.axisText)
            s.text("0", x: insets.left - 4, y: insets.top + ph, size: style.fontSize, anchor: .end, fill: style.axisText)
        }
        s.newline()
        switch xLabels {
        case .spread(let most):
            for i in ChartScale.labelIndices(count: labels.count, max: most) {
                s.text(labels[i], x: x(i), y: Double(height) - 8, size: style.fontSize, anchor: .middle, fill: style.axisText)
            }
        case .ends:
            if let first = labels.first, let last = labels.last {
                s.text(first, x: insets.left, y: Double(height) - 4, size: style.fontSize, fill: style.axisText)
                s.text(last, x: insets.left + pw, y: Double(height) - 4, size: style.fontSize, anchor: .end, fill: style.axisText)
            }
        }
        s.newline()
        for r in referenceLines where r.value >= 0 && r.value <= maxV {
            s.dashedLine(x1: insets.left, y1: y(r.value), x2: insets.left + pw, y2: y(r.value), stroke: r.color)
            s.text(r.label, x: insets.left + pw - 2, y: y(r.value) - 3, size: style.fontSize, anchor: .end, fill: r.color)
        }
        s.newline()
        for line in series {
            let p = ChartScale.gappedPath(line.values, x: x, y: y)
            s.path(p.d, stroke: line.color, width: style.strokeWidth)
            for dot in p.dots { s.circle(cx: dot.x, cy: dot.y, r: 2, fill: line.color) }
            s.newline()
        }
        return s.finished()
    }
}

/// A labelled horizontal line at a y value (a SoC limit or reserve floor), in the chart's units.
public struct ReferenceLine: Sendable, Equatable {
    public var value: Double
    public var label: String
    public var color: String
    public init(value: Double, label: String, color: String) { self.value = value; self.label = label; self.color = color }
}
