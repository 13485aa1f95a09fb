import Foundation
import Testing
@testable import Tracking
import Forecast
import VPPConfig
import VPPStore
import VPPTestSupport
@testable import VPPCore

@Suite("Counting: monthly spread and PV orientation")
struct CountingSpreadTests {
    @Test("monthly spread with the dong's measured interval shape")
    func spreadWithDongShape() async throws {
        // Dong B gets an interval meter of another complex (다 apt): 1 kWh/h at 0–11 h, 3 kWh/h at
        // 12–23 h all August. apt-b's 2,976 kWh monthly: Σw = 31 × (12 × 1 + 12 × 3) = 1,488,
        // so 2 kWh in each 0–11 h hour and 6 kWh in each 12–23 h hour: 96 kWh a day, 2,976 in all.
        // A day of dong B: 48 measured + 96 estimated = 144 kWh, 66.67 % from monthly.
        let env = try await CountingEnv(toml: CountingEnv.siteTOML(dongB: """

            [[dong.meter]]
            id = "apt-c"
            complex = "다 apt"
            """))
        try await env.ingestAugust("apt-c") { _, h in h < 12 ? 1 : 3 }
        try await env.ingestMonthly("apt-b", rows: [(101, 101, 1000, 2976), (101, 102, 500, 1500)])
        let r = try await env.report()
        let days = r.daily.filter { $0.level == .dong && $0.dongCode == CountingEnv.codeB }
        #expect(days.count == 31)
        for d in days {
            #expect(d.consumptionKWh == 144, "\(d.bucket)")
            #expect(d.consumptionFromMonthlyKWh == 96, "\(d.bucket)")
            #expect(d.consumptionFromMonthlySharePct == 66.67, "\(d.bucket)")
        }
        let check = try #require(r.counting.monthlyChecks.first { $0.meterID == "apt-b" })
        #expect(check.shape.hasPrefix("dong \(CountingEnv.codeB) measured interval load (744 of 744 hours"))
        #expect(check.estimatedKWh == 2976)
    }

    @Test("monthly spread partly covered by interval data: only the hours without it are estimated")
    func partlyCovered() async throws {
        // apt-b has interval data (2 kWh/h) on Aug 1–10 only; its 1,008 kWh monthly upload is spread
        // by the dong's own shape (its measured hours, and the same day type/hour means elsewhere:
        // flat 2 kWh) → 1,008 / 744 kWh per hour, added only in the 504 hours of Aug 11–31.
        let env = try await CountingEnv()
        try await env.ingestAugust("apt-b", days: 1...10) { _, _ in 2 }
        try await env.ingestMonthly("apt-b", rows: [(101, 101, 100, 600), (101, 102, 200, 708)])
        let r = try await env.report()
        let check = try #require(r.counting.monthlyChecks.first { $0.meterID == "apt-b" })
        #expect(check.used == .mixed); #expect(check.intervalHours == 240); #expect(check.differenceKWh == nil)
        let perHour = 1_008_000.0 / 744
        #expect(near(check.estimatedKWh, 504 * perHour.rounded() / 1000, 1e-6))
        let days = r.daily.filter { $0.level == .dong && $0.dongCode == CountingEnv.codeB }
        #expect(days.first { $0.bucket == "2025-08-05" }?.consumptionKWh == 48)
        #expect(days.first { $0.bucket == "2025-08-05" }?.consumptionFromMonthlyKWh == 0)
        #expect(days.first { $0.bucket == "2025-08-20" }?.consumptionKWh == 24 * perHour.rounded() / 1000)
    }

    @Test("without a standard profile and without interval load the spread is flat, and says so")
    func flatWithoutProfile() async throws {
        let env = try await CountingEnv(toml: CountingEnv.siteTOML(profile: false))
        try await env.ingestMonthly("apt-b", rows: [(101, 101, 1000, 1744)])
        let r = try await env.report()
        let check = try #require(r.counting.monthlyChecks.first { $0.meterID == "apt-b" })
        #expect(check.shape.hasPrefix("flat"))
        #expect(r.daily.filter { $0.level == .dong && $0.dongCode == CountingEnv.codeB }.allSatisfy { $0.consumptionKWh == 24 })
    }

    @Test("orientation: an east-facing unmetered fleet is estimated with the clear-sky ratio to the metered south fleet")
    func orientation() async throws {
        let toml = CountingEnv.siteTOML().replacingOccurrences(
            of: "units = 10\nunit_w = 500\ntilt_deg = 30\nazimuth_deg = 180", with: "units = 10\nunit_w = 500\ntilt_deg = 70\nazimuth_deg = 90")
        #expect(toml != CountingEnv.siteTOML())
        let env = try await CountingEnv(toml: toml)
        try await env.ingestAugust("pv-a-roof", kind: .pv) { _, h in (6...18).contains(h) ? 5 : 0 }
        let from = KSTDateTime(year: 2025, month: 8, day: 1).epochSeconds, to = KSTDateTime(year: 2025, month: 8, day: 2).epochSeconds
        let roll = try await env.store.storage.readings.hourlyRollups(dongCodes: [CountingEnv.codeA, CountingEnv.codeB], from: from, to: to)
        let dongs = env.config.dongs
        let out = try await CountingAdjuster(storage: env.store.storage, config: env.config).adjust(dongs, rollups: roll, from: from, to: to)
        let a = try #require(env.config.dong(code: CountingEnv.codeA))
        let linke = LinkeTurbidity(site: env.config.site)
        let south = PVSystem(fleet: a.pvFleets[0], dong: a, linke: linke), east = PVSystem(fleet: a.pvFleets[1], dong: a, linke: linke)
        let cs = ClearSkyHours(systems: ["s": south, "e": east], airTempC: 20, windMS: 1)
        var morning = 0.0, afternoon = 0.0
        for h in 6...18 {
            let t = KSTDateTime(year: 2025, month: 8, day: 1, hour: h).epochSeconds
            let got = try #require(out.hours[CountingEnv.codeA]?[t]?.pvEstimatedWh)
            let expected = (5000 * cs.wh("e", hour: t) / cs.wh("s", hour: t)).rounded()
            #expect(abs(got - expected) <= 1, "hour \(h): \(got) vs \(expected)")
            if h < 12 { morning += got } else { afternoon += got }
        }
        // East-facing: more in the morning than in the afternoon for the same reference.
        #expect(morning > afternoon)
    }

    @Test("no metered PV anywhere: the clear-sky model is used and the report says so")
    func clearSkyFallback() async throws {
        let env = try await CountingEnv()
        try await env.ingestAugust("feeder-a") { _, _ in 10 }
        let r = try await env.report()
        #expect(r.counting.notes.contains { $0.contains("clear-sky output (an upper bound") })
        let roof = try #require(r.counting.pvEstimates.first { $0.fleetID == "pv-a-roof" })
        #expect((roof.byMethodKWh["clear_sky_model"] ?? 0) > 0)
    }
}

@Suite("Counting: the standard residential profile is derived from the GIST apartment feeders")
struct StandardLoadProfileDerivationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var csv: String { root.appendingPathComponent("../shared/data/gist-campus/load_hourly_by_feeder.csv").path }

    @Test("recomputing the derivation gives the seodaemun.toml table (3 decimals)",
          .enabled(if: FileManager.default.fileExists(atPath: csv)))
    func derivation() throws {
        let text = try String(contentsOfFile: Self.csv, encoding: .utf8)
        // timestamp_kst,date,hour_label,report,feeder_ko,active_power_kw,...
        var power: [Int64: Double] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 6, f[4] == "기혼자아파트E동" || f[4] == "교원아파트", let kw = Double(f[5]) else { continue }
            guard let t = KSTDateTime.parse(String(f[0])) else { continue }
            power[t.epochSeconds, default: 0] += kw
        }
        #expect(power.count == 62 * 24)
        let holidays = KoreanHolidays()
        var sum = [[Double]](repeating: [Double](repeating: 0, count: 24), count: 2), n = sum
        for (t, p) in power {
            guard let next = power[t + 3600] else { continue }
            let dt = CountingAdjuster.isWorkingDay(epoch: t, holidays: holidays) ? 0 : 1
            let h = KSTDateTime(epochSeconds: t).hour
            sum[dt][h] += (p + next) / 2; n[dt][h] += 1
        }
        #expect(n[0][0] == 43); #expect(n[1][0] == 19)
        let mean = (0..<2).map { k in (0..<24).map { sum[k][$0] / n[k][$0] } }
        let base = mean[0].reduce(0, +) / 24
        let c = try SiteConfigParser().parse(fileAt: Self.root.appendingPathComponent("site-configs/seodaemun.toml").path)
        let p = try #require(c.standardLoadProfile)
        for h in 0..<24 {
            #expect(abs(p.workingDayPU[h] - mean[0][h] / base) < 0.0005, "working \(h)")
            #expect(abs(p.weekendPU[h] - mean[1][h] / base) < 0.0005, "weekend \(h)")
        }
    }
}
