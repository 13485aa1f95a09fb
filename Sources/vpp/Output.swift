import VPPBenchmarks
import VPPServer
import Dispatcher
import Forecast
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// Plain-text table with right-aligned numeric columns; width counts Hangul as two cells.
func renderTable(headers: [String], rows: [[String]], numeric: Set<Int> = []) -> String {
    func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { acc, u in
            let v = u.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v)
            return acc + (wide ? 2 : 1)
        }
    }
    var widths = headers.map(width)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], width(c)) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            let padding = String(repeating: " ", count: max(0, widths[i] - width(c)))
            return numeric.contains(i) ? padding + c : c + padding
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    var out = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    out += rows.map(line)
    return out.joined(separator: "\n")
}

/// RFC 4180 CSV.
func renderCSV(headers: [String], rows: [[String]]) -> String {
    func esc(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    return ([headers] + rows).map { $0.map(esc).joined(separator: ",") }.joined(separator: "\n")
}

/// `--format json`: the same payload types and names as the HTTP API (VPPStore/API), indented.
func renderJSON(_ value: some Encodable) throws -> String {
    try APIJSON.encodePretty(value)
}

func fmt(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
