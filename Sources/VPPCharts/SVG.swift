import Foundation
import VPPCore

/// An inline SVG document written element by element: coordinates in user units with one
/// decimal, every text escaped with the shared HTML escape. No scripts, no external references;
/// the tracking report and the dashboard embed the result directly in their HTML.
public struct SVG: Sendable {
    public enum Anchor: String, Sendable { case start, middle, end }

    public private(set) var markup: String

    /// Opens `<svg>` of `width` × `height` user units (= CSS pixels), `role="img"`.
    /// - Parameters:
    ///   - id: the element id (the report's tests and anchors use `chart-…` ids).
    ///   - cssClass: a class for page styles (e.g. `daily`).
    ///   - label: `aria-label`, escaped.
    ///   - namespace: write `xmlns` (the dashboard does; HTML5 does not need it).
    public init(width: Int, height: Int, id: String? = nil, cssClass: String? = nil, label: String? = nil,
                namespace: Bool = false) {
        var s = "<svg"
        if namespace { s += " xmlns=\"http://www.w3.org/2000/svg\"" }
        if let id { s += " id=\"\(esc(id))\"" }
        if let cssClass { s += " class=\"\(esc(cssClass))\"" }
        s += " width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\""
        if let label { s += " aria-label=\"\(esc(label))\"" }
        markup = s + ">\n"
    }

    /// One decimal, `-0.0` written as `0.0` (SVG coordinates and path data).
    public static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let s = String(format: "%.1f", v)
        return s == "-0.0" ? "0.0" : s
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) {
        markup += "<line x1=\"\(Self.num(x1))\" y1=\"\(Self.num(y1))\" x2=\"\(Self.num(x2))\" y2=\"\(Self.num(y2))\" stroke=\"\(esc(stroke))\"/>"
    }

    public mutating func dashedLine(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) {
        markup += "<line x1=\"\(Self.num(x1))\" y1=\"\(Self.num(y1))\" x2=\"\(Self.num(x2))\" y2=\"\(Self.num(y2))\" stroke=\"\(esc(stroke))\" stroke-dasharray=\"5 4\"/>"
    }

    /// Raw markup the caller built and escaped itself (map shapes with links and titles).
    public mutating func raw(_ markup: String) { self.markup += markup }

    /// A text label; `text` is escaped here, callers pass it raw.
    public mutating func text(_ text: String, x: Double, y: Double, size: Int = 11, anchor: Anchor = .start,
                              fill: String? = nil, bold: Bool = false) {
        var s = "<text x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" font-size=\"\(size)\""
        if anchor != .start { s += " text-anchor=\"\(anchor.rawValue)\"" }
        if let fill { s += " fill=\"\(esc(fill))\"" }
        if bold { s += " font-weight=\"bold\"" }
        markup += s + ">\(esc(text))</text>"
    }

    /// `fill` may be a colour or a paint reference such as `url(#hatch)`.
    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        markup += "<rect x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" width=\"\(Self.num(max(0, width)))\" height=\"\(Self.num(max(0, height)))\" fill=\"\(esc(fill))\""
        markup += (stroke.map { " stroke=\"\(esc($0))\"" } ?? "") + "/>"
    }

    /// A stroked, unfilled path; nothing is written for empty path data.
    public mutating func path(_ d: String, stroke: String, width: Double = 1.6) {
        guard !d.isEmpty else { return }
        markup += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(esc(stroke))\" stroke-width=\"\(width)\"/>"
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String) {
        markup += "<circle cx=\"\(Self.num(cx))\" cy=\"\(Self.num(cy))\" r=\"\(r == r.rounded() ? String(Int(r)) : Self.num(r))\" fill=\"\(esc(fill))\"/>"
    }

    /// A diagonal hatch pattern (`url(#id)`) for gaps: "no data", never drawn as zero.
    public mutating func hatchPattern(id: String) {
        markup += "<defs><pattern id=\"\(esc(id))\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbb\" stroke-width=\"2\"/></pattern></defs>"
    }

    /// Ends a group of elements with a newline (keeps the HTML source readable).
    public mutating func newline() { markup += "\n" }

    /// The closed `<svg>` element.
    public func finished() -> String { markup + "</svg>\n" }
}
