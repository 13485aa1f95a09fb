import Foundation
import GRDB
import VPPCore
import VPPStore
import VPPAuth

extension SQLiteStore {
    /// Active dong codes of the loaded site.
    public func activeDongCodes() async throws -> Set<String> {
        try await read { db in Set(try String.fetchAll(db, sql: "SELECT code FROM dong WHERE active = 1")) }
    }

    private static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    private static func json(_ v: some Encodable) throws -> String {
        String(decoding: try jsonEncoder.encode(v), as: UTF8.self)
    }

    /// Loads a site config idempotently: dongs and assets are inserted, updated or retired
    /// (marked inactive, never deleted, so their history stays) and every change is recorded
    /// in `config_change`. Loading the same config twice changes nothing.
    @discardableResult
    public func loadSite(_ config: SiteConfig) async throws -> SiteLoadReport {
        let now = clock.now()
        let configJSON = try Self.json(config)
        let fingerprint = sha256Hex(Data(configJSON.utf8))
        let dongRows = Self.dongRows(config)
        let assetRows = try Self.assetRows(config)
        let site = config.site
        return try await write { db in
            var load = SiteLoad(db: db, siteID: site.id, now: now)
            try load.checkKeysFree(dongs: dongRows.keys.sorted(), assets: assetRows.keys.sorted())
            try load.upsertSite(site, configJSON: configJSON, fingerprint: fingerprint)
            let existingDongs = try load.syncDongs(dongRows)
            let existingAssets = try load.syncAssets(assetRows)
            try load.retire("asset", table: "asset", key: "id", existing: existingAssets) { assetRows[$0] != nil }
            try load.retire("dong", table: "dong", key: "code", existing: existingDongs) { dongRows[$0] != nil }
            return SiteLoadReport(siteID: site.id, changes: load.changes)
        }
    }

    private static let dongColumns = ["name_ko", "name", "latitude_deg", "longitude_deg", "households", "population", "area_km2",
                                      "import_limit_kw", "export_limit_kw"]

    /// The `dong` row values of each dong of the config, by code (columns of `dongColumns`).
    private static func dongRows(_ config: SiteConfig) -> [String: [String: DatabaseValue]] {
        var dongRows: [String: [String: DatabaseValueConvertible]] = [:]
        for d in config.dongs {
            dongRows[d.code] = [
                "name_ko": d.nameKo, "name": d.name, "latitude_deg": d.latitudeDeg, "longitude_deg": d.longitudeDeg,
                "households": d.households, "population": d.population, "area_km2": d.areaKm2,
                "import_limit_kw": d.importLimitKW, "export_limit_kw": d.exportLimitKW,
            ]
        }
        return dongRows.mapValues { $0.mapValues { $0.databaseValue } }
    }

    /// The `asset` row of each PV fleet, meter and battery of the config, by asset id.
    private static func assetRows(_ config: SiteConfig) throws -> [String: (dong: String, kind: String, params: String)] {
        var assetRows: [String: (dong: String, kind: String, params: String)] = [:]
        for d in config.dongs {
            for p in d.pvFleets { assetRows[p.id] = (d.code, "pv_fleet", try json(p)) }
            for m in d.meters { assetRows[m.id] = (d.code, "meter", try json(m)) }
            for b in d.batteries { assetRows[b.id] = (d.code, "battery", try json(b)) }
        }
        return assetRows
    }

    /// One site load inside its write transaction: each step compares the config with the stored
    /// rows, writes the difference and logs every change in `config_change`.
    private struct SiteLoad {
        let db: Database
        let siteID: String
        let now: Int64
        private(set) var changes: [SiteLoadReport.Change] = []

        init(db: Database, siteID: String, now: Int64) { self.db = db; self.siteID = siteID; self.now = now }

        mutating func record(_ entity: String, _ id: String, _ change: String, _ detail: String) throws {
            changes.append(.init(entity: entity, id: id, change: change, detail: detail))
            try db.execute(sql: """
                INSERT INTO config_change (site_id, changed_at, entity, entity_id, change, detail)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [siteID, now, entity, id, change, detail])
        }

        /// Dong codes and asset ids are keys of the whole store: one that another site holds stops
        /// the load (nothing written yet).
        func checkKeysFree(dongs: [String], assets: [String]) throws {
            for (entity, table, key, ids) in [("dong", "dong", "code", dongs), ("asset", "asset", "id", assets)] {
                // In chunks below SQLite's bound-parameter limit.
                for start in stride(from: 0, to: ids.count, by: 500) {
                    let chunk = Array(ids[start..<min(ids.count, start + 500)])
                    let sql = "SELECT \(key) AS k, site_id FROM \(table) WHERE site_id <> ? AND \(key) IN ("
                        + chunk.map { _ in "?" }.joined(separator: ", ") + ") ORDER BY 1 LIMIT 1"
                    if let row = try Row.fetchOne(db, sql: sql, arguments: StatementArguments([siteID] + chunk)) {
                        throw SiteLoadConflict(entity: entity, id: row["k"], otherSite: row["site_id"], site: siteID)
                    }
                }
            }
        }

        /// The `site` row: added, or updated when the config's fingerprint changed.
        mutating func upsertSite(_ site: SiteInfo, configJSON: String, fingerprint: String) throws {
            let existingSite = try Row.fetchOne(db, sql: "SELECT config_sha256 FROM site WHERE id = ?", arguments: [site.id])
            if existingSite == nil {
                try db.execute(sql: """
                    INSERT INTO site (id, name, name_ko, sigungu_code, config_json, config_sha256, loaded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [site.id, site.name, site.nameKo, site.sigunguCode, configJSON, fingerprint, now])
                try record("site", site.id, "added", site.nameKo)
            } else if existingSite!["config_sha256"] as String != fingerprint {
                try db.execute(sql: """
                    UPDATE site SET name = ?, name_ko = ?, sigungu_code = ?, config_json = ?, config_sha256 = ?, loaded_at = ?
                    WHERE id = ?
                    """, arguments: [site.name, site.nameKo, site.sigunguCode, configJSON, fingerprint, now, site.id])
            }
        }

        /// The site's stored rows of `table` (dong, asset) by `key`.
        func storedRows(_ table: String, key: String) throws -> [String: Row] {
            var rows: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) WHERE site_id = ?", arguments: [siteID]) { rows[row[key]] = row }
            return rows
        }

        /// Dongs of the config added, changed or reactivated; returns the stored dong rows by code.
        mutating func syncDongs(_ dongRows: [String: [String: DatabaseValue]]) throws -> [String: Row] {
            let columns = SQLiteStore.dongColumns
            let existingDongs = try storedRows("dong", key: "code")
            for code in dongRows.keys.sorted() {
                let values = dongRows[code]!
                if let old = existingDongs[code] {
                    let diffs = columns.filter { old[$0] as DatabaseValue != values[$0]! }
                    let wasInactive = (old["active"] as Int) == 0
                    if !diffs.isEmpty || wasInactive {
                        try db.execute(sql: "UPDATE dong SET " + columns.map { "\($0) = ?" }.joined(separator: ", ")
                                       + ", active = 1 WHERE code = ?",
                                       arguments: StatementArguments(columns.map { values[$0]! } + [code.databaseValue]))
                        let detail = (wasInactive ? ["reactivated"] : [])
                            + diffs.map { "\($0) \(old[$0] as DatabaseValue) → \(values[$0]!)" }
                        try record("dong", code, "updated", detail.joined(separator: "; "))
                    }
                } else {
                    try db.execute(sql: "INSERT INTO dong (code, site_id, " + columns.joined(separator: ", ")
                                   + ") VALUES (?, ?, " + columns.map { _ in "?" }.joined(separator: ", ") + ")",
                                   arguments: StatementArguments([code.databaseValue, siteID.databaseValue] + columns.map { values[$0]! }))
                    try record("dong", code, "added", String.fromDatabaseValue(values["name_ko"]!) ?? "")
                }
            }
            return existingDongs
        }

        /// Assets of the config added, changed, moved or reactivated; returns the stored asset rows by id.
        mutating func syncAssets(_ assetRows: [String: (dong: String, kind: String, params: String)]) throws -> [String: Row] {
            let existingAssets = try storedRows("asset", key: "id")
            for id in assetRows.keys.sorted() {
                let a = assetRows[id]!
                if let old = existingAssets[id] {
                    let oldParams: String = old["params_json"], oldDong: String = old["dong_code"], oldKind: String = old["kind"]
                    let active: Int = old["active"]
                    if oldParams != a.params || oldDong != a.dong || oldKind != a.kind || active == 0 {
                        try db.execute(sql: "UPDATE asset SET dong_code = ?, kind = ?, params_json = ?, active = 1 WHERE id = ?",
                                       arguments: [a.dong, a.kind, a.params, id])
                        var detail: [String] = []
                        if active == 0 { detail.append("reactivated") }
                        if oldDong != a.dong { detail.append("dong \(oldDong) → \(a.dong)") }
                        if oldParams != a.params { detail.append("params \(oldParams) → \(a.params)") }
                        try record("asset", id, "updated", detail.joined(separator: "; "))
                    }
                } else {
                    try db.execute(sql: "INSERT INTO asset (id, site_id, dong_code, kind, params_json) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [id, siteID, a.dong, a.kind, a.params])
                    try record("asset", id, "added", "\(a.kind) in \(a.dong)")
                }
            }
            return existingAssets
        }

        /// Active stored rows the config no longer names: retired (active = 0), history kept.
        mutating func retire(_ entity: String, table: String, key: String, existing: [String: Row],
                             inConfig: (String) -> Bool) throws {
            for (id, row) in existing.sorted(by: { $0.key < $1.key }) where !inConfig(id) && (row["active"] as Int) == 1 {
                try db.execute(sql: "UPDATE \(table) SET active = 0 WHERE \(key) = ?", arguments: [id])
                try record(entity, id, "removed", "retired (history kept)")
            }
        }
    }

    /// The site config last loaded into the store (decoded from its stored JSON).
    public func loadedSiteConfig(siteID: String? = nil) async throws -> SiteConfig? {
        // The id and fingerprint first (cheap); the JSON is read and decoded only on a cache miss.
        let rows: [[String]] = try await read { db in
            let sql = siteID == nil ? "SELECT id, config_sha256 FROM site ORDER BY id LIMIT 2" : "SELECT id, config_sha256 FROM site WHERE id = ?"
            return try Row.fetchAll(db, sql: sql, arguments: siteID.map { [$0] } ?? []).map { [$0["id"], $0["config_sha256"]] }
        }
        if rows.count > 1 {
            throw Self.severalSites(try await read { db in try String.fetchAll(db, sql: "SELECT id FROM site ORDER BY id") }, location: path)
        }
        guard let row = rows.first, row.count == 2 else { return nil }
        let id = row[0]
        return try await cachedSiteConfig(id: id, sha256: row[1])
    }

    /// The config of site `id` whose fingerprint was read as `sha256`: from `siteConfigs`, or its
    /// stored JSON (read with its own fingerprint) decoded and kept.
    func cachedSiteConfig(id: String, sha256: String) async throws -> SiteConfig? {
        try await siteConfigs.config(siteID: id, sha256: sha256) {
            let row: [String]? = try await read { db in
                try Row.fetchOne(db, sql: "SELECT config_sha256, config_json FROM site WHERE id = ?", arguments: [id]).map { [$0[0], $0[1]] }
            }
            guard let row, row.count == 2 else { return nil }
            return (row[0], try SiteConfigCache.decode(row[1]))
        }
    }

    /// Per-dong summary of the active dongs and assets, in dong-code order.
    public func siteSummary() async throws -> [DongSummary] {
        guard let config = try await loadedSiteConfig() else { return [] }
        let active: Set<String> = try await read { db in
            Set(try String.fetchAll(db, sql: "SELECT code FROM dong WHERE active = 1"))
        }
        return config.dongs.filter { active.contains($0.code) }.sorted { $0.code < $1.code }.map { d in
            DongSummary(code: d.code, nameKo: d.nameKo, name: d.name, households: d.households, pvKWp: d.pvCapacity.kWp,
                        miniSolarUnits: d.miniSolarHouseholds, batteryKWh: d.batteryCapacity.kWh,
                        batteryKW: d.batteryPowerKW, meters: d.meters.count)
        }
    }

    /// Recorded config changes, newest first.
    public func configChanges(limit: Int = 100) async throws -> [SiteLoadReport.Change] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM config_change ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                .init(entity: $0["entity"], id: $0["entity_id"], change: $0["change"], detail: $0["detail"])
            }
        }
    }

    /// Schema version, row counts per table and file size.
    public func info() async throws -> StoreInfo {
        let (applied, counts): (Set<String>, [String: Int]) = try await read { db in
            let applied = try VPPMigrations.migrator.appliedIdentifiers(db)
            var counts: [String: Int] = [:]
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                ORDER BY name
                """)
            for t in tables { counts[t] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(t)\"") ?? 0 }
            return (applied, counts)
        }
        let fm = FileManager.default
        var bytes: Int64 = 0
        for suffix in ["", "-wal"] {
            if let attrs = try? fm.attributesOfItem(atPath: path + suffix), let n = attrs[.size] as? NSNumber { bytes += n.int64Value }
        }
        let ordered = VPPMigrations.migrator.migrations.filter { applied.contains($0) }
        return StoreInfo(path: path, schemaVersion: "\(ordered.count):\(ordered.last ?? "none")",
                         migrationsApplied: ordered, rowCounts: counts, fileBytes: bytes)
    }
}
