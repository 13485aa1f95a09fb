import Foundation
import VPPCore
import VPPStore

/// Topocentric solar position.
public struct SolarPosition: Sendable, Equatable {
    /// Topocentric zenith angle with atmospheric refraction [°].
    public var apparentZenithDeg: Double
    /// Topocentric zenith angle without refraction [°].
    public var zenithDeg: Double
    /// Topocentric azimuth, clockwise from north [°].
    public var azimuthDeg: Double
    /// Earth–Sun distance [AU].
    public var earthSunDistanceAU: Double
    public var elevationDeg: Double { 90 - apparentZenithDeg }
}

/// NREL Solar Position Algorithm, implemented from I. Reda and A. Andreas, "Solar position
/// algorithm for solar radiation applications", Solar Energy 76(5):577–589 (2004), corrected
/// NREL/TP-560-34302 (2008). Uncertainty ±0.0003° for −2000…6000. Steps 3.1–3.15 of the paper.
public enum SPA {
    /// Observer and atmosphere for one computation.
    public struct Observer: Sendable, Equatable {
        public var latitudeDeg: Double
        public var longitudeDeg: Double
        public var elevationM: Double
        /// Annual mean local pressure [mbar] and temperature [°C], for refraction.
        public var pressureMbar: Double
        public var temperatureC: Double
        public init(latitudeDeg: Double, longitudeDeg: Double, elevationM: Double = 0,
                    pressureMbar: Double = 1013.25, temperatureC: Double = 12) {
            self.latitudeDeg = latitudeDeg; self.longitudeDeg = longitudeDeg; self.elevationM = elevationM
            self.pressureMbar = pressureMbar; self.temperatureC = temperatureC
        }
    }

    /// ΔT = TT − UT1 [s]; about 69 s for 2015–2030 (IERS Bulletin A), used when none is given.
    public static let defaultDeltaT = 69.0

    /// Julian day of a UTC instant given as epoch seconds (plus fractional seconds).
    @inlinable public static func julianDay(epochSeconds: Double) -> Double {
        epochSeconds / 86_400 + 2_440_587.5
    }

    /// Solar position for a UTC instant [epoch s].
    public static func position(epochSeconds: Double, observer o: Observer, deltaT: Double = defaultDeltaT,
                                deltaUT1: Double = 0) -> SolarPosition {
        position(julianDay: julianDay(epochSeconds: epochSeconds + deltaUT1), observer: o, deltaT: deltaT)
    }

    /// The observer-independent part of SPA (steps 3.1–3.10 and ν): apparent sidereal time at
    /// Greenwich ν, geocentric right ascension α and declination δ [°], radius vector R [AU].
    /// Computing it once per instant lets many nearby observers share it.
    public struct Geocentric: Sendable, Equatable {
        public var nu: Double, alpha: Double, delta: Double, r: Double
    }

    /// Solar position for a Julian day (UT).
    public static func position(julianDay jd: Double, observer o: Observer, deltaT: Double) -> SolarPosition {
        topocentric(geocentric(julianDay: jd, deltaT: deltaT), observer: o)
    }

    /// Geocentric sun for a UTC instant [epoch s].
    public static func geocentric(epochSeconds: Double, deltaT: Double = defaultDeltaT) -> Geocentric {
        geocentric(julianDay: julianDay(epochSeconds: epochSeconds), deltaT: deltaT)
    }

    /// Steps 3.1–3.10.
    public static func geocentric(julianDay jd: Double, deltaT: Double) -> Geocentric {
        let d2r = Double.pi / 180, r2d = 180 / Double.pi
        // 3.1 Julian times.
        let jc = (jd - 2_451_545) / 36_525
        let jde = jd + deltaT / 86_400
        let jce = (jde - 2_451_545) / 36_525
        let jme = jce / 10
        // 3.2 Earth heliocentric longitude, latitude, radius vector.
        func series(_ t: [(Double, Double, Double)]) -> Double {
            var s = 0.0
            for (a, b, c) in t { s += a * cos(b + c * jme) }
            return s
        }
        func poly(_ terms: [Double]) -> Double {
            var s = 0.0, p = 1.0
            for t in terms { s += t * p; p *= jme }
            return s / 1e8
        }
        let lRad = poly([series(SPATables.L0), series(SPATables.L1), series(SPATables.L2),
                         series(SPATables.L3), series(SPATables.L4), series(SPATables.L5)])
        let bRad = poly([series(SPATables.B0), series(SPATables.B1)])
        let r = poly([series(SPATables.R0), series(SPATables.R1), series(SPATables.R2),
                      series(SPATables.R3), series(SPATables.R4)])
        let lDeg = limit360(lRad * r2d)
        let bDeg = bRad * r2d
        // 3.3 Geocentric longitude and latitude.
        let theta = limit360(lDeg + 180)
        let beta = -bDeg
        // 3.4 Nutation in longitude and obliquity.
        let x0 = 297.85036 + 445_267.111480 * jce - 0.0019142 * jce * jce + jce * jce * jce / 189_474
        let x1 = 357.52772 + 35_999.050340 * jce - 0.0001603 * jce * jce - jce * jce * jce / 300_000
        let x2 = 134.96298 + 477_198.867398 * jce + 0.0086972 * jce * jce + jce * jce * jce / 56_250
        let x3 = 93.27191 + 483_202.017538 * jce - 0.0036825 * jce * jce + jce * jce * jce / 327_270
        let x4 = 125.04452 - 1934.136261 * jce + 0.0020708 * jce * jce + jce * jce * jce / 450_000
        var dPsi = 0.0, dEps = 0.0
        for i in 0..<SPATables.Y.count {
            let y = SPATables.Y[i], pe = SPATables.PE[i]
            let arg = (x0 * y.0 + x1 * y.1 + x2 * y.2 + x3 * y.3 + x4 * y.4) * d2r
            dPsi += (pe.0 + pe.1 * jce) * sin(arg)
            dEps += (pe.2 + pe.3 * jce) * cos(arg)
        }
        dPsi /= 36_000_000; dEps /= 36_000_000
        // 3.5 True obliquity of the ecliptic.
        let u = jme / 10
        var e0 = 0.0, up = 1.0
        for c in [84381.448, -4680.93, -1.55, 1999.25, -51.38, -249.67, -39.05, 7.12, 27.87, 5.79, 2.45] {
            e0 += c * up; up *= u
        }
        let eps = e0 / 3600 + dEps
        // 3.6 Aberration correction; 3.7 apparent sun longitude.
        let dTau = -20.4898 / (3600 * r)
        let lambda = theta + dPsi + dTau
        // 3.8 Apparent sidereal time at Greenwich.
        let nu0 = limit360(280.46061837 + 360.98564736629 * (jd - 2_451_545) + 0.000387933 * jc * jc
                           - jc * jc * jc / 38_710_000)
        let nu = nu0 + dPsi * cos(eps * d2r)
        // 3.9 Geocentric right ascension; 3.10 declination.
        let lr = lambda * d2r, er = eps * d2r, br = beta * d2r
        let alpha = limit360(atan2(sin(lr) * cos(er) - tan(br) * sin(er), cos(lr)) * r2d)
        let delta = asin(sin(br) * cos(er) + cos(br) * sin(er) * sin(lr)) * r2d
        return Geocentric(nu: nu, alpha: alpha, delta: delta, r: r)
    }

    /// Steps 3.11–3.15 for one observer.
    public static func topocentric(_ g: Geocentric, observer o: Observer) -> SolarPosition {
        let d2r = Double.pi / 180, r2d = 180 / Double.pi
        let nu = g.nu, alpha = g.alpha, delta = g.delta, r = g.r
        // 3.11 Observer local hour angle.
        let h = limit360(nu + o.longitudeDeg - alpha)
        // 3.12 Topocentric right ascension (parallax).
        let xi = 8.794 / (3600 * r) * d2r
        let phi = o.latitudeDeg * d2r
        let uu = atan(0.99664719 * tan(phi))
        let xx = cos(uu) + o.elevationM / 6_378_140 * cos(phi)
        let yy = 0.99664719 * sin(uu) + o.elevationM / 6_378_140 * sin(phi)
        let hr = h * d2r, dr = delta * d2r
        let dAlpha = atan2(-xx * sin(xi) * sin(hr), cos(dr) - xx * sin(xi) * cos(hr))
        let deltaP = atan2((sin(dr) - yy * sin(xi)) * cos(dAlpha), cos(dr) - xx * sin(xi) * cos(hr))
        // 3.13 Topocentric local hour angle.
        let hp = hr - dAlpha
        // 3.14 Topocentric zenith angle with refraction.
        let e0Deg = asin(sin(phi) * sin(deltaP) + cos(phi) * cos(deltaP) * cos(hp)) * r2d
        var dE = 0.0
        // Refraction applies while the sun is above −(sun radius + standard refraction).
        if e0Deg >= -(0.26667 + 0.5667) {
            dE = o.pressureMbar / 1010 * 283 / (273 + o.temperatureC)
                * 1.02 / (60 * tan((e0Deg + 10.3 / (e0Deg + 5.11)) * d2r))
        }
        let eDeg = e0Deg + dE
        // 3.15 Topocentric azimuth (astronomers' Γ, then navigators' Φ from north).
        let gamma = atan2(sin(hp), cos(hp) * sin(phi) - tan(deltaP) * cos(phi)) * r2d
        let az = limit360(gamma + 180)
        return SolarPosition(apparentZenithDeg: 90 - eDeg, zenithDeg: 90 - e0Deg, azimuthDeg: az,
                             earthSunDistanceAU: r)
    }

    static func limit360(_ d: Double) -> Double {
        let v = d.truncatingRemainder(dividingBy: 360)
        return v < 0 ? v + 360 : v
    }
}
