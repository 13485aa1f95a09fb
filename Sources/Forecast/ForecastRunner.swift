import Foundation
import VPPCore
import VPPStore

/// Weather sources for a forecast run.
public enum ForecastWeather {
    /// The KMA forecast for each dong's grid cell (dongs sharing a cell share one request).
    public static func fromKMA(client: KMAClient, dongs: [DongConfig], now: Int64) async throws -> [String: WeatherSeries] {
        let base = KMAClient.latestBase(now: now)
        var byGrid: [KMAGridPoint: WeatherSeries] = [:]
        var out: [String: WeatherSeries] = [:]
        for d in dongs {
            let g = KMAGrid.gridPoint(latitudeDeg: d.latitudeDeg, longitudeDeg: d.longitudeDeg)
            if byGrid[g] == nil {
                let items = try await client.villageForecast(baseDate: base.date, baseTime: base.time, grid: g, now: now)
                byGrid[g] = KMAReplyParser.weatherSeries(items)
            }
            out[d.code] = byGrid[g]
        }
        return out
    }
}

/// Makes a forecast run for every dong: PV (physical chain + stored learned correction, if any)
/// and load (profile model on the dong's stored hourly consumption), and stores it.
public enum ForecastRunner {
    public static let correctionModelName = "pv-correction"

    public struct Summary: Sendable {
        public var runID: Int64
        public var slots: Int
        public var dongsWithPV: Int
        public var dongsWithLoad: Int
        public var pvTotal: WattHours
        public var loadTotal: WattHours
        public var correctionModelID: Int64?
        public var lines: [String] {
            ["forecast run \(runID): \(slots) slots, PV for \(dongsWithPV) dongs (\(String(format: "%.1f", pvTotal.kWh)) kWh"
             + (correctionModelID.map { ", learned correction #\($0)" } ?? ", physical model only") + "), "
             + "load for \(dongsWithLoad) dongs (\(String(format: "%.1f", loadTotal.kWh)) kWh)"]
        }
    }

    public static func run(storage: Storage, site: SiteConfig, start: Int64, slots: Int, length: SlotLength,
                           weather: [String: WeatherSeries], issuedAt: Int64) async throws -> Summary {
        var correction: PVCorrectionModel? = nil
        var correctionID: Int64? = nil
        if let m = try await storage.forecasts.latestForecastModel(name: correctionModelName) {
            correction = try PVCorrectionModel.decode(Data(m.paramsJSON.utf8)); correctionID = m.id
        }
        let pv = DistrictPVForecaster(dongs: site.dongs, linke: LinkeTurbidity(site: site.site), correction: correction)
            .forecast(from: start, slots: slots, length: length) { weather[$0.code] }
        var values = pv.map { ForecastValue(dongCode: $0.dongCode, quantity: "pv", slotStart: $0.slot.start,
                                            durationS: length.seconds, value: $0.pv) }
        var pvTotal = WattHours.zero
        for v in values { pvTotal += v.value }
        // Load: hourly consumption of the last 8 weeks before the start.
        let holidays = KoreanHolidays()
        var loadTotal = WattHours.zero, dongsWithLoad = 0
        for d in site.dongs {
            let hist = try await storage.readings.hourlyConsumption(dong: d.code, from: start - 56 * 86_400, to: start)
            guard hist.count >= 7 * 24 else { continue }
            let obs = hist.map { LoadObservation(slotStart: $0.hourStart, kWh: Double($0.wh) / 1000) }
            let model = try LoadProfileModel.fit(history: obs, length: .hour, holidays: holidays)
            let w = weather[d.code]
            for k in 0..<slots {
                let t = start + Int64(k * length.seconds)
                let hourStart = t - ((t % 3600) + 3600) % 3600
                let kWhPerHour = model.predict(slotStart: hourStart, temperatureC: w?.at(t)?.temperatureC)
                let v = WattHours(kWh: kWhPerHour * length.hours)
                values.append(ForecastValue(dongCode: d.code, quantity: "load", slotStart: t, durationS: length.seconds, value: v))
                loadTotal += v
            }
            dongsWithLoad += 1
        }
        guard !values.isEmpty else {
            throw ForecastError.insufficientData("no forecast made: no weather covers the horizon and no dong has load history")
        }
        let params = #"{"pv":"physical+\#(correction == nil ? "none" : "ridge")","load":"profile-holiday-temperature"}"#
        let runID = try await storage.forecasts.insertForecastRun(issuedAt: issuedAt, kind: "day-ahead", horizonS: Int64(slots * length.seconds),
                                                stepS: Int64(length.seconds), model: "vpp-forecast-1", paramsJSON: params,
                                                values: values)
        return Summary(runID: runID, slots: slots, dongsWithPV: Set(pv.map(\.dongCode)).count, dongsWithLoad: dongsWithLoad,
                       pvTotal: pvTotal, loadTotal: loadTotal, correctionModelID: correctionID)
    }
}
