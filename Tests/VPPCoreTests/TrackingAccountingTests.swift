import Foundation
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
@testable import VPPCore
import VPPTestSupport

@Suite("Tracking: hourly energy accounting (hand-computed)")
struct TrackingAccountingTests {
    /// η_rt = 0.95 × 0.95 = 0.9025.
    /// Hour 1: PV 10 kWh, load 4 kWh, charge 5 kWh → direct 4, surplus 6, PV charge 5, store +4.5125 kWh,
    ///         loss 5 × 0.0975 = 0.4875 kWh, export 10 − 4 − 5 = 1 kWh.
    /// Hour 2: load 6 kWh, discharge 4 kWh, all PV-tagged → PV via storage 4, import 2.
    /// Renewable 8 of 10 kWh consumed = 80 % RE100.
    @Test func storedPVComesBackDeRated() {
        var a = DongEnergyAccountant(roundTripEfficiency: 0.95 * 0.95)
        let h1 = a.account(HourlyRollup(hourStart: 0, generationWh: 10_000, consumptionWh: 4_000, chargeWh: 5_000))
        #expect(h1.directPV == 4_000)
        #expect(abs(h1.storageLoss - 487.5) < 1e-9)
        #expect(h1.imported == 0 && h1.exported == 1_000)
        #expect(abs(a.pvStoredWh - 4_512.5) < 1e-9)
        let h2 = a.account(HourlyRollup(hourStart: 3600, generationWh: 0, consumptionWh: 6_000, dischargeWh: 4_000))
        #expect(h2.pvViaStorage == 4_000)
        #expect(h2.imported == 2_000 && h2.exported == 0)
        var t = h1; t.add(h2)
        #expect(t.renewable == 8_000)
        #expect(t.renewable / t.consumption == 0.8)
        #expect(abs(a.pvStoredWh - 512.5) < 1e-9)
    }

    /// Grid-charged energy is not renewable: 2 kWh from the grid at night, then 1 kWh from a PV
    /// surplus: the store holds 1.805 grid + 0.9025 PV; a 1.3 kWh discharge is 1/3 PV.
    @Test func wellMixedStoreSplitsDischargeByOrigin() {
        var a = DongEnergyAccountant(roundTripEfficiency: 0.9025)
        _ = a.account(HourlyRollup(hourStart: 0, consumptionWh: 500, chargeWh: 2_000))
        let noon = a.account(HourlyRollup(hourStart: 3600, generationWh: 3_000, consumptionWh: 2_000, chargeWh: 1_000))
        #expect(noon.exported == 0 && noon.imported == 0)
        let eve = a.account(HourlyRollup(hourStart: 7200, consumptionWh: 2_000, dischargeWh: 1_300))
        #expect(abs(eve.pvViaStorage - 1_300.0 / 3) < 1e-9)
        #expect(abs(eve.imported - 700) < 1e-9)
    }

    /// Discharge beyond the load PV left uncovered is exported and does not count as renewable.
    @Test func dischargeToGridIsNotSelfConsumed() {
        var a = DongEnergyAccountant(roundTripEfficiency: 1)
        _ = a.account(HourlyRollup(hourStart: 0, generationWh: 5_000, consumptionWh: 0, chargeWh: 5_000))
        let t = a.account(HourlyRollup(hourStart: 3600, generationWh: 0, consumptionWh: 1_000, dischargeWh: 3_000))
        #expect(t.pvViaStorage == 1_000)
        #expect(t.exported == 2_000)
    }

    /// Metered import/export in the rollup win over the balance.
    @Test func meteredImportExportAreKept() {
        var a = DongEnergyAccountant(roundTripEfficiency: 1)
        let t = a.account(HourlyRollup(hourStart: 0, generationWh: 1_000, consumptionWh: 3_000, importWh: 2_100, exportWh: 50))
        #expect(t.imported == 2_100 && t.exported == 50)
        let u = a.account(HourlyRollup(hourStart: 3600, generationWh: 1_000, consumptionWh: 3_000))
        #expect(u.imported == 2_000 && u.exported == 0)
    }

    @Test func roundTripEfficiencyIsCapacityWeighted() {
        let d = DongConfig(code: "1", nameKo: "가", name: "a", latitudeDeg: 0, longitudeDeg: 0, households: 1, batteries: [
            BatteryConfig(id: "a", capacityKWh: 100, maxChargeKW: 50, maxDischargeKW: 50, chargeEfficiency: 0.95, dischargeEfficiency: 0.95),
            BatteryConfig(id: "b", capacityKWh: 300, maxChargeKW: 50, maxDischargeKW: 50, chargeEfficiency: 0.9, dischargeEfficiency: 0.9),
        ])
        // (100 × 0.9025 + 300 × 0.81) / 400 = 0.833125
        #expect(abs(DongEnergyAccountant.roundTripEfficiency(of: d) - 0.833125) < 1e-12)
    }
}

@Suite("Tracking: period parsing (KST)")
struct TrackingPeriodTests {
    @Test func monthYearAndRange() throws {
        let m = try ReportPeriod.parse("2024-07")
        #expect(m.kind == .month && m.days == 31)
        #expect(m.start == 1_719_759_600)          // 2024-07-01T00:00+09:00 = 2024-06-30T15:00Z
        let r = try ReportPeriod.parse("2024-07-01..2024-07-31")
        #expect(r.kind == .range && r.start == m.start && r.end == m.end)
        let y = try ReportPeriod.parse("2024")
        #expect(y.days == 366 && y.start == KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds)
        let one = try ReportPeriod.parse("2024-02-29..2024-02-29")
        #expect(one.days == 1)
    }

    @Test(arguments: ["2024-13", "24-07", "2024-07-31..2024-07-01", "2024-02-30..2024-03-01", "last month", "2024-7-1..2024-7-3"])
    func rejectsBadPeriods(_ text: String) {
        #expect(throws: VPPError.self) { try ReportPeriod.parse(text) }
    }
}

@Suite("Tracking: monthly PV yield profile from Dangjin")
struct TrackingPVProfileTests {
    @Test func profileSumsToOneAndMatchesTheRealData() throws {
        let p = PVYieldProfile.dangjin
        #expect(abs(p.monthShare.reduce(0, +) - 1) < 1e-5)
        #expect(p.share(month: 8) > p.share(month: 12))
        let url = Paths.sharedData.appendingPathComponent("pv-dangjin/energy.csv")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            print("skipped: \(url.path) not present"); return
        }
        let computed = try PVYieldProfile.fromDangjinCSV(Array(data))
        for m in 0..<12 { #expect(abs(computed.monthShare[m] - p.monthShare[m]) < 1e-6, "month \(m + 1)") }
    }
}
