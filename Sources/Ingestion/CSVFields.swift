import VPPAuth
import Crypto
import Foundation
import VPPCore
import VPPStore

/// Result of parsing one numeric cell.
package enum CellNumber: Equatable {
    case value(Double)
    case missing
    case invalid
}

private let pow10: [Double] = (0...22).map { pow(10.0, Double($0)) }

/// Parses a decimal number from UTF-8 bytes: optional sign, digits, optional thousands
/// separators (`1,234.5`, only meaningful inside quotes), fraction and exponent. Blank,
/// `-`, `NaN`, `null`, `N/A` are `missing`; anything else that is not a number is `invalid`.
@inline(__always)
package func parseNumber(_ p: UnsafeBufferPointer<UInt8>) -> CellNumber {
    let n = p.count
    if n == 0 { return .missing }
    var i = 0
    var neg = false
    if p[0] == 45 /* - */ { neg = true; i = 1; if n == 1 { return .missing } } else if p[0] == 43 { i = 1 }
    var mant: Int64 = 0
    var digits = 0, frac = 0
    var seenDot = false
    var seenDigit = false
    while i < n {
        let b = p[i]
        if b >= 48 && b <= 57 {
            if digits < 18 { mant = mant &* 10 &+ Int64(b &- 48); digits += 1; if seenDot { frac += 1 } }
            else if !seenDot { return slowNumber(p) }
            seenDigit = true
        } else if b == 46 /* . */ && !seenDot {
            seenDot = true
        } else if b == 44 /* , */ && !seenDot && seenDigit {
            // thousands separator
        } else if b == 101 || b == 69 /* e E */ {
            return slowNumber(p)
        } else {
            return isMissingWord(p) ? .missing : .invalid
        }
        i += 1
    }
    if !seenDigit { return .invalid }
    let v = Double(mant) / pow10[frac]
    return .value(neg ? -v : v)
}

private func slowNumber(_ p: UnsafeBufferPointer<UInt8>) -> CellNumber {
    let s = String(decoding: p.filter { $0 != 44 }, as: UTF8.self)
    if let v = Double(s), v.isFinite { return .value(v) }
    return isMissingWord(p) ? .missing : .invalid
}

private func isMissingWord(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
    guard p.count <= 4 else { return false }
    let s = String(decoding: p, as: UTF8.self).lowercased()
    return s == "nan" || s == "null" || s == "n/a" || s == "na" || s == "-" || s == "--" || s == "none"
}

/// SHA-256 over streamed chunks, hex output.
struct SHA256Hasher {
    private var h = SHA256()
    mutating func update(_ p: UnsafeBufferPointer<UInt8>) { h.update(bufferPointer: UnsafeRawBufferPointer(p)) }
    mutating func finalize() -> String { h.finalize().map { String(format: "%02x", $0) }.joined() }
}

/// Fast KST time-stamp parsing for hot loops: `YYYY-MM-DD HH:MM[:SS]` and its `/`, `.`, `T`
/// variants with one- or two-digit fields, without allocation; falls back to
/// `KSTDateTime.parse(utf8:)` for anything else (offsets, compact forms). A bare number in the
/// Excel date-serial range is read as an Excel serial (days since 1899-12-30, KST wall time).
/// Returns UTC epoch seconds of the KST wall time, or nil.
@inline(__always)
func parseStampEpoch(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
    var nums: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)
    var k = 0
    var cur = 0, nd = 0
    var fast = true
    for b in p {
        if b >= 48 && b <= 57 { cur = cur * 10 + Int(b - 48); nd += 1; if nd > 4 { fast = false; break }; continue }
        if nd == 0 { fast = false; break }
        switch b {
        case 45, 47, 46, 58, 32, 84: // - / . : space T
            switch k { case 0: nums.0 = cur; case 1: nums.1 = cur; case 2: nums.2 = cur; case 3: nums.3 = cur; case 4: nums.4 = cur; default: fast = false }
            k += 1; cur = 0; nd = 0
        default: fast = false
        }
        if !fast || k > 5 { fast = false; break }
    }
    if fast && nd > 0 {
        switch k { case 2: nums.2 = cur; case 3: nums.3 = cur; case 4: nums.4 = cur; case 5: nums.5 = cur; default: fast = false }
        k += 1
    }
    if fast && k >= 3 && nums.0 >= 1900 && nums.0 <= 2200 && nums.1 >= 1 && nums.1 <= 12 && nums.2 >= 1
        && nums.2 <= KST.daysInMonth(year: nums.0, month: nums.1) && nums.4 < 60 && nums.5 < 60
        && (nums.3 < 24 || (nums.3 == 24 && nums.4 == 0 && nums.5 == 0)) {
        return KST.daysFromCivil(year: nums.0, month: nums.1, day: nums.2) * 86_400
            + Int64(nums.3 * 3600 + nums.4 * 60 + nums.5) - KST.offsetSeconds
    }
    if case .value(let serial) = parseNumber(p), serial >= 20_000, serial < 80_000 {
        return excelSerialToEpoch(serial)
    }
    return KSTDateTime.parse(utf8: p)?.epochSeconds
}

/// Excel serial date (1900 date system, days since 1899-12-30, local = KST wall time) → UTC epoch s,
/// rounded to the second.
func excelSerialToEpoch(_ serial: Double) -> Int64 {
    Int64((serial * 86_400).rounded()) - 25_569 * 86_400 - KST.offsetSeconds
}
