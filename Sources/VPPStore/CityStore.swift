import Foundation
import VPPCore

// Many districts in one store (issue 14, part 3). A store may hold several site configs (one per
// district); dong codes (10-digit administrative codes) and asset ids are unique across them, so
// readings and rollups need no site key. What a single-site store never needed is the list of
// loaded sites; drivers that can hold several implement `CityStore`. Commands reach it with a
// conditional cast (`Storage.cityStore()`) until `Storage` groups it.

/// One site (district) loaded in the store.
public struct LoadedSite: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var nameKo: String
    /// KOSTAT sigungu code, e.g. "11410".
    public var sigunguCode: String
    /// When the config was last loaded [UTC epoch s].
    public var loadedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, nameKo = "name_ko", sigunguCode = "sigungu_code", loadedAt = "loaded_at"
    }

    public init(id: String, name: String, nameKo: String, sigunguCode: String, loadedAt: Int64) {
        self.id = id; self.name = name; self.nameKo = nameKo; self.sigunguCode = sigunguCode; self.loadedAt = loadedAt
    }
}

/// The sites of a store that holds several districts.
public protocol CityStore: Sendable {
    /// Every loaded site, by id.
    func loadedSites() async throws -> [LoadedSite]
    /// Every active dong's totals over the KST months [from, until) (`hours`: hourly rollup rows),
    /// from per-month sums the driver keeps with the hourly rollups: what a city-year report reads
    /// instead of every dong-hour. Same values as `ReadingStore.dongPeriodTotals` over those months.
    func dongMonthTotals(from: YearMonth, until: YearMonth) async throws -> [DongPeriodTotals]
    /// Every loaded site's config, by site id, read with one query (decoded configs are cached by
    /// fingerprint: the city page reads all of them on every uncached request).
    func allLoadedSiteConfigs() async throws -> [SiteConfig]
}

extension Storage {
    /// The store's `CityStore`, or a clear error naming the store when its driver lacks one.
    public func cityStore() throws -> any CityStore {
        if let c = sites as? any CityStore { return c }
        throw VPPError(.unavailable, "the store at \(location) cannot list its sites (its driver has no CityStore)")
    }

    /// The site a command works on. `code` (a site id such as "seodaemun" or a sigungu code such
    /// as "11410") picks one; without it the only loaded site is used, and a store holding several
    /// refuses, listing their codes. Nil when no site is loaded and no code was given.
    public func selectSite(_ code: String?) async throws -> SiteConfig? {
        let loaded: [LoadedSite]
        if let city = sites as? any CityStore {
            loaded = try await city.loadedSites()
        } else {
            // A driver without CityStore holds one site at most as far as commands are concerned.
            return try await sites.loadedSiteConfig(siteID: code)
        }
        guard let code else {
            if loaded.count > 1 {
                throw VPPError(.usage, "\(loaded.count) sites are loaded in \(location); pass --site CODE, one of: "
                               + loaded.map { "\($0.id) (\($0.sigunguCode))" }.joined(separator: ", "))
            }
            guard let only = loaded.first else { return nil }
            return try await sites.loadedSiteConfig(siteID: only.id)
        }
        guard let match = loaded.first(where: { $0.id == code || $0.sigunguCode == code }) else {
            throw VPPError(.usage, "no site \"\(code)\" is loaded in \(location); loaded: "
                           + (loaded.isEmpty ? "none (vpp site load FILE)" : loaded.map { "\($0.id) (\($0.sigunguCode))" }.joined(separator: ", ")))
        }
        return try await sites.loadedSiteConfig(siteID: match.id)
    }

    /// `selectSite`, failing with a clear message when no site is loaded.
    public func requireSite(_ code: String?) async throws -> SiteConfig {
        guard let s = try await selectSite(code) else {
            throw VPPError(.noInput, "no site loaded in \(location); run `vpp site load site-configs/<district>.toml` first")
        }
        return s
    }

    /// Every loaded site's config, by site id (one entry for a driver without `CityStore`).
    public func allSiteConfigs() async throws -> [SiteConfig] {
        guard let city = sites as? any CityStore else { return try await sites.loadedSiteConfig().map { [$0] } ?? [] }
        return try await city.allLoadedSiteConfigs()
    }
}

extension DongSummary {
    /// The summary rows of one site's active dongs, in code order (`vpp site show --site`).
    public static func rows(of config: SiteConfig, active: Set<String>) -> [DongSummary] {
        config.dongs.filter { active.contains($0.code) }.sorted { $0.code < $1.code }.map { d in
            DongSummary(code: d.code, nameKo: d.nameKo, name: d.name, households: d.households, pvKWp: d.pvCapacity.kWp,
                        miniSolarUnits: d.miniSolarHouseholds, batteryKWh: d.batteryCapacity.kWh,
                        batteryKW: d.batteryPowerKW, meters: d.meters.count)
        }
    }
}
