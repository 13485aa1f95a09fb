/// Grouped vertical bars: one group per category (e.g. a dong), one bar per series colour,
/// a nice upper bound with horizontal grid lines and the category name under each group.
public struct BarChart: Sendable {
    public var width: Int
    public var height: Int
    public var insets: Insets
    public var colors: [String]
    public var style: ChartStyle
    public var namespace: Bool

    public init(width: Int, height: Int, insets: Insets = Insets(left: 60, right: 10, top: 10, bottom: 40), colors: [String],
                style: ChartStyle = .dashboard, namespace: Bool = true) {
        self.width = width; self.height = height; self.insets = insets; self.colors = colors; self.style = style
        self.namespace = namespace
    }

    public func svg(groups: [(label: String, values: [Double])]) -> String {
        let pw = Double(width) - insets.left - insets.right, ph = Double(height) - insets.top - insets.bottom
        let maxV = ChartScale.niceMax(groups.flatMap(\.values).max() ?? 0)
        let gw = pw / Double(max(1, groups.count)), bw = gw * 0.8 / Double(max(1, colors.count))
        var s = SVG(width: width, height: height, namespace: namespace)
        gridLines(&s, maxV: maxV, pw: pw, ph: ph)
        for (gi, g) in groups.enumerated() {
            let gx = insets.left + gw * Double(gi) + gw * 0.1
            for (k, v) in g.values.enumerated() {
                let h = ph * v / maxV
                s.rect(x: gx + bw * Double(k), y: insets.top + ph - h, width: bw, height: h, fill: colors[k % colors.count])
            }
            s.text(g.label, x: gx + gw * 0.4, y: Double(height) - 22, size: style.fontSize, anchor: .middle, fill: "#1d2430")
        }
        return s.finished()
    }

    func gridLines(_ s: inout SVG, maxV: Double, pw: Double, ph: Double) {
        for k in 0...4 {
            let v = maxV * Double(k) / 4, yy = insets.top + ph * (1 - v / maxV)
            s.line(x1: insets.left, y1: yy, x2: insets.left + pw, y2: yy, stroke: style.grid)
            s.text(ChartScale.axisLabel(v), x: insets.left - 6, y: yy + 4, size: style.fontSize, anchor: .end, fill: style.axisText)
        }
    }
}

/// Signed bars around a zero line (green up, red down) with a second series drawn as a line
/// on its own right-hand scale: battery discharge/charge power and state of charge.
public struct SignedBarChart: Sendable {
    public var width: Int
    public var height: Int
    public var insets: Insets
    public var positive: String
    public var negative: String
    public var lineColor: String
    /// Unit written after the line scale's maximum (top right).
    public var lineUnit: String
    public var style: ChartStyle
    public var namespace: Bool
    /// Draw the line on the bars' signed scale (same unit, e.g. planned bars and actual line),
    /// instead of its own 0…max scale on the right.
    public var lineOnBarScale = false

    public init(width: Int, height: Int, insets: Insets = Insets(left: 60, right: 60, top: 10, bottom: 28),
                positive: String = "#2e9d5b", negative: String = "#c0504d", lineColor: String = "#7a4fb5",
                lineUnit: String = "kWh", style: ChartStyle = .dashboard, namespace: Bool = true) {
        self.width = width; self.height = height; self.insets = insets; self.positive = positive; self.negative = negative
        self.lineColor = lineColor; self.lineUnit = lineUnit; self.style = style; self.namespace = namespace
    }

    public func svg(bars values: [Double], line: [Double], labels: [String]) -> String {
        let n = max(1, values.count)
        let pw = Double(width) - insets.left - insets.right, ph = Double(height) - insets.top - insets.bottom
        let m = ChartScale.niceMax(((lineOnBarScale ? line : []) + values).map(abs).max() ?? 0), lm = ChartScale.niceMax(line.max() ?? 0)
        func y(_ v: Double) -> Double { insets.top + ph / 2 - ph / 2 * v / m }
        func y2(_ v: Double) -> Double { insets.top + ph * (1 - v / lm) }
        let bw = pw / Double(n)
        var s = SVG(width: width, height: height, namespace: namespace)
        for v in [-m, -m / 2, 0, m / 2, m] {
            s.line(x1: insets.left, y1: y(v), x2: insets.left + pw, y2: y(v), stroke: v == 0 ? style.axis : style.grid)
            s.text(ChartScale.axisLabel(v), x: insets.left - 6, y: y(v) + 4, size: style.fontSize, anchor: .end, fill: style.axisText)
        }
        for (i, v) in values.enumerated() {
            s.rect(x: insets.left + bw * Double(i) + bw * 0.1, y: y(max(v, 0)), width: bw * 0.8, height: abs(y(v) - y(0)),
                   fill: v >= 0 ? positive : negative)
        }
        let p = ChartScale.gappedPath(line.map { $0 }, x: { insets.left + bw * (Double($0) + 0.5) }, y: lineOnBarScale ? y : y2)
        s.path(p.d, stroke: lineColor, width: style.strokeWidth)
        if !lineOnBarScale { s.text("\(ChartScale.axisLabel(lm)) \(lineUnit)", x: insets.left + pw + 4, y: insets.top + 10, size: style.fontSize, fill: lineColor) }
        for i in ChartScale.labelIndices(count: values.count) {
            s.text(labels[i], x: insets.left + bw * (Double(i) + 0.5), y: Double(height) - 8, size: style.fontSize, anchor: .middle,
                   fill: style.axisText)
        }
        return s.finished()
    }
}
