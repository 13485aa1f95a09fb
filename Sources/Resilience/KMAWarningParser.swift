import Foundation
import VPPCore
import VPPStore

/// One item of a KMA 기상특보 list reply (WthrWrnInfoService `getWthrWrnList`): the station that
/// issued it, its title and the issue time. Titles read like
/// `[특보] 제08-12호 : 2026.08.03.11:00 / 폭염주의보 발표(*)`: the time is when the report takes
/// effect; after the slash, one or more `<kind><level> <action>` parts (발표 issue, 변경 change,
/// 해제 lift).
public struct KMAWarningReport: Sendable, Equatable {
    public var stnID: String
    public var title: String
    /// `tmFc`, YYYYMMDDHHMM KST.
    public var tmFc: String
    public var tmSeq: Int
}

/// Parses `getWthrWrnList` replies (JSON `response.header.resultCode/resultMsg`,
/// `response.body.items.item[]`; code 03 NODATA is an empty list) and the gateway's XML error
/// envelope, and turns reports into alert windows.
public enum KMAWarningParser {
    /// KMA result codes that mean "try again later" (DB, HTTP, timeout, key throttled, quota).
    public static let temporaryCodes: Set<String> = ["02", "04", "05", "21", "22"]
    /// Stations of the warning service and the area their reports cover.
    public static let stationAreas: [String: String] = ["108": "전국", "109": "서울"]

    public static func parse(_ data: Data, file: String = "KMA reply") throws -> [KMAWarningReport] {
        let text = String(decoding: data.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("<") { throw xmlError(String(decoding: data, as: UTF8.self)) }
        guard let root = try? JSONSerialization.jsonObject(with: data),
              let response = (root as? [String: Any])?["response"] as? [String: Any],
              let header = response["header"] as? [String: Any] else {
            throw ResilienceError.kmaUnavailable("\(file): not a KMA reply (no response.header)")
        }
        let code = str(header["resultCode"]) ?? ""
        let msg = str(header["resultMsg"]) ?? ""
        if code == "03" { return [] }   // NODATA_ERROR: no report in the period
        guard code == "00" else {
            if temporaryCodes.contains(code) { throw ResilienceError.kmaTemporary("\(code) \(msg)") }
            throw ResilienceError.kmaError(code: code, message: msg)
        }
        guard let body = response["body"] as? [String: Any] else { return [] }
        var items: [[String: Any]] = []
        if let obj = body["items"] as? [String: Any] {
            if let arr = obj["item"] as? [[String: Any]] { items = arr } else if let one = obj["item"] as? [String: Any] { items = [one] }
        }
        return try items.enumerated().map { i, it in
            guard let title = str(it["title"]), let tm = str(it["tmFc"]), tm.count == 12, tm.allSatisfy(\.isNumber) else {
                throw ResilienceError.badAlert(file: file, line: 0, reason: "item \(i) lacks title or a 12-digit tmFc")
            }
            return KMAWarningReport(stnID: str(it["stnId"]) ?? "", title: title, tmFc: tm, tmSeq: Int(str(it["tmSeq"]) ?? "") ?? 0)
        }
    }

    /// One action read from a title.
    public struct Action: Sendable, Equatable {
        public var kind: String
        public var level: AlertLevel
        public var lift: Bool
    }

    static let kinds: [(String, String)] = [("폭염", "heat"), ("호우", "heavy_rain"), ("강풍", "wind"), ("한파", "cold"),
                                            ("대설", "snow"), ("태풍", "typhoon"), ("건조", "dry"), ("풍랑", "wave"),
                                            ("황사", "dust"), ("폭풍해일", "storm_surge")]

    /// The effective time [UTC epoch s] and actions of a title; nil when it has neither.
    public static func read(title: String) -> (effective: Int64?, actions: [Action]) {
        let parts = title.components(separatedBy: "/")
        var effective: Int64? = nil
        if let head = parts.first, let colon = head.range(of: ":", options: []) {
            let t = head[colon.upperBound...].trimmingCharacters(in: .whitespaces)
            if t.count <= 20, let k = KSTDateTime.parse(t), k.isValid, (2000...2100).contains(k.year) { effective = k.epochSeconds }
        }
        var actions: [Action] = []
        for part in parts.dropFirst() {
            for piece in part.components(separatedBy: CharacterSet(charactersIn: ",·")) {
                guard let match = kinds.first(where: { piece.contains($0.0 + "주의보") || piece.contains($0.0 + "경보") }) else { continue }
                let (ko, kind) = match
                // "폭염주의보→폭염경보 변경": the level after the arrow wins.
                let tail = piece.components(separatedBy: "→").last ?? piece
                let level: AlertLevel = tail.contains(ko + "경보") ? .warning : (tail.contains(ko + "주의보") ? .advisory : (piece.contains(ko + "경보") ? .warning : .advisory))
                actions.append(Action(kind: kind, level: level, lift: piece.contains("해제")))
            }
        }
        return (effective, actions)
    }

    /// Alert windows from reports in issue order: an issue (발표/변경) opens a window for its
    /// station's area and kind from the effective time (closing any open one); a lift (해제)
    /// closes it. Windows still open at the end close at `openUntil` (default: the last report's
    /// effective time + 24 h, ASSUMPTION: a heat report is reviewed at least daily).
    public static func alerts(_ reports: [KMAWarningReport], openUntil: Int64? = nil) -> [WeatherAlert] {
        struct Open { var level: AlertLevel; var from: Int64; var issued: Int64; var source: String }
        var open: [String: Open] = [:]   // "area|kind"
        var out: [WeatherAlert] = []
        var last: Int64 = 0
        let sorted = reports.sorted { ($0.tmFc, $0.tmSeq) < ($1.tmFc, $1.tmSeq) }
        for r in sorted {
            let issued = KSTDateTime.parse(r.tmFc).map(\.epochSeconds) ?? 0
            let (eff, actions) = read(title: r.title)
            let at = eff ?? issued
            last = max(last, at)
            let area = stationAreas[r.stnID] ?? "stn\(r.stnID)"
            for a in actions {
                let key = area + "|" + a.kind
                if let o = open[key], at > o.from {
                    out.append(WeatherAlert(area: area, kind: a.kind, level: o.level, fromEpoch: o.from, toEpoch: at, source: o.source, issuedAt: o.issued))
                }
                open[key] = nil
                if !a.lift { open[key] = Open(level: a.level, from: at, issued: issued, source: "kma:getWthrWrnList:\(r.tmFc):\(r.tmSeq)") }
            }
        }
        let end = openUntil ?? (last + 86_400)
        for (key, o) in open.sorted(by: { $0.key < $1.key }) where end > o.from {
            let p = key.split(separator: "|", maxSplits: 1).map(String.init)
            out.append(WeatherAlert(area: p[0], kind: p[1], level: o.level, fromEpoch: o.from, toEpoch: end, source: o.source, issuedAt: o.issued))
        }
        return out.sorted { ($0.fromEpoch, $0.area, $0.kind) < ($1.fromEpoch, $1.area, $1.kind) }
    }

    static func xmlError(_ xml: String) -> ResilienceError {
        func tag(_ name: String) -> String? {
            guard let a = xml.range(of: "<\(name)>"), let b = xml.range(of: "</\(name)>", range: a.upperBound..<xml.endIndex) else { return nil }
            return String(xml[a.upperBound..<b.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let code = tag("returnReasonCode") ?? tag("resultCode") ?? "99"
        let msg = tag("returnAuthMsg") ?? tag("errMsg") ?? tag("resultMsg") ?? "XML error reply"
        if code == "03" { return .kmaError(code: code, message: msg) }
        return temporaryCodes.contains(code) ? .kmaTemporary("\(code) \(msg)") : .kmaError(code: code, message: msg)
    }

    static func str(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }
}
