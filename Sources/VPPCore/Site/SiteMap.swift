/// The district's dong outlines for the dashboard map (issue 16), read from the GeoJSON file that
/// `[map] geojson` names when the site config is parsed, so the store keeps them with the config and
/// the server never reads a file for them. Coordinates are WGS84 longitude/latitude [°], as in the
/// GeoJSON (RFC 7946 §3.1.1: position = [longitude, latitude]).
public struct SiteMap: Sendable, Equatable, Codable {
    /// One dong's outline: its polygons, each a list of rings, each a list of [lon, lat] [°]
    /// (first ring outer, the rest holes, as RFC 7946 §3.1.6 orders them).
    public struct Area: Sendable, Equatable, Codable {
        /// The dong code the feature matched (`[[dong]] code`).
        public var dongCode: String
        public var polygons: [[[[Double]]]]
        public init(dongCode: String, polygons: [[[[Double]]]]) { self.dongCode = dongCode; self.polygons = polygons }
    }
    /// The GeoJSON path as written in the config (for messages and the map's caption).
    public var source: String
    /// Attribution shown under the map (`[map] attribution`), e.g. the boundary data's licence line.
    public var attribution: String
    public var areas: [Area]
    public init(source: String, attribution: String, areas: [Area]) {
        self.source = source; self.attribution = attribution; self.areas = areas
    }
}
