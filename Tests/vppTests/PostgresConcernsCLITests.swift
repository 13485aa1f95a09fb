import Foundation
import Testing
import VPPStorePostgres
import VPPTestSupport

/// The CLI on a PostgreSQL store (issue 14) for the concerns that used to be SQLite-only:
/// `vpp dispatch run` publishes its OpenADR events, `vpp alerts import` stores alerts,
/// `vpp simulate outage` drills from the stored plan and alerts, and `vpp uploads delete` removes an upload. Runs when `VPP_TEST_POSTGRES_URL` names a server
/// (`scripts/with-postgres.sh`), each test in its own throw-away database.
@Suite("CLI on PostgreSQL: OpenADR publish, alerts, outage drill, upload delete")
struct PostgresConcernsCLITests {
    static var server: PostgresURL? {
        guard let text = ProcessInfo.processInfo.environment["VPP_TEST_POSTGRES_URL"], !text.isEmpty else { return nil }
        return try? PostgresURL(parsing: text)
    }

    @Test(.enabled(if: server != nil, "VPP_TEST_POSTGRES_URL is unset: skipped (make test starts a throw-away server)"))
    func dispatchAlertsDeleteOnPostgres() async throws {
        let server = try #require(Self.server)
        let name = "vpp_cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresStore.createDatabase(name, on: server)
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = server.with(database: name).redacted
        let cli = CLITests()
        do {
            let load = try await cli.run(["site", "load", "--db", db, "site-configs/seodaemun.toml"])
            #expect(load.status == 0, "\(load.stderr)")
            let outbox = dir.appendingPathComponent("outbox").path, lock = dir.appendingPathComponent("lock").path
            let args = ["dispatch", "run", "--db", db, "--outbox", outbox, "--lock", lock, "--horizon", "24h", "--step", "1h",
                        "--at", "2022-08-01T01:00"]
            let run1 = try await cli.run(args)
            #expect(run1.status == 0, "\(run1.stderr)")
            #expect(!run1.stderr.contains("not supported") && !run1.stdout.contains("not supported"), "\(run1.stderr)")
            #expect(run1.stdout.contains("openadr: 28 events created, 0 superseded, 14 programs created"), "\(run1.stdout)")
            let run2 = try await cli.run(args)
            #expect(run2.status == 0, "\(run2.stderr)")
            #expect(run2.stdout.contains("openadr: 0 events created, 28 superseded, 0 programs created"), "\(run2.stdout)")

            let alerts = dir.appendingPathComponent("alerts.csv")
            try Data("area,kind,level,from,to\n서대문구,heat,warning,2022-08-01T11:00,2022-08-02T18:00\n".utf8).write(to: alerts)
            let a1 = try await cli.run(["alerts", "import", "--db", db, alerts.path])
            #expect(a1.status == 0, "\(a1.stderr)")
            #expect(a1.stdout.contains("1 new, 0 already stored"), "\(a1.stdout)")
            let a2 = try await cli.run(["alerts", "import", "--db", db, alerts.path])
            #expect(a2.stdout.contains("0 new, 1 already stored"), "\(a2.stdout)")

            // The outage drill reads the newest plan and the alert in force from PostgreSQL, and
            // prints what it prints for a SQLite store given the same commands.
            let sqlite = dir.appendingPathComponent("same.sqlite").path
            #expect(try await cli.run(["site", "load", "--db", sqlite, "site-configs/seodaemun.toml"]).status == 0)
            let sqliteRun = try await cli.run(["dispatch", "run", "--db", sqlite, "--outbox", dir.appendingPathComponent("outbox2").path,
                                         "--lock", dir.appendingPathComponent("lock2").path, "--horizon", "24h", "--step", "1h",
                                         "--at", "2022-08-01T01:00"])
            #expect(sqliteRun.status == 0, "\(sqliteRun.stderr)")
            #expect(try await cli.run(["alerts", "import", "--db", sqlite, alerts.path]).status == 0)
            let drill = ["simulate", "outage", "--dong", "1141062000", "--from", "2022-08-01T12:00", "--hours", "8"]
            let onPG = try await cli.run(drill + ["--db", db]), onSQLite = try await cli.run(drill + ["--db", sqlite])
            #expect(onPG.stdout.contains("requirement: warning") && onPG.stdout.contains("starting SoC from the newest dispatch plan"),
                    "\(onPG.stdout)\(onPG.stderr)")
            #expect(onPG.status == onSQLite.status && [0, 65].contains(onPG.status), "\(onPG.stderr)")
            #expect(onPG.stdout == onSQLite.stdout)

            let ingest = try await cli.run(["ingest", "--db", db, "--kind", "interval", "--source", "AMI head-end", "samples/ami-feeders-2022-07.csv"])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let del = try await cli.run(["uploads", "delete", "--db", db, "1", "--yes"])
            #expect(del.status == 0, "\(del.stderr)")
            #expect(del.stdout.contains("deleted upload 1 (") && del.stdout.contains("2232 readings removed, 0 restored"), "\(del.stdout)")
        } catch {
            try? await PostgresStore.dropDatabase(name, on: server)
            throw error
        }
        try? await PostgresStore.dropDatabase(name, on: server)
    }
}
