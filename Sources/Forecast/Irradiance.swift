import Foundation
import VPPCore
import VPPStore

/// Cloud → irradiance → plane of array.
public enum Irradiance {
    /// GHI under cloud cover by F. Kasten and G. Czeplak, "Solar and terrestrial radiation
    /// dependent on the amount and type of cloud", Solar Energy 24:177–189 (1980):
    /// G = G_cs·(1 − 0.75·N^3.4), N the cloud fraction in [0, 1].
    public static func kastenCzeplak(clearSkyGHI g: Double, cloudFraction n: Double) -> Double {
        let c = min(max(n, 0), 1)
        return g * (1 - 0.75 * pow(c, 3.4))
    }

    /// Diffuse fraction by D. G. Erbs, S. A. Klein, J. A. Duffie, "Estimation of the diffuse
    /// radiation fraction for hourly, daily and monthly-average global radiation", Solar Energy
    /// 28(4):293–302 (1982), eq. (1). Returns (dni, dhi) [W/m²].
    public static func erbs(ghi: Double, zenithDeg z: Double, dniExtra i0: Double) -> (dni: Double, dhi: Double) {
        let cosZ = cos(z * .pi / 180)
        guard ghi > 0, cosZ > 0.0065 else { return (0, max(ghi, 0)) }   // 0.0065 ≈ 89.6°
        let kt = min(max(ghi / (i0 * cosZ), 0), 1)
        let df: Double
        if kt <= 0.22 { df = 1 - 0.09 * kt }
        else if kt <= 0.80 {
            df = 0.9511 - 0.1604 * kt + 4.388 * kt * kt - 16.638 * kt * kt * kt + 12.336 * kt * kt * kt * kt
        } else { df = 0.165 }
        let dhi = df * ghi
        return (max((ghi - dhi) / cosZ, 0), dhi)
    }

    /// Cosine of the angle of incidence of beam light on a plane of tilt β and azimuth γ
    /// (clockwise from north), from the spherical law of cosines (Duffie & Beckman, eq. 1.6.3).
    public static func cosAOI(tiltDeg: Double, azimuthDeg: Double, zenithDeg: Double, sunAzimuthDeg: Double) -> Double {
        let d = Double.pi / 180
        return cos(zenithDeg * d) * cos(tiltDeg * d)
            + sin(zenithDeg * d) * sin(tiltDeg * d) * cos((sunAzimuthDeg - azimuthDeg) * d)
    }

    /// Plane-of-array irradiance [W/m²].
    public struct POA: Sendable, Equatable {
        public var global: Double
        public var beam: Double
        public var skyDiffuse: Double
        public var groundDiffuse: Double
    }

    /// Plane-of-array transposition with the Hay–Davies anisotropic sky model: J. E. Hay and
    /// J. A. Davies, "Calculation of the solar radiation incident on an inclined surface", Proc.
    /// First Canadian Solar Radiation Data Workshop (1980); A_i = DNI/I0, R_b = cos θ/cos z
    /// (cos z floored at cos 85° against horizon blow-up), isotropic ground reflection with albedo ρ.
    public static func hayDavies(dni: Double, ghi: Double, dhi: Double, zenithDeg z: Double, sunAzimuthDeg: Double,
                                 tiltDeg: Double, azimuthDeg: Double, dniExtra i0: Double,
                                 albedo: Double = 0.2) -> POA {
        let d = Double.pi / 180
        let cosT = cosAOI(tiltDeg: tiltDeg, azimuthDeg: azimuthDeg, zenithDeg: z, sunAzimuthDeg: sunAzimuthDeg)
        let cosZ = max(cos(z * d), cos(85 * d))
        let beam = z < 90 ? max(dni * cosT, 0) : 0
        let ai = i0 > 0 ? min(max(dni / i0, 0), 1) : 0
        let rb = max(cosT, 0) / cosZ
        let tiltCos = cos(tiltDeg * d)
        let sky = max(dhi * (ai * rb + (1 - ai) * (1 + tiltCos) / 2), 0)
        let ground = max(ghi * albedo * (1 - tiltCos) / 2, 0)
        return POA(global: beam + sky + ground, beam: beam, skyDiffuse: sky, groundDiffuse: ground)
    }

    /// Reflection loss of the beam: ASHRAE incidence-angle modifier (Souka & Safwat 1966)
    /// IAM = 1 − b0·(1/cos θ − 1), b0 = 0.05, clipped to [0, 1].
    public static func ashraeIAM(cosAOI c: Double, b0: Double = 0.05) -> Double {
        guard c > 0.05 else { return 0 }
        return min(max(1 - b0 * (1 / c - 1), 0), 1)
    }
}

/// PV array electrical model.
public enum PVModel {
    /// Cell temperature by D. Faiman, "Assessing the outdoor operating temperature of
    /// photovoltaic modules", Prog. Photovolt. 16:307–315 (2008): T_c = T_a + E/(U0 + U1·v),
    /// U0 = 25 W/m²K, U1 = 6.84 W s/m³K.
    public static func faimanCellTemperature(poa: Double, airTempC: Double, windSpeed: Double,
                                             u0: Double = 25, u1: Double = 6.84) -> Double {
        airTempC + poa / (u0 + u1 * max(windSpeed, 0))
    }

    /// PVWatts DC power [W]: A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641 (2014),
    /// eq. P_dc = (E_tr/1000)·P_dc0·(1 + γ(T_c − 25)).
    public static func pvwattsDC(effectiveIrradiance e: Double, cellTempC: Double, pdc0: Double,
                                 gammaPerC: Double = -0.0037) -> Double {
        max(e / 1000 * pdc0 * (1 + gammaPerC * (cellTempC - 25)), 0)
    }

    /// PVWatts inverter model (Dobos 2014, §"Inverter"): η = η_nom/η_ref·(−0.0162ζ − 0.0059/ζ
    /// + 0.9858), ζ = P_dc/P_dc0, P_dc0 = P_ac0/η_nom; output clipped at P_ac0.
    public static func pvwattsAC(pdc: Double, pac0: Double, etaNominal: Double = 0.96,
                                 etaReference: Double = 0.9637) -> Double {
        guard pdc > 0, pac0 > 0 else { return 0 }
        let pdc0 = pac0 / etaNominal
        let zeta = pdc / pdc0
        let eta = etaNominal / etaReference * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
        return min(max(eta * pdc, 0), pac0)
    }
}
