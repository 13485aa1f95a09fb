import Foundation

/// Axis arithmetic shared by every chart: a "nice" upper bound, axis label text, and which
/// category indices get a label.
public enum ChartScale {
    /// The smallest of 1, 2, 2.5, 5, 10 × 10ⁿ that is ≥ `v` (1 for v ≤ 0).
    public static func niceMax(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let mag = pow(10, floor(log10(v)))
        for m in [1.0, 2, 2.5, 5, 10] where m * mag >= v { return m * mag }
        return 10 * mag
    }

    /// Short axis text: 1.2M, 45k, 3.4k, 120, 2.5.
    public static func axisLabel(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1_000_000 { return String(format: "%.1fM", v / 1_000_000) }
        if a >= 10_000 { return String(format: "%.0fk", v / 1000) }
        if a >= 1000 { return String(format: "%.1fk", v / 1000) }
        return String(format: a < 10 && a != 0 ? "%.1f" : "%.0f", v)
    }

    /// Up to `max` indices spread evenly over `0..<count`, first and last included.
    public static func labelIndices(count n: Int, max: Int = 8) -> [Int] {
        guard n > 0 else { return [] }
        let ticks = min(n, max)
        return (0..<ticks).map { k in ticks == 1 ? 0 : (n - 1) * k / (ticks - 1) }
    }

    /// Path data through `points` that breaks at nil values; isolated points are returned
    /// separately (a path of one point draws nothing, so callers draw them as dots).
    public static func gappedPath(_ values: [Double?], x: (Int) -> Double, y: (Double) -> Double)
        -> (d: String, dots: [(x: Double, y: Double)]) {
        var d = "", dots: [(x: Double, y: Double)] = []
        var i = 0
        while i < values.count {
            guard values[i] != nil else { i += 1; continue }
            var j = i
            while j < values.count, values[j] != nil { j += 1 }
            if j - i == 1 {
                dots.append((x(i), y(values[i]!)))
            } else {
                for k in i..<j { d += (k == i ? "M" : "L") + SVG.num(x(k)) + "," + SVG.num(y(values[k]!)) }
            }
            i = j
        }
        return (d, dots)
    }
}
