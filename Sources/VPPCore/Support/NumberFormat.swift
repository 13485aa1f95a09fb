import Foundation

/// A number for messages: whole numbers without a fraction, others to 3 decimals.
public func fmtNum(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
}
