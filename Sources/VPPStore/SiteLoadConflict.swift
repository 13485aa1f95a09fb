import VPPCore

/// A site load that names a dong code or an asset id another site of the same store already
/// holds (dong codes and asset ids are keys of the whole store, so a city store of many districts
/// cannot hold two meanings of one). Nothing of the load is kept; retrying cannot help (65).
public struct SiteLoadConflict: CategorizedError, Equatable {
    /// "dong" or "asset".
    public var entity: String
    public var id: String
    /// The site that holds `id`.
    public var otherSite: String
    /// The site being loaded.
    public var site: String

    public init(entity: String, id: String, otherSite: String, site: String) {
        self.entity = entity; self.id = id; self.otherSite = otherSite; self.site = site
    }

    public var category: ErrorCategory { .badData }
    public var description: String {
        "site \(site): \(entity) \(id) belongs to site \(otherSite) in this store; dong codes and asset ids must be unique across the store's sites (nothing loaded)"
    }
}
