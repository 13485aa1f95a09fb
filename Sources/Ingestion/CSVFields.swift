import VPPAuth
import Crypto
import Foundation
import VPPCore
import VPPStore

/// Splits one record into fields without allocating per row: field boundaries go into reused
/// arrays. Quoted fields (RFC 4180) are supported; a field with doubled quotes is unescaped on
/// demand (`string(_:)`, `bytes(_:)`). Unquoted fields are trimmed of spaces and tabs.
package struct FieldSplitter {
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []
    private(set) var escaped: [Bool] = []
    package private(set) var count = 0
    let delimiter: UInt8
    let quotes: Bool

    package init(delimiter: UInt8, quotes: Bool = true) {
        self.delimiter = delimiter; self.quotes = quotes
        starts.reserveCapacity(64); ends.reserveCapacity(64); escaped.reserveCapacity(64)
    }

    @inline(__always) private mutating func push(_ s: Int, _ e: Int, _ esc: Bool) {
        if count < starts.count { starts[count] = s; ends[count] = e; escaped[count] = esc } else {
            starts.append(s); ends.append(e); escaped.append(esc)
        }
        count += 1
    }

    package mutating func split(_ p: UnsafeBufferPointer<UInt8>) {
        count = 0
        let n = p.count
        var i = 0
        let d = delimiter
        while true {
            // Skip leading blanks.
            while i < n && (p[i] == 32 || p[i] == 9) && p[i] != d { i += 1 }
            if quotes && i < n && p[i] == 34 {
                let s = i + 1
                var j = s
                var esc = false
                while j < n {
                    if p[j] == 34 {
                        if j + 1 < n && p[j + 1] == 34 { esc = true; j += 2; continue }
                        break
                    }
                    j += 1
                }
                push(s, min(j, n), esc)
                j += 1
                while j < n && p[j] != d { j += 1 }
                if j >= n { return }
                i = j + 1
                continue
            }
            var j = i
            while j < n && p[j] != d { j += 1 }
            var e = j
            while e > i && (p[e - 1] == 32 || p[e - 1] == 9) { e -= 1 }
            push(i, e, false)
            if j >= n { return }
            i = j + 1
        }
    }

    @inline(__always) package func field(_ k: Int, in p: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: p[starts[k]..<ends[k]])
    }

    @inline(__always) package func isEscaped(_ k: Int) -> Bool { k < count && escaped[k] }

    @inline(__always) package func isEmpty(_ k: Int) -> Bool { k >= count || starts[k] >= ends[k] }

    package func bytes(_ k: Int, in p: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard k < count else { return [] }
        let raw = Array(p[starts[k]..<ends[k]])
        guard escaped[k] else { return raw }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            out.append(raw[i])
            if raw[i] == 34 && i + 1 < raw.count && raw[i + 1] == 34 { i += 2 } else { i += 1 }
        }
        return out
    }

    package func string(_ k: Int, in p: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes(k, in: p), as: UTF8.self)
    }
}

/// Guesses the delimiter of a headered or headerless text table from its first record.
func detectDelimiter(_ firstRecord: UnsafeBufferPointer<UInt8>) -> UInt8 {
    var counts: [UInt8: Int] = [44: 0, 9: 0, 59: 0, 124: 0]
    var inQ = false
    for b in firstRecord {
        if b == 34 { inQ.toggle() } else if !inQ, counts[b] != nil { counts[b]! += 1 }
    }
    let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key != 44) }!
    return best.value > 0 ? best.key : 44
}

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
