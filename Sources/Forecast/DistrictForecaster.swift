import Foundation
import VPPCore
import VPPStore

/// PV forecast of one dong for one slot.
public struct DongSlotForecast: Sendable, Equatable {
    public var dongCode: String
    public var slot: Slot
    /// Forecast PV energy in the slot (all fleets of the dong).
    public var pv: WattHours
    /// Uncorrected physical forecast, for comparison.
    public var pvPhysical: WattHours
}

/// Forecasts PV for every dong and slot of a horizon. The observer-independent part of the
/// solar position (SPA steps 3.1–3.10) is computed once per instant and shared by all dongs;
/// each fleet runs the physical chain with its own tilt and azimuth.
public struct DistrictPVForecaster: Sendable {
    public var dongs: [DongConfig]
    public var altitudeM: Double
    public var linke: LinkeTurbidity
    /// Optional learned correction (capacity-normalised, applied per fleet).
    public var correction: PVCorrectionModel?
    /// Instants per slot at which the chain runs (midpoints of equal sub-intervals).
    public var subSteps: Int

    public init(dongs: [DongConfig], altitudeM: Double = 40, linke: LinkeTurbidity = .generic,
                correction: PVCorrectionModel? = nil, subSteps: Int = 3) {
        self.dongs = dongs; self.altitudeM = altitudeM; self.linke = linke; self.correction = correction
        self.subSteps = max(subSteps, 1)
    }

    /// - Parameter weather: weather for a dong (e.g. its KMA grid cell's forecast); dongs with no
    ///   weather for a slot get no forecast for it.
    public func forecast(from start: Int64, slots count: Int, length: SlotLength,
                         weather: (DongConfig) -> WeatherSeries?) -> [DongSlotForecast] {
        let systems = dongs.map { d in d.pvFleets.map { PVSystem(fleet: $0, dong: d, altitudeM: altitudeM, linke: linke) } }
        let series = dongs.map { weather($0) }
        let len = Int64(length.seconds)
        let n = Double(subSteps)
        var out: [DongSlotForecast] = []
        out.reserveCapacity(count * dongs.count)
        var accAC = [[Double]](repeating: [], count: dongs.count)
        var accCS = accAC, accPOA = accAC, accCSPOA = accAC, accGHI = accAC, accCSGHI = accAC
        for k in 0..<count {
            let t0 = start + Int64(k) * len
            let mid = t0 + len / 2
            for d in 0..<dongs.count {
                let z = [Double](repeating: 0, count: systems[d].count)
                accAC[d] = z; accCS[d] = z; accPOA[d] = z; accCSPOA[d] = z; accGHI[d] = z; accCSGHI[d] = z
            }
            let gMid = SPA.geocentric(epochSeconds: Double(mid))
            for j in 0..<subSteps {
                let t = Double(t0) + (Double(j) + 0.5) * Double(len) / n
                let g = SPA.geocentric(epochSeconds: t)
                for d in 0..<dongs.count {
                    guard let ws = series[d], let w = ws.at(Int64(t)) else { continue }
                    for (f, sys) in systems[d].enumerated() {
                        let r = PhysicalPV.instant(system: sys, epoch: Int64(t), geocentric: g, weather: w)
                        accAC[d][f] += r.acKW; accCS[d][f] += r.clearSkyACKW; accPOA[d][f] += r.poa
                        accCSPOA[d][f] += r.clearSkyPOA; accGHI[d][f] += r.ghi; accCSGHI[d][f] += r.clearSky.ghi
                    }
                }
            }
            for d in 0..<dongs.count {
                guard let ws = series[d], let wMid = ws.at(mid) else { continue }
                var kwPhys = 0.0, kw = 0.0
                for (f, sys) in systems[d].enumerated() {
                    let elev = SPA.topocentric(gMid, observer: sys.observer).elevationDeg
                    var r = PhysicalPV.SlotResult(slotStart: t0, seconds: length.seconds, acKW: accAC[d][f] / n,
                                                  clearSkyACKW: accCS[d][f] / n, poa: accPOA[d][f] / n,
                                                  clearSkyPOA: accCSPOA[d][f] / n, ghi: accGHI[d][f] / n,
                                                  clearSkyGHI: accCSGHI[d][f] / n, midElevationDeg: elev, weather: wMid)
                    if correction != nil { r.addContext(ws) }
                    kwPhys += r.acKW
                    kw += correction?.predictKW(r, acLimitKW: sys.acKW, capacityKW: sys.dcKW) ?? r.acKW
                }
                out.append(DongSlotForecast(dongCode: dongs[d].code, slot: Slot(start: t0, length: length),
                                            pv: Watts(kW: kw).energy(over: length.seconds),
                                            pvPhysical: Watts(kW: kwPhys).energy(over: length.seconds)))
            }
        }
        return out
    }
}
