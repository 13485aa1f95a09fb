import Foundation
import VPPCore
import VPPStore

/// Clear-sky irradiance on a horizontal plane [W/m²].
public struct ClearSkyIrradiance: Sendable, Equatable {
    public var ghi: Double
    public var dni: Double
    public var dhi: Double
    public static let zero = ClearSkyIrradiance(ghi: 0, dni: 0, dhi: 0)
}

/// Clear-sky models and the atmospheric helpers they need.
public enum ClearSky {
    /// Extraterrestrial normal irradiance [W/m²] by Spencer's Fourier series for the Earth–Sun
    /// distance factor: J. W. Spencer, "Fourier series representation of the position of the sun",
    /// Search 2(5):172 (1971); day angle Γ = 2π(doy − 1)/365, solar constant 1366.1 W/m²
    /// (Gueymard 2004).
    public static func extraterrestrialNormal(dayOfYear doy: Int, solarConstant: Double = 1366.1) -> Double {
        let b = 2 * Double.pi * Double(doy - 1) / 365
        let f = 1.00011 + 0.034221 * cos(b) + 0.00128 * sin(b) + 0.000719 * cos(2 * b) + 0.000077 * sin(2 * b)
        return solarConstant * f
    }

    /// Relative optical air mass by F. Kasten and A. T. Young, "Revised optical air mass tables
    /// and approximation formula", Applied Optics 28(22):4735 (1989). Zenith in degrees (apparent).
    /// Returns nil with the sun at or below the horizon.
    public static func relativeAirmass(zenithDeg z: Double) -> Double? {
        guard z < 90 else { return nil }
        return 1 / (cos(z * .pi / 180) + 0.50572 * pow(96.07995 - z, -1.6364))
    }

    /// Standard-atmosphere pressure at an altitude [Pa] (ICAO/US 1976 barometric formula in the
    /// form 100·((44331.514 − h)/11880.516)^(1/0.1902632)).
    public static func pressure(altitudeM h: Double) -> Double {
        100 * pow((44_331.514 - h) / 11_880.516, 1 / 0.1902632)
    }

    /// Ineichen–Perez clear sky: P. Ineichen and R. Perez, "A new airmass independent formulation
    /// for the Linke turbidity coefficient", Solar Energy 73(3):151–157 (2002), eqs. for G_cs and
    /// B_ncI, with the "empirical correction" of the same paper (SE 73:157 and 312) bounding DNI.
    /// No Perez enhancement term (the default of the published reference values).
    /// - Parameters:
    ///   - apparentZenithDeg: refraction-corrected solar zenith [°]
    ///   - linkeTurbidity: Linke turbidity at air mass 2 [1]
    ///   - altitudeM: site altitude [m]
    ///   - dniExtra: extraterrestrial normal irradiance [W/m²]
    public static func ineichen(apparentZenithDeg z: Double, linkeTurbidity tl: Double, altitudeM alt: Double,
                                dniExtra i0: Double) -> ClearSkyIrradiance {
        guard let am = relativeAirmass(zenithDeg: z) else { return .zero }
        let cosZ = max(cos(z * .pi / 180), 0)
        guard cosZ > 0 else { return .zero }
        let amAbs = am * pressure(altitudeM: alt) / 101_325
        let fh1 = exp(-alt / 8000), fh2 = exp(-alt / 1250)
        let cg1 = 5.09e-5 * alt + 0.868
        let cg2 = 3.92e-5 * alt + 0.0387
        let ghi = max(cg1 * i0 * cosZ * exp(-cg2 * amAbs * (fh1 + fh2 * (tl - 1))), 0)
        let b = 0.664 + 0.163 / fh1
        let bnci = i0 * max(b * exp(-0.09 * amAbs * (tl - 1)), 0)
        let bnci2 = ghi * min(max((1 - (0.1 - 0.2 * exp(-tl)) / (0.1 + 0.882 / fh1)) / cosZ, 0), 1e20)
        let dni = min(bnci, bnci2)
        return ClearSkyIrradiance(ghi: ghi, dni: dni, dhi: ghi - dni * cosZ)
    }

    /// Haurwitz clear-sky GHI [W/m²]: B. Haurwitz, "Insolation in relation to cloudiness and cloud
    /// density", Journal of Meteorology 2:154–166 (1945): G = 1098·cos z·exp(−0.057/cos z).
    public static func haurwitz(zenithDeg z: Double) -> Double {
        let c = cos(z * .pi / 180)
        guard c > 0 else { return 0 }
        return 1098 * c * exp(-0.057 / c)
    }
}

/// Monthly Linke turbidity for a site (12 values, January first), interpolated daily between
/// mid-month values as in Remund et al. (2003) climatology use.
public struct LinkeTurbidity: Sendable, Equatable, Codable {
    public var monthly: [Double]
    public init(monthly: [Double]) { self.monthly = monthly }

    /// The site's own monthly table (`[site] linke_turbidity_monthly` in its config), else `generic`.
    public init(site: SiteInfo) {
        if let m = site.linkeTurbidityMonthly, m.count == 12 { self.init(monthly: m) } else { self = .generic }
    }

    /// A flat TL = 3 for sites whose config gives no table: a typical value for clean to
    /// moderately turbid mid-latitude air (Ineichen & Perez 2002 report 2–7). The site's own
    /// SoDa climatology belongs in its config file.
    public static let generic = LinkeTurbidity(monthly: [Double](repeating: 3.0, count: 12))
    /// Same climatology for the Dangjin PV plants, 37.0508 N 126.5103 E.
    public static let dangjin = LinkeTurbidity(monthly: [2.0, 2.333, 2.785, 3.418, 3.692, 4.033, 4.145, 3.666,
                                                         2.794, 2.218, 2.057, 2.002])

    /// Linear interpolation in day of year between mid-month values (wrapping December→January).
    public func value(year: Int, dayOfYear doy: Int) -> Double {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var mids = [Double](repeating: 0, count: 12)
        var start = 0
        for m in 0..<12 { mids[m] = Double(start) + Double(lengths[m]) / 2 + 0.5; start += lengths[m] }
        let yearLen = Double(start)
        let d = Double(doy)
        if d < mids[0] {
            let x0 = mids[11] - yearLen
            return monthly[11] + (monthly[0] - monthly[11]) * (d - x0) / (mids[0] - x0)
        }
        if d >= mids[11] {
            let x1 = mids[0] + yearLen
            return monthly[11] + (monthly[0] - monthly[11]) * (d - mids[11]) / (x1 - mids[11])
        }
        var m = 0
        while m < 11 && d >= mids[m + 1] { m += 1 }
        return monthly[m] + (monthly[m + 1] - monthly[m]) * (d - mids[m]) / (mids[m + 1] - mids[m])
    }
}
