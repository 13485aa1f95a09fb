import VPPConfig
import VPPStoreSQLite
import Tracking
import Ingestion
import Forecast
import Dispatcher
import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// Physical model with measured irradiance: GIST campus (shared/data/gist-campus) on-site
/// plane-of-array irradiance and module temperature → PVWatts DC → inverter, against each
/// array's metered hourly energy. The data holds no nameplate capacities, so each array's DC
/// capacity is estimated on the first half of the period (least squares through the origin)
/// and errors are reported on the second half.
public enum GISTValidation {
    public struct ArrayResult: Sendable, Equatable {
        public var array: String
        /// Estimated effective DC capacity [kW].
        public var estimatedDCKW: Double
        public var testHours: Int
        /// Error on test hours with sun: MAE [kWh], RMSE [kWh], NMAE of capacity over hours ≥ 10 % (KPX style) [%],
        /// correlation of modelled and metered hourly energy.
        public var maeKWh: Double, rmseKWh: Double, nmaePct: Double, correlation: Double
    }

    public static func run(directory: String) throws -> [ArrayResult] {
        // Weather station: instantaneous values at hh:00 (SOURCE.txt); hour-ending energy at h is
        // modelled from the mean of the readings at h−1 and h.
        var poa: [Int64: Double] = [:], tmod: [Int64: Double] = [:]
        let ws = try readFileBytes(directory + "/pv_weather_station_hourly.csv")
        try CSVRecords.forEach(ws) { line, f in
            guard line > 1, f.count >= 7 else { return }
            guard let t = KSTDateTime.parse(utf8: f[0]) else {
                throw ForecastError.badData(path: "pv_weather_station_hourly.csv", line: line, column: 1, reason: "bad time")
            }
            if let p = csvDouble(f[5]) { poa[t.epochSeconds] = p }
            if let m = csvDouble(f[6]) { tmod[t.epochSeconds] = m }
        }
        var energy: [String: [Int64: Double]] = [:]
        let pv = try readFileBytes(directory + "/pv_hourly_by_building.csv")
        try CSVRecords.forEach(pv) { line, f in
            guard line > 1, f.count >= 8 else { return }
            guard let t = KSTDateTime.parse(utf8: f[0]) else {
                throw ForecastError.badData(path: "pv_hourly_by_building.csv", line: line, column: 1, reason: "bad time")
            }
            // cum_diff_kwh = energy in the hour ENDING at the stamp; drop register glitches.
            guard let e = csvDouble(f[7]), e >= 0, e <= 200 else { return }
            energy[f.string(4), default: [:]][t.epochSeconds] = e
        }
        let times = poa.keys.sorted()
        guard let first = times.first, let last = times.last else { throw ForecastError.insufficientData("GIST: no weather rows") }
        let split = first + (last - first) / 2
        var results: [ArrayResult] = []
        for name in energy.keys.sorted() {
            let series = energy[name]!
            // Model per 1 kW DC: PVWatts DC with module temperature + 3 °C (Sandia ΔT at 1000 W/m²,
            // King et al. 2004) as cell temperature, 3 % wiring/mismatch, PVWatts inverter.
            var pairs: [(t: Int64, model1kW: Double, actual: Double)] = []
            for (t, a) in series {
                guard let p0 = poa[t - 3600], let p1 = poa[t], let m0 = tmod[t - 3600], let m1 = tmod[t] else { continue }
                let e = (p0 + p1) / 2, tc = (m0 + m1) / 2 + 3 * e / 1000
                let dc = PVModel.pvwattsDC(effectiveIrradiance: e, cellTempC: tc, pdc0: 1) * 0.97
                pairs.append((t, PVModel.pvwattsAC(pdc: dc, pac0: 1), a))
            }
            let train = pairs.filter { $0.t < split && $0.model1kW > 0.02 }
            let sxy = train.reduce(0) { $0 + $1.model1kW * $1.actual }, sxx = train.reduce(0) { $0 + $1.model1kW * $1.model1kW }
            guard sxx > 0 else { continue }
            let cap = sxy / sxx
            let test = pairs.filter { $0.t >= split && ($0.model1kW > 0 || $0.actual > 0) }
            guard !test.isEmpty else { continue }
            let f = test.map { $0.model1kW * cap }, a = test.map(\.actual)
            let n = ForecastMetrics.kpxNMAE(forecast: f, actual: a, capacityKW: cap) ?? .nan
            let mf = f.reduce(0, +) / Double(f.count), ma = a.reduce(0, +) / Double(a.count)
            var sfa = 0.0, sff = 0.0, saa = 0.0
            for i in 0..<f.count { sfa += (f[i] - mf) * (a[i] - ma); sff += (f[i] - mf) * (f[i] - mf); saa += (a[i] - ma) * (a[i] - ma) }
            results.append(ArrayResult(array: name, estimatedDCKW: cap, testHours: test.count,
                                       maeKWh: ForecastMetrics.mae(forecast: f, actual: a) ?? 0,
                                       rmseKWh: ForecastMetrics.rmse(forecast: f, actual: a) ?? 0, nmaePct: n,
                                       correlation: sfa / max((sff * saa).squareRoot(), 1e-12)))
        }
        return results
    }
}
