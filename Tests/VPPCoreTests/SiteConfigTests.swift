import Foundation
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport

@Suite("Site config")
struct SiteConfigTests {
    let seodaemun = try! String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)

    @Test func parsesSeodaemun() throws {
        let c = try SiteConfigParser().parse(text: seodaemun, file: "seodaemun.toml")
        #expect(c.version == 1)
        #expect(c.site.id == "seodaemun")
        #expect(c.dongs.count == 14)
        #expect(Set(c.dongs.map(\.code)).count == 14)
        #expect(c.dong(code: "1141052000")?.nameKo == "천연동")
        #expect(c.dong(code: "1141072000")?.name == "Bukgajwa 2-dong")
        // Households sum to the district total in shared/data (143,226, 2021 Q2).
        #expect(c.dongs.reduce(0) { $0 + $1.households } == 143_226)
        #expect(c.batteries.count == 14)
        #expect(c.targets.citySolarKWp == 1_000_000)
        #expect(c.targets.cityTCO2PerYear == 540_000)
        #expect(c.targets.cityMiniSolarHouseholds == 1_000_000)
    }

    @Test func householdsMatchSharedData() throws {
        guard Paths.hasSharedData else { return }
        let c = try SiteConfigParser().parse(text: seodaemun)
        let csv = try String(contentsOf: Paths.sharedData.appendingPathComponent("seodaemun/seodaemun_14_dongs.csv"), encoding: .utf8)
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            let d = try #require(c.dong(code: f[2]))
            #expect(d.nameKo == f[0])
            #expect(d.households == Int(f[7]))
            #expect(abs(d.latitudeDeg - Double(f[4])!) < 1e-9)
        }
    }

    @Test func emissionFactorIsDated() throws {
        let c = try SiteConfigParser().parse(text: seodaemun)
        #expect(c.emissionFactor(forYear: 2023)?.tco2eqPerMWh == 0.4173)
        #expect(c.emissionFactor(forYear: 2022)?.tco2eqPerMWh == 0.4312)
        #expect(c.emissionFactor(forYear: 2025)?.year == 2023)   // latest earlier year
        #expect(c.emissionFactor(forYear: 2019)?.year == 2021)   // earliest known
    }

    @Test func tariffChangesOn20260416() throws {
        let c = try SiteConfigParser().parse(text: seodaemun)
        let before = KSTDateTime(year: 2026, month: 4, day: 15, hour: 19).epochSeconds
        let after = KSTDateTime(year: 2026, month: 4, day: 16, hour: 19).epochSeconds
        #expect(c.tariff(at: before)?.rate(at: before)?.period == .mid)
        #expect(c.tariff(at: after)?.rate(at: after)?.period == .peak)
        let night = KSTDateTime(year: 2026, month: 7, day: 1, hour: 3).epochSeconds
        #expect(c.tariff(at: night)?.rate(at: night)?.rateKRWPerKWh == 94.5)   // 89.4 + 5.1
        let summerPeak = KSTDateTime(year: 2024, month: 7, day: 1, hour: 14).epochSeconds
        #expect(c.tariff(at: summerPeak)?.rate(at: summerPeak)?.rateKRWPerKWh == 163.1)
    }

    /// Replaces the first occurrence of `old` in the Seodaemun config and parses it; returns
    /// the error and the line number (1-based) on which `new` now stands.
    private func parseMutated(_ old: String, _ new: String) -> (error: SiteConfigError, line: Int)? {
        #expect(seodaemun.contains(old), "fixture text not found: \(old)")
        guard let range = seodaemun.range(of: old) else { return nil }
        let text = seodaemun.replacingCharacters(in: range, with: new)
        let line = seodaemun[..<range.lowerBound].filter { $0 == "\n" }.count + 1
        do { _ = try SiteConfigParser().parse(text: text, file: "bad.toml"); return nil }
        catch let e as SiteConfigError { return (e, line) }
        catch { Issue.record("unexpected error \(error)"); return nil }
    }

    @Test func unknownKeyNamesKeyAndLine() throws {
        let (e, line) = try #require(parseMutated("capacity_kwh = 400", "capacity_kwhh = 400"))
        #expect(e.reason == .unknownKey(suggestion: "capacity_kwh"))
        #expect(e.key == "dong[0].battery[0].capacity_kwhh")
        #expect(e.line == line)
        #expect(e.description == "bad.toml:\(line): dong[0].battery[0].capacity_kwhh: unknown key; did you mean capacity_kwh? (every key carries its unit, e.g. capacity_kwh)")
        // A key nothing resembles is reported by finish().
        let (x, xl) = try #require(parseMutated("tilt_deg = 70", "tilt_deg = 70\ncolour = \"blue\""))
        #expect(x.reason == .unknownKey(suggestion: nil))
        #expect(x.key == "dong[0].pv[0].colour")
        #expect(x.line == xl + 1)
    }

    @Test func missingUnitKeyIsAnError() throws {
        // A key without its unit suffix is unknown and the hint names the unit-carrying key.
        let (e, line) = try #require(parseMutated("max_charge_kw = 200", "max_charge = 200"))
        #expect(e.key == "dong[0].battery[0].max_charge")
        #expect(e.reason == .unknownKey(suggestion: "max_charge_kw"))
        #expect(e.line == line)
        // A required key that is simply absent is reported at its table's header line.
        let (m, _) = try #require(parseMutated("max_discharge_kw = 200\n", ""))
        #expect(m.key == "dong[0].battery[0].max_discharge_kw")
        #expect(m.reason == .missingKey)
        let header = seodaemun.components(separatedBy: "\n").firstIndex(of: "[[dong.battery]]")! + 1
        #expect(m.line == header)
    }

    @Test func negativeCapacity() throws {
        let (e, line) = try #require(parseMutated("capacity_kwh = 400", "capacity_kwh = -400"))
        #expect(e.key == "dong[0].battery[0].capacity_kwh")
        #expect(e.description == "bad.toml:\(line): dong[0].battery[0].capacity_kwh: must not be negative, got -400.0")
        #expect(e.line == line)
        let (p, pl) = try #require(parseMutated("unit_w = 325", "unit_w = -325"))
        #expect(p.key == "dong[0].pv[0].unit_w")
        #expect(p.line == pl)
    }

    @Test func socMinAboveMax() throws {
        let (e, line) = try #require(parseMutated("soc_min_pct = 10", "soc_min_pct = 97"))
        #expect(e.key == "dong[0].battery[0].soc_min_pct")
        #expect(e.description.contains("soc_min_pct 97.0 is above soc_max_pct 95.0"))
        #expect(e.line == line)
    }

    @Test func duplicateDongCode() throws {
        let (e, line) = try #require(parseMutated("code = \"1141055500\"", "code = \"1141052000\""))
        #expect(e.key == "dong[1].code")
        #expect(e.description == "bad.toml:\(line): dong[1].code: duplicate dong code 1141052000")
        // Duplicate asset ids across dongs.
        let (a, _) = try #require(parseMutated("id = \"bugahyeon-ess\"", "id = \"cheonyeon-ess\""))
        #expect(a.description.contains("duplicate asset id \"cheonyeon-ess\""))
    }

    @Test func wrongTypeAndBadVersion() throws {
        let (t, tl) = try #require(parseMutated("households = 7768", "households = \"many\""))
        #expect(t.reason == .wrongType(expected: "an integer"))
        #expect(t.key == "dong[0].households")
        #expect(t.line == tl)
        let (v, vl) = try #require(parseMutated("version = 1", "version = 7"))
        #expect(v.reason == .unsupportedVersion(7))
        #expect(v.line == vl)
    }

    @Test func syntaxErrorHasLine() throws {
        let (e, line) = try #require(parseMutated("[site]", "[site"))
        guard case .syntax = e.reason else { Issue.record("expected syntax error, got \(e)"); return }
        #expect(e.line == line)
    }

    @Test func tariffHoursMustCoverTheDay() throws {
        let (e, _) = try #require(parseMutated("hours_kst = [18, 19, 20]", "hours_kst = [18, 19]"))
        #expect(e.description.contains("hour 20 is covered by 0 periods"))
    }

    @Test func badDongCode() throws {
        let (e, _) = try #require(parseMutated("code = \"1141052000\"", "code = \"11410\""))
        #expect(e.key == "dong[0].code")
        #expect(e.description.contains("10-digit"))
    }
}
