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
        /// The model each dong's PV used (also in the run's params_json under `pv_models`).
        public var pvModels: [String: PVGroupForecaster.Choice] = [:]
        /// The PV forecast per dong and slot, with the uncorrected physical value.
        public var pv: [DongSlotForecast] = []
        public var lines: [String] {
            let pvKWh = String(format: "%.1f", pvTotal.kWh), loadKWh = String(format: "%.1f", loadTotal.kWh)
            let grouped = pvModels.values.contains { $0.source != "physical" }
            let model: String
            if let id = correctionModelID { model = ", learned correction #\(id)" } else { model = grouped ? ", group models" : ", physical model only" }
            var out = ["forecast run \(runID): \(slots) slots, PV for \(dongsWithPV) dongs (\(pvKWh) kWh\(model)), "
                       + "load for \(dongsWithLoad) dongs (\(loadKWh) kWh)"]
            for (code, c) in pvModels.sorted(by: { $0.key < $1.key }) { out.append("  PV \(code): \(c.label)") }
            return out
        }
    }

    public static func run(storage: Storage, site: SiteConfig, start: Int64, slots: Int, length: SlotLength,
                           weather: [String: WeatherSeries], issuedAt: Int64) async throws -> Summary {
        // PV: each dong's newest group model (own, borrowed, legacy global correction or physical).
        let chosen = try await PVGroupForecaster.choose(site: site, forecasts: storage.forecasts)
        let pv = PVGroupForecaster.forecast(site: site, models: chosen.mapValues { $0.0 }, from: start, slots: slots, length: length,
                                            weather: weather)
        let choices = chosen.mapValues { $0.1 }
        let correctionID = choices.values.first { $0.source == "legacy-global" }?.modelID
        var values = pv.map { ForecastValue(dongCode: $0.dongCode, quantity: "pv", slotStart: $0.slot.start,
                                            durationS: length.seconds, value: $0.pv) }
        var pvTotal = WattHours.zero
        for v in values { pvTotal += v.value }
        // Load: hourly consumption of the 8 weeks before the start, only hours complete when the
        // run is issued (a day-ahead run issued at D-1 09:00 must not see D-1's later hours).
        let historyEnd = min(start, issuedAt.floorDiv(3600) * 3600)
        let holidays = KoreanHolidays()
        var loadTotal = WattHours.zero, dongsWithLoad = 0
        for d in site.dongs {
            let hist = try await storage.readings.hourlyConsumption(dong: d.code, from: start - 56 * 86_400, to: historyEnd)
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
        let params = try RunParams(pv: choices.values.contains { $0.source != "physical" } ? "physical+group-models" : "physical+none",
                                   load: "profile-holiday-temperature", pvModels: choices).json()
        let runID = try await storage.forecasts.insertForecastRun(siteID: site.site.id, issuedAt: issuedAt, kind: "day-ahead", horizonS: Int64(slots * length.seconds),
                                                stepS: Int64(length.seconds), model: "vpp-forecast-1", paramsJSON: params,
                                                values: values)
        return Summary(runID: runID, slots: slots, dongsWithPV: Set(pv.map(\.dongCode)).count, dongsWithLoad: dongsWithLoad,
                       pvTotal: pvTotal, loadTotal: loadTotal, correctionModelID: correctionID, pvModels: choices, pv: pv)
    }
}

/// The params_json of a stored run: model names and, per dong, which PV model was used
/// (`pv_models`: source own|borrowed|legacy-global|physical, model_id, from_group, label).
struct RunParams: Encodable {
    var pv: String
    var load: String
    var pvModels: [String: PVGroupForecaster.Choice]
    enum CodingKeys: String, CodingKey { case pv, load, pvModels = "pv_models" }
    func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}
