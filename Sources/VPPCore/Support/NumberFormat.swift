import Foundation

/// A number for messages: whole numbers without a fraction, others to 3 decimals.
public func fmtNum(_ v: Double) -> String {
    !v.isFinite ? String(v) : v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : fmtNum(v, 3)
}

/// Fixed-point number text without Foundation formatters (hot-path safe): integer digits
/// written right to left into a stack buffer; `grouped` adds thousands separators (1,234.5).
public func fmtNum(_ v: Double, _ digits: Int, grouped: Bool = false, trimZeros: Bool = false) -> String {
    guard v.isFinite else { return "" }
    var p: Double = 1
    for _ in 0..<digits { p *= 10 }
    let scaled = (abs(v) * p).rounded()
    guard scaled < 9e18 else { return String(v) }
    var n = UInt64(scaled)
    let neg = v < 0 && n > 0
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { b in
        var i = 64, written = 0, intDigits = 0
        repeat {
            if digits > 0 && written == digits { i -= 1; b[i] = 46 }          // '.'
            let isInt = written >= digits
            if isInt && grouped && intDigits > 0 && intDigits % 3 == 0 { i -= 1; b[i] = 44 }   // ','
            i -= 1; b[i] = UInt8(48 + n % 10); n /= 10; written += 1
            if isInt { intDigits += 1 }
        } while n > 0 || written <= digits
        if neg { i -= 1; b[i] = 45 }
        var end = 64
        if trimZeros && digits > 0 {
            while end > i && b[end - 1] == 48 { end -= 1 }
            if end > i && b[end - 1] == 46 { end -= 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[i..<end]), as: UTF8.self)
    }
}
