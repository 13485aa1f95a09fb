import Foundation
import GRDB
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
@testable import VPPCore
import VPPTestSupport

@Suite("Store and site load")
struct StoreTests {
    @Test func migrationsCreateSchemaOnFreshDatabase() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let info = try await store.info()
        #expect(info.migrationsApplied == VPPMigrations.migrator.migrations)
        for table in ["site", "dong", "asset", "reading", "register_reading", "upload", "rejected_row", "rollup_hourly",
                      "forecast", "forecast_run", "schedule", "dispatch_run", "config_change"] {
            #expect(info.rowCounts[table] == 0, "table \(table)")
        }
        // WAL mode.
        let mode = try await store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // Reopening an existing file migrates nothing new and keeps data.
        let again = try SQLiteStore(path: store.path)
        await #expect(try again.info().schemaVersion == info.schemaVersion)
    }

    @Test func siteLoadIsIdempotent() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let config = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        let first = try await store.loadSite(config)
        #expect(first.changes.count == 1 + 14 + 70)     // site + dongs + assets
        let before = try await store.info().rowCounts
        let second = try await store.loadSite(config)
        #expect(second.unchanged)
        await #expect(try store.info().rowCounts == before)
        let summary = try await store.siteSummary()
        #expect(summary.count == 14)
        #expect(summary.reduce(0) { $0 + $1.households } == 143_226)
    }

    @Test func changedConfigUpdatesAssetsAndRecordsWhat() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        var config = SiteBuilder.tiny(dongs: 2)
        try await store.loadSite(config)
        config.dongs[0].batteries[0].capacityKWh = 250
        config.dongs[1].meters = []              // meter-1 removed
        config.dongs[1].households = 2100
        let report = try await store.loadSite(config)
        let summary = report.changes.map { "\($0.change) \($0.entity) \($0.id)" }.sorted()
        #expect(summary == ["removed asset meter-1", "updated asset ess-0", "updated dong 9999900001"])
        #expect(report.changes.first { $0.id == "9999900001" }?.detail == "households 2000 → 2100")
        #expect(report.changes.first { $0.id == "ess-0" }?.detail.contains("\"capacityKWh\":250") == true)
        // Retired, not deleted: history stays.
        let active = try await store.read { db in try Int.fetchOne(db, sql: "SELECT active FROM asset WHERE id = 'meter-1'") }
        #expect(active == 0)
        await #expect(try store.configChanges().count == report.changes.count + 1 + 2 + 6)
        await #expect(try store.loadSite(config).unchanged)
        // Re-adding the meter reactivates it.
        config.dongs[1].meters = [MeterConfig(id: "meter-1", complex: "시험아파트 1")]
        await #expect(try store.loadSite(config).changes.map(\.detail) == ["reactivated"])
    }

    @Test func defaultPathHonoursEnvironment() {
        #expect(SQLiteStore.defaultPath(environment: ["VPP_DB": "/x/y.sqlite"]) == "/x/y.sqlite")
        #expect(SQLiteStore.defaultPath(environment: ["XDG_DATA_HOME": "/d", "HOME": "/h"]) == "/d/vpp/vpp.sqlite")
        #expect(SQLiteStore.defaultPath(environment: ["HOME": "/h"]) == "/h/.local/share/vpp/vpp.sqlite")
    }
}
