/// The one CSV field splitter of vpp (ingestion readers, forecast and telemetry files, benchmark
/// data readers). Works on UTF-8 bytes, allocates nothing per row: field boundaries go into
/// arrays that are reused from record to record.
///
/// Quoted fields follow RFC 4180 (`"a,b"`, `"say ""hi"""`); a field with doubled quotes is
/// unescaped on demand (`string(_:in:)`, `bytes(_:in:)`), `field(_:in:)` gives its raw bytes.
/// Unquoted fields are trimmed of spaces and tabs. Record boundaries (line ends, and newlines
/// inside quotes) are the caller's: `CSVRecords` for whole-line files, the ingest `RecordStream`
/// for uploads.
package struct CSVFieldSplitter {
    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []
    private(set) var escaped: [Bool] = []
    package private(set) var count = 0
    package let delimiter: UInt8
    package let quotes: Bool

    package init(delimiter: UInt8 = 44, quotes: Bool = true) {
        self.delimiter = delimiter; self.quotes = quotes
        starts.reserveCapacity(64); ends.reserveCapacity(64); escaped.reserveCapacity(64)
    }

    @inline(__always) private mutating func push(_ s: Int, _ e: Int, _ esc: Bool) {
        if count < starts.count { starts[count] = s; ends[count] = e; escaped[count] = esc } else {
            starts.append(s); ends.append(e); escaped.append(esc)
        }
        count += 1
    }

    /// Splits one record (without its line end) into fields.
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

    /// The raw bytes of field `k` (doubled quotes of an escaped field left as they are).
    @inline(__always) package func field(_ k: Int, in p: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: p[starts[k]..<ends[k]])
    }

    @inline(__always) package func isEscaped(_ k: Int) -> Bool { k < count && escaped[k] }

    @inline(__always) package func isEmpty(_ k: Int) -> Bool { k >= count || starts[k] >= ends[k] }

    /// The bytes of field `k` with doubled quotes unescaped; empty when there is no field `k`.
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

/// Guesses the delimiter (`,` tab `;` `|`) of a headered or headerless text table from its first
/// record: the most frequent outside quotes, `,` on a tie or when there is none.
package func detectDelimiter(_ firstRecord: UnsafeBufferPointer<UInt8>) -> UInt8 {
    var counts: [UInt8: Int] = [44: 0, 9: 0, 59: 0, 124: 0]
    var inQ = false
    for b in firstRecord {
        if b == 34 { inQ.toggle() } else if !inQ, counts[b] != nil { counts[b]! += 1 }
    }
    let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key != 44) }!
    return best.value > 0 ? best.key : 44
}

/// One record of a `CSVRecords` walk: its bytes and its split fields. Valid only inside the
/// closure that receives it (it points into the caller's buffer).
package struct CSVRow {
    package let bytes: UnsafeBufferPointer<UInt8>
    package let fields: CSVFieldSplitter

    package var count: Int { fields.count }
    /// Raw bytes of field `k`.
    package subscript(_ k: Int) -> UnsafeBufferPointer<UInt8> { fields.field(k, in: bytes) }
    /// Field `k` as text (quotes unescaped).
    package func string(_ k: Int) -> String { fields.string(k, in: bytes) }
    /// Field `k` as text, or nil when the row has no field `k`.
    package func stringIfPresent(_ k: Int) -> String? { k < count ? string(k) : nil }
}

/// Whole-line CSV files (forecast inputs, telemetry, benchmark data): one record per line, LF or
/// CRLF, blank lines skipped (line numbers still count them). Newlines inside quotes are not
/// supported here (ingest uploads go through `RecordStream`).
package enum CSVRecords {
    /// Calls `body(lineNumber, row)` for each non-empty line of `bytes`, 1-based line numbers.
    package static func forEach(_ bytes: [UInt8], delimiter: UInt8 = 44, quotes: Bool = true,
                                _ body: (Int, CSVRow) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { try forEach($0, delimiter: delimiter, quotes: quotes, body) }
    }

    package static func forEach(_ p: UnsafeBufferPointer<UInt8>, delimiter: UInt8 = 44, quotes: Bool = true,
                                _ body: (Int, CSVRow) throws -> Void) rethrows {
        var splitter = CSVFieldSplitter(delimiter: delimiter, quotes: quotes)
        let n = p.count
        var line = 1, start = 0
        while start < n {
            var end = start
            while end < n && p[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > start && p[lineEnd - 1] == 13 { lineEnd -= 1 }
            if lineEnd > start {
                let record = UnsafeBufferPointer(rebasing: p[start..<lineEnd])
                splitter.split(record)
                try body(line, CSVRow(bytes: record, fields: splitter))
            }
            line += 1
            start = end + 1
        }
    }
}
