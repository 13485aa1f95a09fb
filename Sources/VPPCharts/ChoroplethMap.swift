import Foundation
import VPPCore

/// Areas (dongs) drawn from longitude/latitude outlines as inline SVG, each filled by its value on
/// a sequential colour scale, wrapped in a link, with a `<title>` (the browser's hover text).
///
/// Projection: equirectangular about the areas' mean latitude φ₀, x = λ·cos φ₀, y = −φ (degrees),
/// scaled uniformly to fit the box. Over a district (~10 km) this keeps shapes and relative areas
/// to well under 1 %; it is not a conformal map projection.
public struct ChoroplethMap: Sendable {
    public struct Area: Sendable {
        public var id: String
        /// Polygons → rings → [lon, lat] [°] (GeoJSON order).
        public var polygons: [[[[Double]]]]
        /// nil: no value (drawn hatched, "no data").
        public var value: Double?
        public var title: String
        public var label: String
        public var href: String?
        public init(id: String, polygons: [[[[Double]]]], value: Double?, title: String, label: String, href: String?) {
            self.id = id; self.polygons = polygons; self.value = value; self.title = title; self.label = label; self.href = href
        }
    }

    public var width: Int
    public var height: Int
    /// Light to dark (a colour-blind-safe sequential ramp: ColorBrewer YlGnBu 5).
    public var ramp: [String] = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
    public init(width: Int, height: Int) { self.width = width; self.height = height }

    /// The bin of `v` on `ramp` between `lo` and `hi` (equal-width bins).
    public func bin(_ v: Double, lo: Double, hi: Double) -> Int {
        guard hi > lo else { return ramp.count - 1 }
        return min(ramp.count - 1, max(0, Int(((v - lo) / (hi - lo) * Double(ramp.count)).rounded(.down))))
    }

    /// The SVG and the legend's bins (lower bound, colour) for the caller's legend.
    public func svg(_ areas: [Area], id: String = "map", label: String) -> (svg: String, lo: Double, hi: Double) {
        let pts = areas.flatMap { $0.polygons.flatMap { $0.flatMap { $0 } } }
        var s = SVG(width: width, height: height, id: id, label: label, namespace: true)
        guard !pts.isEmpty else { return (s.finished(), 0, 0) }
        let lat0 = pts.map { $0[1] }.reduce(0, +) / Double(pts.count)
        let k = cos(lat0 * .pi / 180)
        let xs = pts.map { $0[0] * k }, ys = pts.map { -$0[1] }
        let minX = xs.min()!, maxX = xs.max()!, minY = ys.min()!, maxY = ys.max()!
        let pad = 6.0
        let scale = min((Double(width) - 2 * pad) / max(1e-9, maxX - minX), (Double(height) - 2 * pad) / max(1e-9, maxY - minY))
        let offX = pad + ((Double(width) - 2 * pad) - (maxX - minX) * scale) / 2
        let offY = pad + ((Double(height) - 2 * pad) - (maxY - minY) * scale) / 2
        func px(_ p: [Double]) -> (Double, Double) { (offX + (p[0] * k - minX) * scale, offY + (-p[1] - minY) * scale) }
        let values = areas.compactMap(\.value)
        let lo = values.min() ?? 0, hi = values.max() ?? 0
        s.hatchPattern(id: "\(id)-nodata")
        var labels = ""
        for a in areas {
            var d = ""
            // Label at the area centroid of the largest outer ring (shoelace formula, in pixels).
            var best = (area: 0.0, x: 0.0, y: 0.0)
            for poly in a.polygons {
                for (ri, ring) in poly.enumerated() {
                    let xy = ring.map(px)
                    for (i, p) in xy.enumerated() { d += (i == 0 ? "M" : "L") + SVG.num(p.0) + " " + SVG.num(p.1) }
                    d += "Z"
                    guard ri == 0, xy.count >= 3 else { continue }
                    var a2 = 0.0, cx = 0.0, cy = 0.0
                    for i in 0..<xy.count {
                        let (x0, y0) = xy[i], (x1, y1) = xy[(i + 1) % xy.count]
                        let c = x0 * y1 - x1 * y0
                        a2 += c; cx += (x0 + x1) * c; cy += (y0 + y1) * c
                    }
                    if abs(a2) > abs(best.area) * 2, a2 != 0 { best = (a2 / 2, cx / (3 * a2), cy / (3 * a2)) }
                }
            }
            let fill = a.value.map { ramp[bin($0, lo: lo, hi: hi)] } ?? "url(#\(id)-nodata)"
            var shape = "<path class=\"area\" id=\"\(esc(id))-\(esc(a.id))\" d=\"\(d)\" fill=\"\(esc(fill))\" fill-rule=\"evenodd\" stroke=\"#ffffff\" stroke-width=\"1.5\"><title>\(esc(a.title))</title></path>"
            if let href = a.href { shape = "<a href=\"\(esc(href))\">" + shape + "</a>" }
            s.raw(shape + "\n")
            if best.area != 0 {
                labels += "<text id=\"\(esc(id))-label-\(esc(a.id))\" x=\"\(SVG.num(best.x))\" y=\"\(SVG.num(best.y + 4))\" font-size=\"11\" text-anchor=\"middle\" pointer-events=\"none\" fill=\"#1d2430\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\(esc(a.label))</text>"
            }
        }
        s.raw(labels)
        return (s.finished(), lo, hi)
    }
}
