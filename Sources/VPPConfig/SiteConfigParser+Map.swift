import Foundation
import VPPCore

extension SiteConfigParser {
    /// `[map]` (optional, issue 16): the dong outlines the dashboard draws.
    ///
    /// - `geojson`: path of a GeoJSON FeatureCollection (RFC 7946) of Polygon or MultiPolygon
    ///   features in WGS84 longitude/latitude, relative to the config file's folder.
    /// - `code_property`: the feature property holding the dong code of `[[dong]] code`
    ///   (default `adm_cd2`, the 10-digit administrative code of the SGIS/vuski boundary files).
    /// - `attribution`: text shown under the map (the boundary data's required credit).
    ///
    /// The file is read here, once (when the config's folder is known): features whose code is not a configured dong are skipped, a
    /// configured dong without a feature is an error naming it.
    func parseMap(_ t: TableReader?, base: URL?, dongs: [DongConfig]) throws -> SiteMap? {
        guard let t else { return nil }
        let rel = try t.string("geojson")
        let property = try t.optionalString("code_property") ?? "adm_cd2"
        let attribution = try t.optionalString("attribution") ?? ""
        try t.finish()
        let key = t.path + ".geojson"
        guard let base else { return SiteMap(source: rel, attribution: attribution, areas: []) }
        let url = rel.hasPrefix("/") ? URL(fileURLWithPath: rel) : base.appendingPathComponent(rel)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw t.ctx.error(key, .invalidValue("cannot read the GeoJSON file \(url.path)"))
        }
        let areas: [SiteMap.Area]
        do { areas = try Self.geoJSONAreas(data, codeProperty: property) } catch let e as GeoJSONError {
            throw t.ctx.error(key, .invalidValue("\(url.path): \(e.reason)"))
        }
        let wanted = Set(dongs.map(\.code))
        let kept = areas.filter { wanted.contains($0.dongCode) }
        let found = Set(kept.map(\.dongCode))
        if let missing = dongs.first(where: { !found.contains($0.code) }) {
            throw t.ctx.error(key, .invalidValue("\(url.path): no feature whose \(property) is \(missing.code) (dong \(missing.nameKo))"))
        }
        return SiteMap(source: rel, attribution: attribution, areas: kept)
    }

    struct GeoJSONError: Error { var reason: String }

    /// Polygon and MultiPolygon features of a FeatureCollection, keyed by `codeProperty`
    /// (a string or an integer property). Other geometry types are an error.
    static func geoJSONAreas(_ data: Data, codeProperty: String) throws -> [SiteMap.Area] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GeoJSONError(reason: "not a JSON object")
        }
        guard root["type"] as? String == "FeatureCollection", let features = root["features"] as? [[String: Any]] else {
            throw GeoJSONError(reason: "not a GeoJSON FeatureCollection with a features array")
        }
        var out: [SiteMap.Area] = []
        for (i, f) in features.enumerated() {
            let props = f["properties"] as? [String: Any] ?? [:]
            let code: String
            if let s = props[codeProperty] as? String { code = s } else if let n = props[codeProperty] as? NSNumber { code = n.stringValue } else {
                throw GeoJSONError(reason: "feature \(i + 1) has no \(codeProperty) property")
            }
            guard let g = f["geometry"] as? [String: Any], let type = g["type"] as? String else {
                throw GeoJSONError(reason: "feature \(i + 1) (\(code)) has no geometry")
            }
            let polygons: [[[[Double]]]]
            switch type {
            case "Polygon": polygons = [try rings(g["coordinates"], feature: i + 1)]
            case "MultiPolygon":
                guard let ps = g["coordinates"] as? [Any] else { throw GeoJSONError(reason: "feature \(i + 1): coordinates is not an array") }
                polygons = try ps.map { try rings($0, feature: i + 1) }
            default: throw GeoJSONError(reason: "feature \(i + 1) (\(code)): geometry \(type) is not Polygon or MultiPolygon")
            }
            out.append(SiteMap.Area(dongCode: code, polygons: polygons))
        }
        return out
    }

    private static func rings(_ v: Any?, feature: Int) throws -> [[[Double]]] {
        guard let rs = v as? [Any] else { throw GeoJSONError(reason: "feature \(feature): a polygon is not an array of rings") }
        return try rs.map { r in
            guard let pts = r as? [Any], pts.count >= 4 else { throw GeoJSONError(reason: "feature \(feature): a ring has fewer than 4 positions") }
            return try pts.map { p in
                guard let xy = p as? [NSNumber], xy.count >= 2 else { throw GeoJSONError(reason: "feature \(feature): a position is not [lon, lat]") }
                let lon = xy[0].doubleValue, lat = xy[1].doubleValue
                guard (-180...180).contains(lon), (-90...90).contains(lat) else {
                    throw GeoJSONError(reason: "feature \(feature): position [\(lon), \(lat)] is outside WGS84 longitude/latitude")
                }
                return [lon, lat]
            }
        }
    }
}
