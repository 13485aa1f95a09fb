/// Margins around a chart's plot area [px].
public struct Insets: Sendable, Equatable {
    public var left, right, top, bottom: Double
    public init(left: Double, right: Double, top: Double, bottom: Double) {
        self.left = left; self.right = right; self.top = top; self.bottom = bottom
    }
}

/// Axis text and grid colours; the dashboard and the report each pass their own look.
public struct ChartStyle: Sendable, Equatable {
    public var fontSize: Int
    /// Axis label colour; nil inherits the page's text colour.
    public var axisText: String?
    public var grid: String
    /// Colour of the zero line of a signed chart and of plot-frame axes.
    public var axis: String
    public var strokeWidth: Double
    public init(fontSize: Int = 11, axisText: String? = "#5b6675", grid: String = "#e3e7ec", axis: String = "#9aa4b1",
                strokeWidth: Double = 1.6) {
        self.fontSize = fontSize; self.axisText = axisText; self.grid = grid; self.axis = axis; self.strokeWidth = strokeWidth
    }

    /// The operator dashboard's look.
    public static let dashboard = ChartStyle()
    /// The printed tracking report's look (smaller black axis text, grey frame).
    public static let report = ChartStyle(fontSize: 10, axisText: nil, grid: "#e5e5e5", axis: "#999")
}

/// One coloured series of a chart; nil values are gaps (the line breaks, never drops to 0).
public struct ChartSeries: Sendable {
    public var values: [Double?]
    public var color: String
    public init(_ values: [Double?], color: String) { self.values = values; self.color = color }
    public init(_ values: [Double], color: String) { self.values = values.map { $0 }; self.color = color }
}
