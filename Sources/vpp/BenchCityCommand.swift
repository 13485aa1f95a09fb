import ArgumentParser
import Foundation
import VPPBenchmarks
import VPPCore
import VPPStore
import VPPStorePostgres

/// `vpp bench city` — the city roll-up at scale (issue 14): SYNTHETIC districts drawn from a real
/// district's dongs, a year of SYNTHETIC hourly rollups each, `report --scope city` timed.
/// `--city-db postgresql://…` puts the city stores (the report store and the sync target) in
/// throw-away databases on that PostgreSQL server instead of SQLite files; the district store
/// stays SQLite, as a district centre's is.
struct BenchCity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city", abstract: "Time the city report over N synthetic districts × a year of hourly rollups, and a district-month sync.")
    @Option(help: "Real site config the synthetic dongs are drawn from.") var site: String = "site-configs/seodaemun.toml"
    @Option(help: "Synthetic districts to generate (1–99).") var districts: Int = 25
    @Option(help: "Year to fill (KST).") var year: Int = 2024
    @Option(help: "Seed of the generator and the rollups.") var seed: UInt64 = 14
    @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
    @Option(help: "Also write the synthetic district configs (TOML, labelled SYNTHETIC) into this folder.") var configsOut: String?
    @Option(help: "Timed runs.") var iterations: Int = 7
    @Option(help: ArgumentHelp("City stores on this PostgreSQL server (postgresql://user@host:port/database): throw-away databases are created on it and dropped.",
                               valueName: "url"))
    var cityDb: String?

    func validate() throws {
        guard (1...99).contains(districts) else { throw ValidationError("--districts must be 1…99") }
        guard (1...1000).contains(iterations) else { throw ValidationError("--iterations must be 1…1000") }
        guard (2000...2100).contains(year) else { throw ValidationError("--year must be 2000…2100") }
        if let cityDb, !PostgresURL.isPostgres(cityDb) { throw ValidationError("--city-db must be a postgresql:// URL") }
    }

    func run() async throws {
        guard let cityDb else {
            for line in try await CityBenchmark.run(realConfigPath: site, districts: districts, year: year, seed: seed, directory: dir,
                                                    configsOut: configsOut, iterations: iterations) { print(line) }
            return
        }
        let server = try PostgresURL(parsing: cityDb)
        let created = CreatedDatabases()
        let stores = CityBenchmark.CityStores(label: "PostgreSQL at \(server.host):\(server.port) (throw-away databases)") { role, clock in
            let name = "vpp_bench_\(role)_\(getpid())"
            try await PostgresStore.createDatabase(name, on: server)
            let store = PostgresStore(url: server.with(database: name), clock: clock)
            created.add(name, store)
            return store.storage
        }
        do {
            let lines = try await CityBenchmark.run(realConfigPath: site, districts: districts, year: year, seed: seed, directory: dir,
                                                    configsOut: configsOut, iterations: iterations, cityStores: stores)
            await created.dropAll(on: server)
            for line in lines { print(line) }
        } catch {
            await created.dropAll(on: server)
            throw error
        }
    }
}

/// The bench's throw-away databases, dropped at the end (also after a failure).
private final class CreatedDatabases: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [(name: String, store: PostgresStore)] = []

    func add(_ name: String, _ store: PostgresStore) {
        lock.lock(); defer { lock.unlock() }
        all.append((name, store))
    }

    func dropAll(on server: PostgresURL) async {
        let list: [(name: String, store: PostgresStore)] = { lock.lock(); defer { lock.unlock() }; return all }()
        for (name, store) in list {
            await store.close()
            try? await PostgresStore.dropDatabase(name, on: server)
        }
    }
}
