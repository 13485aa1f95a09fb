import Foundation
import VPPCore
import VPPStore

/// A PV array (or a fleet of identical ones) as the physical model sees it.
public struct PVSystem: Sendable, Equatable, Codable {
    public var id: String
    public var latitudeDeg: Double
    public var longitudeDeg: Double
    public var altitudeM: Double
    public var tiltDeg: Double
    /// Clockwise from north [°] (180 = south).
    public var azimuthDeg: Double
    /// DC nameplate [kW].
    public var dcKW: Double
    /// Inverter AC limit [kW].
    public var acKW: Double
    /// PVWatts system losses (soiling, wiring, mismatch, availability…) [%].
    public var lossesPct: Double
    /// Power temperature coefficient [1/°C].
    public var gammaPerC: Double
    public var albedo: Double
    public var linke: LinkeTurbidity

    public init(id: String, latitudeDeg: Double, longitudeDeg: Double, altitudeM: Double = 30, tiltDeg: Double,
                azimuthDeg: Double, dcKW: Double, acKW: Double? = nil, lossesPct: Double = 14,
                gammaPerC: Double = -0.0037, albedo: Double = 0.2, linke: LinkeTurbidity = .generic) {
        self.id = id; self.latitudeDeg = latitudeDeg; self.longitudeDeg = longitudeDeg; self.altitudeM = altitudeM
        self.tiltDeg = tiltDeg; self.azimuthDeg = azimuthDeg; self.dcKW = dcKW; self.acKW = acKW ?? dcKW
        self.lossesPct = lossesPct; self.gammaPerC = gammaPerC; self.albedo = albedo; self.linke = linke
    }

    /// A configured fleet of one dong: its own tilt/azimuth (balcony mini-solar hangs steep and
    /// faces the balcony), DC = units × unitW, AC = DC / dcAcRatio.
    public init(fleet: PVFleetConfig, dong: DongConfig, altitudeM: Double = 40, linke: LinkeTurbidity = .generic) {
        let dc = fleet.capacity.kWp
        self.init(id: "\(dong.code)/\(fleet.id)", latitudeDeg: dong.latitudeDeg, longitudeDeg: dong.longitudeDeg,
                  altitudeM: altitudeM, tiltDeg: fleet.tiltDeg, azimuthDeg: fleet.azimuthDeg, dcKW: dc,
                  acKW: fleet.dcAcRatio > 0 ? dc / fleet.dcAcRatio : dc, lossesPct: fleet.lossesPct, linke: linke)
    }

    public var observer: SPA.Observer {
        SPA.Observer(latitudeDeg: latitudeDeg, longitudeDeg: longitudeDeg, elevationM: altitudeM,
                     pressureMbar: ClearSky.pressure(altitudeM: altitudeM) / 100, temperatureC: 12)
    }
}

/// Output of the physical chain for one instant.
public struct PVInstant: Sendable, Equatable {
    public var sun: SolarPosition
    public var clearSky: ClearSkyIrradiance
    public var ghi: Double, dni: Double, dhi: Double
    public var poa: Double
    public var clearSkyPOA: Double
    public var cellTempC: Double
    /// AC power under the forecast weather and under clear sky [kW].
    public var acKW: Double
    public var clearSkyACKW: Double
}

/// The physical PV forecast chain: SPA → Ineichen–Perez → Kasten–Czeplak → Erbs → Hay–Davies →
/// ASHRAE IAM → Faiman → PVWatts DC (with losses) → PVWatts inverter.
public enum PhysicalPV {
    /// Day of year (1…366) and year in KST for an instant.
    static func kstDayOfYear(_ epoch: Int64) -> (year: Int, doy: Int) {
        let t = KSTDateTime(epochSeconds: epoch)
        let doy = Int(KST.daysFromCivil(year: t.year, month: t.month, day: t.day)
                      - KST.daysFromCivil(year: t.year, month: 1, day: 1)) + 1
        return (t.year, doy)
    }

    /// The observer-dependent sky of an instant: topocentric sun, clear-sky irradiance and the
    /// extraterrestrial normal irradiance. Systems at the same place (a dong's fleets) share it.
    public struct Sky: Sendable {
        public var sun: SolarPosition
        public var clearSky: ClearSkyIrradiance
        public var dniExtra: Double
    }

    public static func sky(system s: PVSystem, epoch: Int64, geocentric g: SPA.Geocentric) -> Sky {
        let sun = SPA.topocentric(g, observer: s.observer)
        let (year, doy) = kstDayOfYear(epoch)
        let i0 = ClearSky.extraterrestrialNormal(dayOfYear: doy)
        let cs = ClearSky.ineichen(apparentZenithDeg: sun.apparentZenithDeg,
                                   linkeTurbidity: s.linke.value(year: year, dayOfYear: doy),
                                   altitudeM: s.altitudeM, dniExtra: i0)
        return Sky(sun: sun, clearSky: cs, dniExtra: i0)
    }

    /// One instant with a precomputed geocentric sun (shared between nearby systems).
    public static func instant(system s: PVSystem, epoch: Int64, geocentric g: SPA.Geocentric,
                               weather w: WeatherPoint, cloudFraction cfOverride: Double? = nil) -> PVInstant {
        instant(system: s, sky: sky(system: s, epoch: epoch, geocentric: g), weather: w, cloudFraction: cfOverride)
    }

    /// One instant with a precomputed sky (same place as `s`). With `clearSkyOnly` the forecast-
    /// weather part is skipped (its fields are zero): what calibration on clear days needs.
    public static func instant(system s: PVSystem, sky: Sky, weather w: WeatherPoint, cloudFraction cfOverride: Double? = nil,
                               clearSkyOnly: Bool = false) -> PVInstant {
        let sun = sky.sun, cs = sky.clearSky, i0 = sky.dniExtra
        if cs.ghi <= 0 {
            return PVInstant(sun: sun, clearSky: cs, ghi: 0, dni: 0, dhi: 0, poa: 0, clearSkyPOA: 0,
                             cellTempC: w.temperatureC, acKW: 0, clearSkyACKW: 0)
        }
        let z = sun.apparentZenithDeg, az = sun.azimuthDeg
        let poaCS = Irradiance.hayDavies(dni: cs.dni, ghi: cs.ghi, dhi: cs.dhi, zenithDeg: z, sunAzimuthDeg: az,
                                         tiltDeg: s.tiltDeg, azimuthDeg: s.azimuthDeg, dniExtra: i0, albedo: s.albedo)
        let iam = Irradiance.ashraeIAM(cosAOI: Irradiance.cosAOI(tiltDeg: s.tiltDeg, azimuthDeg: s.azimuthDeg,
                                                                  zenithDeg: z, sunAzimuthDeg: az))
        let effCS = poaCS.beam * iam + poaCS.skyDiffuse + poaCS.groundDiffuse
        let lossFactor = 1 - s.lossesPct / 100
        func ac(_ e: Double, _ total: Double) -> (Double, Double) {
            let tc = PVModel.faimanCellTemperature(poa: total, airTempC: w.temperatureC, windSpeed: w.windSpeedMS)
            let dc = PVModel.pvwattsDC(effectiveIrradiance: e, cellTempC: tc, pdc0: s.dcKW, gammaPerC: s.gammaPerC) * lossFactor
            return (PVModel.pvwattsAC(pdc: dc, pac0: s.acKW), tc)
        }
        let (acCS, tcCS) = ac(effCS, poaCS.global)
        if clearSkyOnly {
            return PVInstant(sun: sun, clearSky: cs, ghi: 0, dni: 0, dhi: 0, poa: 0, clearSkyPOA: poaCS.global, cellTempC: tcCS,
                             acKW: 0, clearSkyACKW: acCS)
        }
        let cf = cfOverride ?? w.cloudFraction
        let ghi = Irradiance.kastenCzeplak(clearSkyGHI: cs.ghi, cloudFraction: cf)
        let (dni, dhi) = Irradiance.erbs(ghi: ghi, zenithDeg: sun.apparentZenithDeg, dniExtra: i0)
        let poa = Irradiance.hayDavies(dni: dni, ghi: ghi, dhi: dhi, zenithDeg: z, sunAzimuthDeg: az,
                                       tiltDeg: s.tiltDeg, azimuthDeg: s.azimuthDeg, dniExtra: i0, albedo: s.albedo)
        let eff = poa.beam * iam + poa.skyDiffuse + poa.groundDiffuse
        let (acW, tc) = ac(eff, poa.global)
        return PVInstant(sun: sun, clearSky: cs, ghi: ghi, dni: dni, dhi: dhi, poa: poa.global,
                         clearSkyPOA: poaCS.global, cellTempC: tc, acKW: acW, clearSkyACKW: acCS)
    }

    /// Averages over one slot, from `subSteps` equally spaced instants at sub-interval midpoints.
    public struct SlotResult: Sendable, Equatable {
        public var slotStart: Int64
        public var seconds: Int
        /// Mean AC power over the slot [kW] (energy = acKW · hours).
        public var acKW: Double
        public var clearSkyACKW: Double
        public var poa: Double
        public var clearSkyPOA: Double
        public var ghi: Double
        public var clearSkyGHI: Double
        /// Sun elevation at the slot midpoint [°].
        public var midElevationDeg: Double
        public var weather: WeatherPoint
        /// Forecast sky code 3 h before and after the slot midpoint and the mean cloud fraction of
        /// the KST day's 06–18 h (context for the learned correction; nil when not computed).
        public var skyBefore: Double? = nil
        public var skyAfter: Double? = nil
        public var dayCloudFraction: Double? = nil
        public var energyWh: Double { acKW * 1000 * Double(seconds) / 3600 }

        /// Fills the context fields from the series.
        public mutating func addContext(_ w: WeatherSeries) {
            let mid = slotStart + Int64(seconds / 2)
            skyBefore = w.at(mid - 3 * 3600)?.sky
            skyAfter = w.at(mid + 3 * 3600)?.sky
            let day = mid - ((mid + KST.offsetSeconds) % 86_400 + 86_400) % 86_400
            var s = 0.0, n = 0.0
            for h in stride(from: 6, through: 18, by: 1) {
                if let p = w.at(day + Int64(h) * 3600) { s += p.cloudFraction; n += 1 }
            }
            dayCloudFraction = n > 0 ? s / n : nil
        }
    }

    /// Physical forecast for consecutive slots of one system.
    public static func slots(system s: PVSystem, from start: Int64, count: Int, length: SlotLength,
                             weather: WeatherSeries, subSteps: Int = 4) -> [SlotResult] {
        var out: [SlotResult] = []
        out.reserveCapacity(count)
        let len = Int64(length.seconds)
        for k in 0..<count {
            let t0 = start + Int64(k) * len
            let mid = t0 + len / 2
            guard let wMid = weather.at(mid) else { continue }
            var acc = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var midElev = -90.0
            for j in 0..<subSteps {
                let t = Double(t0) + (Double(j) + 0.5) * Double(len) / Double(subSteps)
                let te = Int64(t)
                let w = weather.at(te) ?? wMid
                let g = SPA.geocentric(epochSeconds: t)
                let r = instant(system: s, epoch: te, geocentric: g, weather: w)
                acc.0 += r.acKW; acc.1 += r.clearSkyACKW; acc.2 += r.poa; acc.3 += r.clearSkyPOA
                acc.4 += r.ghi; acc.5 += r.clearSky.ghi
            }
            midElev = SPA.topocentric(SPA.geocentric(epochSeconds: Double(mid)), observer: s.observer).elevationDeg
            let n = Double(subSteps)
            var r = SlotResult(slotStart: t0, seconds: length.seconds, acKW: acc.0 / n, clearSkyACKW: acc.1 / n,
                               poa: acc.2 / n, clearSkyPOA: acc.3 / n, ghi: acc.4 / n, clearSkyGHI: acc.5 / n,
                               midElevationDeg: midElev, weather: wMid)
            r.addContext(weather)
            out.append(r)
        }
        return out
    }
}
