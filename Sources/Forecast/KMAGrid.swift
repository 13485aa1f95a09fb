import Foundation
import VPPCore
import VPPStore

/// A cell of the KMA short-range forecast grid (동네예보 격자, 5 km).
public struct KMAGridPoint: Hashable, Sendable, Codable, CustomStringConvertible {
    public var nx: Int
    public var ny: Int
    public init(nx: Int, ny: Int) { self.nx = nx; self.ny = ny }
    public var description: String { "(\(nx),\(ny))" }
}

/// Latitude/longitude ↔ KMA grid by the Lambert conformal conic projection KMA publishes with
/// the 동네예보 (VilageFcstInfoService) guide: Earth radius 6371.00877 km, grid 5 km, standard
/// parallels 30° and 60° N, origin 38° N 126° E at grid (43, 136). The projection formulas are
/// Snyder, "Map Projections — A Working Manual", USGS PP 1395 (1987), §15.
public enum KMAGrid {
    static let re = 6371.00877, grid = 5.0, slat1 = 30.0, slat2 = 60.0, olon = 126.0, olat = 38.0
    static let xo = 43.0, yo = 136.0

    struct Constants { let re: Double, sn: Double, sf: Double, ro: Double }
    static let c: Constants = {
        let d = Double.pi / 180
        let r = re / grid
        let s1 = slat1 * d, s2 = slat2 * d, oa = olat * d
        var sn = tan(.pi * 0.25 + s2 * 0.5) / tan(.pi * 0.25 + s1 * 0.5)
        sn = log(cos(s1) / cos(s2)) / log(sn)
        var sf = tan(.pi * 0.25 + s1 * 0.5)
        sf = pow(sf, sn) * cos(s1) / sn
        var ro = tan(.pi * 0.25 + oa * 0.5)
        ro = r * sf / pow(ro, sn)
        return Constants(re: r, sn: sn, sf: sf, ro: ro)
    }()

    /// Grid cell containing a point [° WGS84].
    public static func gridPoint(latitudeDeg lat: Double, longitudeDeg lon: Double) -> KMAGridPoint {
        let (x, y) = project(latitudeDeg: lat, longitudeDeg: lon)
        return KMAGridPoint(nx: Int((x + 0.5).rounded(.down)), ny: Int((y + 0.5).rounded(.down)))
    }

    /// Continuous grid coordinates (cell centres at integers).
    public static func project(latitudeDeg lat: Double, longitudeDeg lon: Double) -> (x: Double, y: Double) {
        let d = Double.pi / 180
        var ra = tan(.pi * 0.25 + lat * d * 0.5)
        ra = c.re * c.sf / pow(ra, c.sn)
        var theta = lon * d - olon * d
        if theta > .pi { theta -= 2 * .pi }
        if theta < -.pi { theta += 2 * .pi }
        theta *= c.sn
        return (ra * sin(theta) + xo, c.ro - ra * cos(theta) + yo)
    }

    /// Latitude/longitude of a grid cell centre [°] (inverse projection).
    public static func coordinate(of p: KMAGridPoint) -> (latitudeDeg: Double, longitudeDeg: Double) {
        let r2d = 180 / Double.pi
        let xn = Double(p.nx) - xo
        let yn = c.ro - Double(p.ny) + yo
        var ra = (xn * xn + yn * yn).squareRoot()
        if c.sn < 0 { ra = -ra }
        var alat = pow(c.re * c.sf / ra, 1 / c.sn)
        alat = 2 * atan(alat) - .pi * 0.5
        var theta: Double
        if abs(xn) <= 0 { theta = 0 }
        else if abs(yn) <= 0 { theta = .pi * 0.5; if xn < 0 { theta = -theta } }
        else { theta = atan2(xn, yn) }
        let alon = theta / c.sn + olon / r2d
        return (alat * r2d, alon * r2d)
    }
}
