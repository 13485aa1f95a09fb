import Foundation
import Testing
@testable import VPPBenchmarks
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
@testable import Forecast

@Suite("Backtest metrics")
struct MetricsTests {
    /// Capacity 100 kW; hours with A ≥ 10 kW count for NMAE.
    /// A = [0, 5, 10, 50, 80], F = [3, 9, 14, 40, 95]
    /// scored: |14−10| + |40−50| + |95−80| = 4 + 10 + 15 = 29 → 29/3/100 = 9.6667 %.
    @Test("KPX NMAE, MAE, RMSE on a hand-checked series")
    func handChecked() throws {
        let a: [Double] = [0, 5, 10, 50, 80], f: [Double] = [3, 9, 14, 40, 95]
        #expect(abs(try #require(ForecastMetrics.kpxNMAE(forecast: f, actual: a, capacityKW: 100)) - 29.0 / 3) < 1e-9)
        let mae = try #require(ForecastMetrics.mae(forecast: f, actual: a))
        let expectedMAE: Double = 36.0 / 5
        #expect(abs(mae - expectedMAE) < 1e-12)
        let rmse = try #require(ForecastMetrics.rmse(forecast: f, actual: a))
        let expectedRMSE: Double = (366.0 / 5).squareRoot()
        #expect(abs(rmse - expectedRMSE) < 1e-12)
        #expect(ForecastMetrics.kpxNMAE(forecast: [1], actual: [9.99], capacityKW: 100) == nil)
        #expect(abs(try #require(ForecastMetrics.skill(model: 6, reference: 8)) - 0.25) < 1e-12)
    }

    @Test("Scores per day: band shares and skill")
    func bands() throws {
        let d0 = KSTDateTime(year: 2019, month: 6, day: 1, hour: 12).epochSeconds
        // Day 1: errors 5 kW on cap 100 → 5 %; day 2: errors 7 → 7 %; day 3: 10 → 10 %.
        var hours: [BacktestHour] = []
        for (i, e) in [5.0, 7.0, 10.0].enumerated() {
            for h in 0..<2 {
                let t = d0 + Int64(i) * 86_400 + Int64(h) * 3600
                hours.append(BacktestHour(slotStart: t, actual: 50, forecast: 50 + e, physical: 50 + 2 * e, persistence: 50 - 2 * e, daylight: true))
            }
        }
        let s = try #require(BacktestScore.score(label: "t", hours: hours, capacityKW: 100))
        #expect(s.days == 3 && s.scoredHours == 6)
        #expect(abs(s.nmaePct - 22.0 / 3) < 1e-9)
        #expect(abs(s.shareDaysWithin6 - 1.0 / 3) < 1e-12)
        #expect(abs(s.shareDaysWithin8 - 2.0 / 3) < 1e-12)
        #expect(abs(s.skillVsPersistence - 0.5) < 1e-12)
        #expect(abs(s.skillVsPhysical - 0.5) < 1e-12)
        let all = BacktestScore.monthlyAndOverall(hours: hours, capacityKW: 100)
        #expect(all.map(\.label) == ["2019-06", "overall"])
    }
}

@Suite("Learned correction")
struct CorrectionTests {
    /// Synthetic truth: actual = 0.8·physical + 0.1·clear-sky·(1 − cloud), plus seeded noise.
    static func rows(seed: UInt64) -> [(PhysicalPV.SlotResult, Double)] {
        var rng = SplitMix64(seed: seed)
        let start = KSTDateTime(year: 2018, month: 3, day: 1).epochSeconds
        var out: [(PhysicalPV.SlotResult, Double)] = []
        for d in 0..<60 {
            let sky = Double(rng.next() % 4 + 1)
            for h in 7..<18 {
                let t = start + Int64(d * 86_400 + h * 3600)
                let cs = 800 * sin(Double(h - 6) / 12 * .pi)
                let w = WeatherPoint(epoch: t, temperatureC: 15, windSpeedMS: 2, humidityPct: 60, sky: sky)
                let phys = cs * (1 - 0.75 * pow(w.cloudFraction, 3.4))
                let r = PhysicalPV.SlotResult(slotStart: t, seconds: 3600, acKW: phys, clearSkyACKW: cs, poa: phys, clearSkyPOA: cs,
                                              ghi: phys, clearSkyGHI: cs, midElevationDeg: 40, weather: w)
                let noise = (Double(rng.next() % 1000) / 1000 - 0.5) * 20
                out.append((r, max(0.8 * phys + 0.1 * cs * (1 - w.cloudFraction) + noise, 0)))
            }
        }
        return out
    }

    @Test("Fit is deterministic for a fixed seed and persists with its window")
    func deterministic() throws {
        let rows = Self.rows(seed: 7)
        let a = try PVCorrectionModel.fit(systemID: "x", capacityKW: 1000, rows: rows, trainFrom: 1, trainTo: 2, seed: 42)
        let b = try PVCorrectionModel.fit(systemID: "x", capacityKW: 1000, rows: rows, trainFrom: 1, trainTo: 2, seed: 42)
        #expect(a == b)
        #expect(a.trainFrom == 1 && a.trainTo == 2 && a.trainRows == rows.count)
        let decoded = try PVCorrectionModel.decode(try a.jsonData())
        #expect(decoded == a)
        // The fit should explain the synthetic truth far better than the raw physical value.
        var errModel = 0.0, errPhys = 0.0
        for (r, y) in rows {
            errModel += abs(a.predictKW(r, acLimitKW: 1000) - y); errPhys += abs(r.acKW - y)
        }
        #expect(errModel < 0.5 * errPhys, "model \(errModel) physical \(errPhys)")
        // Night stays zero.
        var night = rows[0].0; night.clearSkyACKW = 0; night.acKW = 0
        #expect(a.predictKW(night, acLimitKW: 1000) == 0)
    }

    @Test("Too little data is a clear error")
    func tooLittle() {
        #expect(throws: ForecastError.self) {
            _ = try PVCorrectionModel.fit(systemID: "x", capacityKW: 1, rows: Array(Self.rows(seed: 1).prefix(10)), trainFrom: 0, trainTo: 1)
        }
    }
}

@Suite("KMA grid")
struct KMAGridTests {
    @Test("Seoul City Hall → (60, 127)")
    func seoulCityHall() {
        #expect(KMAGrid.gridPoint(latitudeDeg: 37.5665, longitudeDeg: 126.9780) == KMAGridPoint(nx: 60, ny: 127))
    }

    @Test("Projection origin 38 N 126 E sits at grid (43, 136)")
    func origin() {
        #expect(KMAGrid.gridPoint(latitudeDeg: 38, longitudeDeg: 126) == KMAGridPoint(nx: 43, ny: 136))
    }

    @Test("Inverse projection returns to the cell", arguments: [(60, 127), (59, 126), (98, 76), (52, 38), (89, 90)])
    func roundTrip(nx: Int, ny: Int) {
        let c = KMAGrid.coordinate(of: KMAGridPoint(nx: nx, ny: ny))
        #expect(KMAGrid.gridPoint(latitudeDeg: c.latitudeDeg, longitudeDeg: c.longitudeDeg) == KMAGridPoint(nx: nx, ny: ny))
    }

    @Test("Seodaemun dongs fall in the Seoul cells around (59–60, 126–127)")
    func seodaemun() {
        let p = KMAGrid.gridPoint(latitudeDeg: 37.5792, longitudeDeg: 126.9368)
        #expect((58...60).contains(p.nx) && (126...128).contains(p.ny))
    }
}

@Suite("Holidays and load")
struct LoadTests {
    let hol = KoreanHolidays()

    @Test("Lunar and substitute holidays are in the table")
    func holidays() {
        #expect(hol.isHoliday(year: 2021, month: 2, day: 12))    // 설날
        #expect(hol.isHoliday(year: 2024, month: 9, day: 17))    // 추석
        #expect(hol.isHoliday(year: 2023, month: 5, day: 29))    // 대체공휴일(부처님오신날)
        #expect(hol.isHoliday(year: 2021, month: 8, day: 16))    // 대체공휴일(광복절)
        #expect(hol.isHoliday(year: 2026, month: 10, day: 9))    // 한글날
        #expect(!hol.isHoliday(year: 2026, month: 11, day: 23))
        #expect(hol.holidays(in: 2025).count == 20)
    }

    @Test("Day type: Sunday and holidays share a profile; Monday is 0")
    func dayType() {
        #expect(LoadProfileModel.dayType(epoch: KSTDateTime(year: 2026, month: 11, day: 23, hour: 10).epochSeconds, holidays: hol) == 0)
        #expect(LoadProfileModel.dayType(epoch: KSTDateTime(year: 2026, month: 11, day: 22, hour: 10).epochSeconds, holidays: hol) == 6)
        #expect(LoadProfileModel.dayType(epoch: KSTDateTime(year: 2026, month: 9, day: 25, hour: 10).epochSeconds, holidays: hol) == 6)
    }

    /// Synthetic load: weekday 100 + 3·(T − 18)+, Sunday/holiday 60. The model recovers it and
    /// beats seasonal-naive on a week containing a holiday.
    @Test("Profile with temperature response and holidays beats seasonal-naive")
    func loadModel() throws {
        let start = KSTDateTime(year: 2024, month: 6, day: 1).epochSeconds
        var series: [LoadObservation] = []
        for h in 0..<(24 * 90) {
            let t = start + Int64(h) * 3600
            let temp = 20 + 8 * sin(Double(h) / 24 * 2 * .pi) + Double(h / 24 % 5)
            let base = LoadProfileModel.dayType(epoch: t, holidays: hol) == 6 ? 60.0 : 100.0
            series.append(LoadObservation(slotStart: t, kWh: base + 3 * max(temp - 18, 0), temperatureC: temp))
        }
        let m = try LoadProfileModel.fit(history: Array(series.prefix(24 * 60)), length: .hour, holidays: hol, ridge: 1e-6)
        let probe = series[24 * 70 + 14]
        #expect(abs(m.predict(slotStart: probe.slotStart, temperatureC: probe.temperatureC) - probe.kWh) < 0.5)
        let r = try LoadBacktest.run(series: series, length: .hour, testFrom: KSTDateTime(year: 2024, month: 8, day: 12).epochSeconds,
                                     testTo: KSTDateTime(year: 2024, month: 8, day: 26).epochSeconds, holidays: hol)
        #expect(r.modelNMAE < r.naiveNMAE)
        #expect(try #require(r.holidayModelMAPE) < 5)   // 광복절 2024-08-15 (Thursday)
    }
}
