import Foundation

extension Int64 {
    /// Division rounding toward negative infinity (days before 1970 stay whole days).
    @inline(__always) public func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
    /// Remainder with the sign of the divisor.
    @inline(__always) public func floorMod(_ d: Int64) -> Int64 { self - floorDiv(d) * d }
}
