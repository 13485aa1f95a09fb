import Foundation
import Testing
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
@testable import Forecast

/// Dispatch inputs from the store (issue 11, item 5): stored forecast → own readings → nominal.
@Suite("Dispatch inputs from the store")
struct HorizonInputsTests {
    static let code = "1141052000"
    static func site() -> SiteConfig {
        SiteConfig(site: SiteInfo(id: "t", name: "t", nameKo: "t"), dongs: [
            DongConfig(code: code, nameKo: "천연동", name: "Cheonyeon-dong", latitudeDeg: 37.57121, longitudeDeg: 126.95714,
                       households: 1000, pvFleets: [PVFleetConfig(id: "roof", kind: .rooftop, units: 1, unitW: 100_000, tiltDeg: 30, azimuthDeg: 180)]),
        ])
    }
    static let nominal = HorizonInputs.Nominal(meanHouseholdKW: 0.42, participation: 0.05)

    /// Consumption rollups for the 28 days before `start`: 10 kWh per hour on working days,
    /// 30 on Saturdays, 50 on Sundays and public holidays (no PV metered).
    static func loadHistory(_ store: SQLiteStore, before start: Int64) async throws {
        var rows: [(dongCode: String, rollup: HourlyRollup)] = []
        for h in 0..<(28 * 24) {
            let e = start - Int64(28 * 24 - h) * 3600
            let t = KSTDateTime(epochSeconds: e)
            let sunday = KST.daysFromCivil(year: t.year, month: t.month, day: t.day) % 7 == 3   // 1970-01-01 was a Thursday
            let saturday = KST.daysFromCivil(year: t.year, month: t.month, day: t.day) % 7 == 2
            let holiday = KoreanHolidays().isHoliday(epoch: e)
            let kWh: Int64 = sunday || holiday ? 50 : saturday ? 30 : 10
            rows.append((code, HourlyRollup(hourStart: e, consumptionWh: kWh * 1000, generationCoveredS: 0)))
        }
        try await store.replaceRollups(rows)
    }

    @Test("Newest forecast issued before now per slot, then same-day-type readings, then nominal; sources counted")
    func forecastThenReadingsThenNominal() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let start = KSTDateTime(year: 2024, month: 7, day: 3).epochSeconds   // a Wednesday
        let site = Self.site()
        func load(_ hour: Int, _ wh: Int64) -> ForecastValue {
            ForecastValue(dongCode: Self.code, quantity: "load", slotStart: start + Int64(hour * 3600), durationS: 3600, value: WattHours(wh))
        }
        let older = try await store.insertForecastRun(issuedAt: start - 86_400, kind: "day-ahead", horizonS: 7200, stepS: 3600, model: "t",
                                                      values: [load(0, 3000), load(1, 9000)])
        let newer = try await store.insertForecastRun(issuedAt: start - 3600, kind: "day-ahead", horizonS: 3600, stepS: 3600, model: "t",
                                                      values: [load(1, 5000)])
        let late = try await store.insertForecastRun(issuedAt: start + 3600, kind: "day-ahead", horizonS: 3600, stepS: 3600, model: "t",
                                                     values: [load(0, 1000)])
        try await Self.loadHistory(store, before: start)
        let i = try await HorizonInputs.build(storage: store.storage, site: site, start: start, step: .quarterHour, slots: 16, now: start,
                                              nominal: Self.nominal)
        let d = try #require(i.dongs.first)
        // Hour 0 from the older run (the late one was issued after `now`), hour 1 from the newer.
        #expect(d.loadKW[0..<4].allSatisfy { $0 == 3 })
        #expect(d.loadKW[4..<8].allSatisfy { $0 == 5 })
        // Hours 2–3: the working-day mean of the last 4 weeks. 2024-06-06 (현충일) falls in the window
        // and counts as a holiday: were it a working day, the mean would be (19 × 10 + 50) / 20 = 12.
        #expect(d.loadKW[8..<16].allSatisfy { $0 == 10 })
        #expect(d.loadSource.forecastRuns == [older: 4, newer: 4] && d.loadSource.readings == 8 && d.loadSource.nominal == 0)
        #expect(d.loadSource.forecastRuns[late] == nil)
        // No PV metered: nominal clear-sky output, zero at night.
        #expect(d.pvSource.nominal == 16 && d.pvKW.allSatisfy { $0 == 0 })
        #expect(i.summary == "\(Self.code): load forecast run \(newer): 4, forecast run \(older): 4, own readings: 8; pv nominal (config): 16")

        // --forecast-run: only that run, whatever its issue time.
        let only = try await HorizonInputs.build(storage: store.storage, site: site, start: start, step: .quarterHour, slots: 4, now: start,
                                                 forecastRunID: late, nominal: Self.nominal)
        #expect(only.dongs[0].loadKW == [1, 1, 1, 1])
        await #expect(throws: ForecastError.self) {
            _ = try await HorizonInputs.build(storage: store.storage, site: site, start: start, step: .quarterHour, slots: 4, now: start,
                                              forecastRunID: 999, nominal: Self.nominal)
        }

        // A Saturday horizon takes the Saturday mean.
        let sat = KSTDateTime(year: 2024, month: 7, day: 6, hour: 2).epochSeconds
        let s = try await HorizonInputs.build(storage: store.storage, site: site, start: sat, step: .hour, slots: 1, now: start,
                                              nominal: Self.nominal)
        #expect(s.dongs[0].loadKW == [30] && s.dongs[0].loadSource.readings == 1)
    }

    @Test("PV from yesterday's metered output scaled by the clear-sky ratio; no data at all gives nominal figures")
    func pvFromYesterdayAndNominal() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let site = Self.site()
        let start = KSTDateTime(year: 2024, month: 7, day: 3).epochSeconds
        // Nothing stored: nominal load = 1000 households × 0.05 × 0.42 kW = 21 kW; PV = clear-sky output.
        let n = try await HorizonInputs.build(storage: store.storage, site: site, start: start, step: .hour, slots: 24, now: start,
                                              nominal: Self.nominal)
        let clear = ClearSkyDong(dong: site.dongs[0], linke: LinkeTurbidity(site: site.site))
        #expect(n.dongs[0].loadKW.allSatisfy { abs($0 - 21) < 1e-9 })
        #expect(n.dongs[0].pvKW[0] == 0 && n.dongs[0].pvKW[12] > 50 && n.dongs[0].pvKW[12] <= 100)
        #expect(n.dongs[0].pvKW[12] == clear.kW(from: start + 12 * 3600, seconds: 3600))
        #expect(n.dongs[0].loadSource.nominal == 24 && n.dongs[0].pvSource.nominal == 24)

        // Yesterday 12:00–13:00 metered 60 kWh; 06:00–07:00 metered 2 kWh (clear sky there is under 5 % of the peak).
        let y = start - 86_400
        try await store.replaceRollups([
            (Self.code, HourlyRollup(hourStart: y + 12 * 3600, generationWh: 60_000, consumptionCoveredS: 0)),
            (Self.code, HourlyRollup(hourStart: y + 13 * 3600, generationWh: 55_000, consumptionCoveredS: 0)),
            (Self.code, HourlyRollup(hourStart: y + 5 * 3600, generationWh: 1_000, consumptionCoveredS: 0)),
        ])
        let i = try await HorizonInputs.build(storage: store.storage, site: site, start: start, step: .quarterHour, slots: 96, now: start,
                                              nominal: Self.nominal)
        let d = i.dongs[0]
        // 12:00 step (slot 48): 60 kW × clear-sky(today 12:00–12:15) / clear-sky(yesterday 12:00–13:00).
        let expected = 60 * clear.kW(from: start + 12 * 3600, seconds: 900) / clear.kW(from: y + 12 * 3600, seconds: 3600)
        #expect(abs(d.pvKW[48] - expected) < 1e-9 && abs(d.pvKW[48] - 60) < 3)
        #expect(d.pvKW[52] > 0 && abs(d.pvKW[52] - 55) < 3)
        // 05:00 (dawn): the day's clear-sky index × the slot's clear-sky output, not a ratio of two tiny numbers.
        let csRef = clear.kW(from: y + 5 * 3600, seconds: 3600)
        #expect(csRef < 0.05 * clear.peakKW)
        let dayIndex = 116.0 / (clear.kW(from: y + 5 * 3600, seconds: 3600) + clear.kW(from: y + 12 * 3600, seconds: 3600)
                                + clear.kW(from: y + 13 * 3600, seconds: 3600))
        #expect(clear.kW(from: start + 5 * 3600 + 2700, seconds: 900) > 0)
        #expect(abs(d.pvKW[23] - min(dayIndex, 1.2) * clear.kW(from: start + 5 * 3600 + 2700, seconds: 900)) < 1e-9)
        #expect(d.pvSource.readings == 12 && d.pvSource.nominal == 84)
        // Readings after `now` are never used: a plan made before yesterday's noon falls back to nominal there.
        let early = try await HorizonInputs.build(storage: store.storage, site: site, start: start, step: .hour, slots: 24, now: y + 12 * 3600,
                                                  nominal: Self.nominal)
        #expect(early.dongs[0].pvSource.readings == 1)   // only 05:00, metered before that `now`
    }
}
