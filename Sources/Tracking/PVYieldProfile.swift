import VPPCore
import VPPStore
/// Monthly PV yield profile: the share of a year's PV energy each calendar month produces.
///
/// Used to annualise tCO2 avoided when less than twelve months of data exist (seasonal
/// weighting): a July with 9.46 % of the annual yield counts as 9.46 % of a year, not 1/12.
///
/// Derived from REAL metered output of the EWP Dangjin plant ("dangjin", 1,000 kW, tilt 30°,
/// 37.05 N) in the public "pv-dangjin" dataset's hourly energy export (hour-ending KST, kWh per hour):
/// 2018-03-01 .. 2020-02-29, two full years; each calendar month's energy summed over both
/// years and divided by the two-year total. Month of an hour = month of its hour-ending stamp
/// (midnight stamps carry 0 kWh, so the convention changes nothing). Two-year mean annual
/// yield 1,227,462 kWh = 1,227 kWh/kWp. `TrackingPVProfileTests` recomputes these numbers
/// from the CSV when the shared data folder is present.
public struct PVYieldProfile: Sendable, Equatable, Codable {
    /// Fraction of annual yield per month, index 0 = January. Sums to 1.
    public var monthShare: [Double]
    public var source: String

    public init(monthShare: [Double], source: String) {
        self.monthShare = monthShare; self.source = source
    }

    /// Share of annual yield for calendar `month` (1–12).
    public func share(month: Int) -> Double { monthShare[(month - 1) % 12] }

    /// The Dangjin-derived profile (see the type's documentation).
    public static let dangjin = PVYieldProfile(
        monthShare: [0.063917, 0.072381, 0.095110, 0.087645, 0.097179, 0.101704,
                     0.094607, 0.103880, 0.079860, 0.082030, 0.063121, 0.058565],
        source: "EWP Dangjin 1,000 kW plant, metered 2018-03..2020-02 (public dataset pv-dangjin, hourly energy export)")

    /// Monthly sums of an hour-ending `time,…,dangjin,…` CSV column divided by their total.
    /// Parses UTF-8 bytes; rows with an empty or non-numeric value are skipped.
    public static func fromDangjinCSV(_ data: [UInt8], column: String = "dangjin") throws -> PVYieldProfile {
        var sums = [Double](repeating: 0, count: 12)
        var lineNo = 0
        var colIndex = -1
        var start = 0
        let n = data.count
        while start < n {
            var stop = start
            while stop < n && data[stop] != 10 { stop += 1 }
            var fields: [ArraySlice<UInt8>] = []
            var fs = start
            for i in start...stop where i == stop || data[i] == 44 {
                var fe = i
                if fe > fs && data[fe - 1] == 13 { fe -= 1 }
                fields.append(data[fs..<fe]); fs = i + 1
            }
            lineNo += 1
            if lineNo == 1 {
                colIndex = fields.firstIndex { String(decoding: $0, as: UTF8.self) == column } ?? -1
                guard colIndex > 0 else { throw VPPError(.badData, "PV profile CSV: no column \"\(column)\" in the header") }
            } else if fields.count > colIndex, let t = KSTDateTime.parse(utf8: fields[0]),
                      let v = Double(String(decoding: fields[colIndex], as: UTF8.self)) {
                sums[t.month - 1] += v
            }
            start = stop + 1
        }
        let total = sums.reduce(0, +)
        guard total > 0 else { throw VPPError(.badData, "PV profile CSV: no energy in column \"\(column)\"") }
        return PVYieldProfile(monthShare: sums.map { $0 / total }, source: "computed from CSV column \(column)")
    }
}
