import Foundation
import VPPCore
import VPPStore

/// Reads weather alerts for offline use: a CSV with the header `area,kind,level,from,to` (times
/// KST, `YYYY-MM-DDTHH:MM`, window [from, to)), e.g.
/// `서대문구,heat,advisory,2026-08-03T12:00,2026-08-03T20:00`, or a recorded KMA
/// `getWthrWrnList` reply (JSON, see `KMAWarningParser`). Good rows land; every rejected row is
/// kept with its line and reason.
public enum AlertImporter {
    public struct Rejected: Sendable, Equatable {
        public var line: Int
        public var raw: String
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }
    public struct Result: Sendable, Equatable {
        public var alerts: [WeatherAlert]
        public var rejected: [Rejected]
        /// `csv` or `kma`.
        public var format: String
    }

    /// Longest window an alert row may span [s] (heat waves last days, not months).
    public static let maxWindowSeconds: Int64 = 31 * 86_400

    /// Parses a file's bytes; `file` names it in sources and errors. A KMA reply's windows still
    /// open at its end close at `openUntil` (UTC epoch s; default: the last report + 24 h).
    public static func parse(_ data: Data, file: String, openUntil: Int64? = nil) throws -> Result {
        let head = String(decoding: data.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if head.hasPrefix("{") || head.hasPrefix("<") {
            let reports = try KMAWarningParser.parse(data, file: file)
            return Result(alerts: KMAWarningParser.alerts(reports, openUntil: openUntil), rejected: [], format: "kma")
        }
        guard String(data: data, encoding: .utf8) != nil else { throw ResilienceError.badAlert(file: file, line: 0, reason: "not UTF-8 text") }
        return try parseCSV([UInt8](data), file: file)
    }

    public static func parse(fileAt path: String, openUntil: Int64? = nil) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else { throw VPPError(.noInput, "\(path): cannot read file") }
        return try parse(data, file: path, openUntil: openUntil)
    }

    static let header = ["area", "kind", "level", "from", "to"]

    static func parseCSV(_ bytes: [UInt8], file: String) throws -> Result {
        var alerts: [WeatherAlert] = [], rejected: [Rejected] = []
        var sawHeader = false
        var headerError: ResilienceError? = nil
        // Skip a UTF-8 BOM.
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        CSVRecords.forEach(body) { line, f in
            let cells = (0..<f.count).map { f.string($0).trimmingCharacters(in: .whitespaces) }
            if !sawHeader {
                sawHeader = true
                if cells.map({ $0.lowercased() }) != header {
                    headerError = .badAlert(file: file, line: line, reason: "header must be \(header.joined(separator: ",")), got \(cells.joined(separator: ","))")
                }
                return
            }
            let raw = cells.joined(separator: ",")
            switch row(cells, file: file, line: line) {
            case .success(let a): alerts.append(a)
            case .failure(let e): rejected.append(Rejected(line: line, raw: raw, reason: e.reason))
            }
        }
        if let headerError { throw headerError }
        guard sawHeader else { throw ResilienceError.badAlert(file: file, line: 0, reason: "empty file (expected the header \(header.joined(separator: ",")))") }
        return Result(alerts: alerts, rejected: rejected, format: "csv")
    }

    struct RowError: Error { var reason: String }

    static func row(_ c: [String], file: String, line: Int) -> Swift.Result<WeatherAlert, RowError> {
        guard c.count == 5 else { return .failure(RowError(reason: "expected 5 fields (area,kind,level,from,to), got \(c.count)")) }
        guard !c[0].isEmpty else { return .failure(RowError(reason: "area is empty")) }
        guard let kind = kind(c[1]) else { return .failure(RowError(reason: "kind '\(c[1])' is not heat (폭염) or another KMA kind name")) }
        guard let level = level(c[2]) else { return .failure(RowError(reason: "level '\(c[2])' is not none, advisory (주의보) or warning (경보)")) }
        guard let from = time(c[3]) else { return .failure(RowError(reason: "from '\(c[3])' is not a KST time YYYY-MM-DDTHH:MM within 2000–2100")) }
        guard let to = time(c[4]) else { return .failure(RowError(reason: "to '\(c[4])' is not a KST time YYYY-MM-DDTHH:MM within 2000–2100")) }
        guard to > from else { return .failure(RowError(reason: "to \(c[4]) is not after from \(c[3])")) }
        guard to - from <= maxWindowSeconds else { return .failure(RowError(reason: "window longer than 31 days")) }
        return .success(WeatherAlert(area: c[0], kind: kind, level: level, fromEpoch: from, toEpoch: to, source: "csv:\(file):\(line)"))
    }

    static func kind(_ s: String) -> String? {
        let k = s.lowercased()
        if k == "heat" || k == "폭염" || k == "heat_wave" { return "heat" }
        guard !k.isEmpty, k.count <= 32, k.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return k
    }

    static func level(_ s: String) -> AlertLevel? {
        switch s.lowercased() {
        case "advisory", "주의보", "폭염주의보": return .advisory
        case "warning", "경보", "폭염경보": return .warning
        case "none", "해제": return AlertLevel.none
        default: return nil
        }
    }

    /// A KST time, range-checked before it becomes an epoch.
    static func time(_ s: String) -> Int64? {
        guard s.count <= 25, let t = KSTDateTime.parse(s), t.isValid, (2000...2100).contains(t.year) else { return nil }
        return t.epochSeconds
    }
}
