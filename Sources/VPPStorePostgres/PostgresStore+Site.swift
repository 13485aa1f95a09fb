import Foundation
import PostgresNIO
import VPPAuth
import VPPCore
import VPPStore

/// Sites, dongs and assets (`SiteStore`), as the SQLite driver: a load is idempotent, dongs and
/// assets are added, updated or retired (never deleted), each change recorded in `config_change`,
/// all in one transaction.
extension PostgresStore: SiteStore {
    private static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func json(_ v: some Encodable) throws -> String {
        String(decoding: try jsonEncoder.encode(v), as: UTF8.self)
    }

    /// The values of a dong row that a load compares, in `dong` column order.
    private struct DongRow: Equatable {
        var nameKo: String, name: String, lat: Double, lon: Double, households: Int64, population: Int64, area: Double
        var importKW: Double, exportKW: Double

        init(_ d: DongConfig) {
            nameKo = d.nameKo; name = d.name; lat = d.latitudeDeg; lon = d.longitudeDeg; households = Int64(d.households)
            population = Int64(d.population); area = d.areaKm2; importKW = d.importLimitKW; exportKW = d.exportLimitKW
        }

        init(_ r: PostgresRandomAccessRow) throws {
            nameKo = try r.v("name_ko"); name = try r.v("name"); lat = try r.v("latitude_deg"); lon = try r.v("longitude_deg")
            households = try r.v("households"); population = try r.v("population"); area = try r.v("area_km2")
            importKW = try r.v("import_limit_kw"); exportKW = try r.v("export_limit_kw")
        }

        /// "column old → new" of each differing column (the SQLite driver's wording).
        func diffs(from old: DongRow) -> [String] {
            var d: [String] = []
            func add<T: Equatable>(_ c: String, _ a: T, _ b: T) { if a != b { d.append("\(c) \(a) → \(b)") } }
            add("name_ko", old.nameKo, nameKo); add("name", old.name, name); add("latitude_deg", old.lat, lat)
            add("longitude_deg", old.lon, lon); add("households", old.households, households)
            add("population", old.population, population); add("area_km2", old.area, area)
            add("import_limit_kw", old.importKW, importKW); add("export_limit_kw", old.exportKW, exportKW)
            return d
        }
    }

    @discardableResult
    public func loadSite(_ config: SiteConfig) async throws -> SiteLoadReport {
        let now = clock.now()
        let configJSON = try Self.json(config)
        let fingerprint = sha256Hex(Data(configJSON.utf8))
        let site = config.site
        var assetRows: [String: (dong: String, kind: String, params: String)] = [:]
        for d in config.dongs {
            for p in d.pvFleets { assetRows[p.id] = (d.code, "pv_fleet", try Self.json(p)) }
            for m in d.meters { assetRows[m.id] = (d.code, "meter", try Self.json(m)) }
            for b in d.batteries { assetRows[b.id] = (d.code, "battery", try Self.json(b)) }
        }
        let dongs = Dictionary(config.dongs.map { ($0.code, DongRow($0)) }, uniquingKeysWith: { a, _ in a })
        let assets = assetRows
        return try await transaction("site load failed, nothing changed") { conn in
            var changes: [SiteLoadReport.Change] = []
            func record(_ entity: String, _ id: String, _ change: String, _ detail: String) async throws {
                changes.append(.init(entity: entity, id: id, change: change, detail: detail))
                try await exec(conn, """
                    INSERT INTO config_change (site_id, changed_at, entity, entity_id, change, detail)
                    VALUES (\(site.id), \(now), \(entity), \(id), \(change), \(detail))
                    """)
            }
            // One site load at a time (the SQLite driver has its single writer).
            try await exec(conn, "SELECT pg_advisory_xact_lock(\(Self.siteLockKey))")
            let existing = try await all(conn, "SELECT config_sha256 FROM site WHERE id = \(site.id)")
            if existing.isEmpty {
                try await exec(conn, """
                    INSERT INTO site (id, name, name_ko, sigungu_code, config_json, config_sha256, loaded_at)
                    VALUES (\(site.id), \(site.name), \(site.nameKo), \(site.sigunguCode), \(configJSON), \(fingerprint), \(now))
                    """)
                try await record("site", site.id, "added", site.nameKo)
            } else if try existing[0].v("config_sha256", String.self) != fingerprint {
                try await exec(conn, """
                    UPDATE site SET name = \(site.name), name_ko = \(site.nameKo), sigungu_code = \(site.sigunguCode),
                      config_json = \(configJSON), config_sha256 = \(fingerprint), loaded_at = \(now)
                    WHERE id = \(site.id)
                    """)
            }
            // Dong codes and asset ids are keys of the whole store: one that another site holds stops the load.
            let takenDongs = try await all(conn, """
                SELECT code AS k, site_id FROM dong WHERE code = ANY(\(dongs.keys.sorted())) AND site_id <> \(site.id) ORDER BY 1 LIMIT 1
                """)
            let takenAssets = try await all(conn, """
                SELECT id AS k, site_id FROM asset WHERE id = ANY(\(assets.keys.sorted())) AND site_id <> \(site.id) ORDER BY 1 LIMIT 1
                """)
            for (entity, taken) in [("dong", takenDongs), ("asset", takenAssets)] {
                if let t = taken.first {
                    throw SiteLoadConflict(entity: entity, id: try t.v("k"), otherSite: try t.v("site_id"), site: site.id)
                }
            }
            // Dongs.
            var storedDongs: [String: (row: DongRow, active: Bool)] = [:]
            for r in try await all(conn, "SELECT * FROM dong WHERE site_id = \(site.id)") {
                storedDongs[try r.v("code")] = (try DongRow(r), try r.v("active"))
            }
            for code in dongs.keys.sorted() {
                let v = dongs[code]!
                if let old = storedDongs[code] {
                    let diffs = v.diffs(from: old.row)
                    if !diffs.isEmpty || !old.active {
                        try await exec(conn, """
                            UPDATE dong SET name_ko = \(v.nameKo), name = \(v.name), latitude_deg = \(v.lat), longitude_deg = \(v.lon),
                              households = \(v.households), population = \(v.population), area_km2 = \(v.area),
                              import_limit_kw = \(v.importKW), export_limit_kw = \(v.exportKW), active = TRUE
                            WHERE code = \(code)
                            """)
                        try await record("dong", code, "updated", ((old.active ? [] : ["reactivated"]) + diffs).joined(separator: "; "))
                    }
                } else {
                    try await exec(conn, """
                        INSERT INTO dong (code, site_id, name_ko, name, latitude_deg, longitude_deg, households, population, area_km2,
                                          import_limit_kw, export_limit_kw)
                        VALUES (\(code), \(site.id), \(v.nameKo), \(v.name), \(v.lat), \(v.lon), \(v.households), \(v.population),
                                \(v.area), \(v.importKW), \(v.exportKW))
                        """)
                    try await record("dong", code, "added", v.nameKo)
                }
            }
            // Assets.
            var storedAssets: [String: (dong: String, kind: String, params: String, active: Bool)] = [:]
            for r in try await all(conn, "SELECT id, dong_code, kind, params_json, active FROM asset WHERE site_id = \(site.id)") {
                storedAssets[try r.v("id")] = (try r.v("dong_code"), try r.v("kind"), try r.v("params_json"), try r.v("active"))
            }
            for id in assets.keys.sorted() {
                let a = assets[id]!
                if let old = storedAssets[id] {
                    if old.params != a.params || old.dong != a.dong || old.kind != a.kind || !old.active {
                        try await exec(conn, """
                            UPDATE asset SET dong_code = \(a.dong), kind = \(a.kind), params_json = \(a.params), active = TRUE
                            WHERE id = \(id)
                            """)
                        var detail: [String] = []
                        if !old.active { detail.append("reactivated") }
                        if old.dong != a.dong { detail.append("dong \(old.dong) → \(a.dong)") }
                        if old.params != a.params { detail.append("params \(old.params) → \(a.params)") }
                        try await record("asset", id, "updated", detail.joined(separator: "; "))
                    }
                } else {
                    try await exec(conn, """
                        INSERT INTO asset (id, site_id, dong_code, kind, params_json)
                        VALUES (\(id), \(site.id), \(a.dong), \(a.kind), \(a.params))
                        """)
                    try await record("asset", id, "added", "\(a.kind) in \(a.dong)")
                }
            }
            // Retire what the config no longer names (history kept).
            for (id, old) in storedAssets.sorted(by: { $0.key < $1.key }) where assets[id] == nil && old.active {
                try await exec(conn, "UPDATE asset SET active = FALSE WHERE id = \(id)")
                try await record("asset", id, "removed", "retired (history kept)")
            }
            for (code, old) in storedDongs.sorted(by: { $0.key < $1.key }) where dongs[code] == nil && old.active {
                try await exec(conn, "UPDATE dong SET active = FALSE WHERE code = \(code)")
                try await record("dong", code, "removed", "retired (history kept)")
            }
            return SiteLoadReport(siteID: site.id, changes: changes)
        }
    }

    /// The advisory-lock key of site loads.
    static let siteLockKey: Int64 = 0x7670_7000_7369_7465

    public func loadedSiteConfig(siteID: String?) async throws -> SiteConfig? {
        // The id and fingerprint first; the JSON is fetched and decoded only on a cache miss.
        let rows: [PostgresRandomAccessRow]
        if let siteID {
            rows = try await self.rows("SELECT id, config_sha256 FROM site WHERE id = \(siteID)")
        } else {
            rows = try await self.rows("SELECT id, config_sha256 FROM site ORDER BY id LIMIT 2")
        }
        if rows.count > 1 {
            throw Self.severalSites(try await self.rows("SELECT id FROM site ORDER BY id").map { try $0.v("id", String.self) }, location: url.redacted)
        }
        guard let r = rows.first else { return nil }
        let id: String = try r.v("id")
        return try await cachedSiteConfig(id: id, sha256: try r.v("config_sha256"))
    }

    /// The config of site `id` whose fingerprint was read as `sha256`: from `siteConfigs`, or its
    /// stored JSON (fetched with its own fingerprint) decoded and kept.
    func cachedSiteConfig(id: String, sha256: String) async throws -> SiteConfig? {
        try await siteConfigs.config(siteID: id, sha256: sha256) {
            guard let row = try await self.rows("SELECT config_sha256, config_json FROM site WHERE id = \(id)").first else { return nil }
            return (try row.v("config_sha256"), try SiteConfigCache.decode(try row.v("config_json")))
        }
    }

    public func siteSummary() async throws -> [DongSummary] {
        guard let config = try await loadedSiteConfig(siteID: nil) else { return [] }
        let active = try await activeDongCodes()
        return config.dongs.filter { active.contains($0.code) }.sorted { $0.code < $1.code }.map { d in
            DongSummary(code: d.code, nameKo: d.nameKo, name: d.name, households: d.households, pvKWp: d.pvCapacity.kWp,
                        miniSolarUnits: d.miniSolarHouseholds, batteryKWh: d.batteryCapacity.kWh,
                        batteryKW: d.batteryPowerKW, meters: d.meters.count)
        }
    }

    public func configChanges(limit: Int) async throws -> [SiteLoadReport.Change] {
        try await rows("SELECT entity, entity_id, change, detail FROM config_change ORDER BY id DESC LIMIT \(Int64(limit))").map {
            .init(entity: try $0.v("entity"), id: try $0.v("entity_id"), change: try $0.v("change"), detail: try $0.v("detail"))
        }
    }

    public func assetDirectory() async throws -> AssetDirectory {
        let assets = try await rows("SELECT id, dong_code, kind, params_json FROM asset WHERE active").map {
            (id: try $0.v("id", String.self), dong: try $0.v("dong_code", String.self), kind: try $0.v("kind", String.self),
             paramsJSON: try $0.v("params_json", String.self))
        }
        var limits: [String: Double] = [:]
        for r in try await rows("SELECT code, import_limit_kw FROM dong") { limits[try r.v("code")] = try r.v("import_limit_kw") }
        return AssetDirectory(rows: assets, dongImportLimitKW: limits)
    }

    public func dongExists(_ code: String) async throws -> Bool {
        !(try await rows("SELECT 1 AS one FROM dong WHERE code = \(code)").isEmpty)
    }

    public func activeDongCodes() async throws -> Set<String> {
        Set(try await rows("SELECT code FROM dong WHERE active").map { try $0.v("code", String.self) })
    }

    /// Rows of `reading` per month partition (`reading_yYYYYmMM`, KST months; partitions without
    /// rows are left out). It counts the whole table, so it is for tests and diagnostics: the tests
    /// check with it that each row of an ingest lies in its own month.
    public func readingRowsByPartition() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for r in try await rows("SELECT tableoid::regclass::text AS p, COUNT(*) AS n FROM reading GROUP BY 1") {
            out[try r.v("p", String.self)] = Int(try r.v("n", Int64.self))
        }
        return out
    }

    public func info() async throws -> StoreInfo {
        try await withConnection("database read failed") { conn in
            let applied = Set(try await all(conn, "SELECT name FROM schema_migrations").map { try $0.v("name", String.self) })
            let ordered = PostgresMigrations.all.map(\.name).filter { applied.contains($0) }
            var counts: [String: Int] = [:]
            let tables = try await all(conn, """
                SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname
                """).map { try $0.v("name", String.self) }
            for t in tables {
                let n = try await all(conn, PostgresQuery(unsafeSQL: "SELECT COUNT(*) AS n FROM \"\(t)\""))
                counts[t] = Int(try n.first?.v("n", Int64.self) ?? 0)
            }
            let size = try await all(conn, "SELECT pg_database_size(current_database()) AS b")
            return StoreInfo(path: url.redacted, schemaVersion: "\(ordered.count):\(ordered.last ?? "none")",
                             migrationsApplied: ordered, rowCounts: counts, fileBytes: try size.first?.v("b", Int64.self) ?? 0)
        }
    }
}
