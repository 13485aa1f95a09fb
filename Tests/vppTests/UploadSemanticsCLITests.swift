import Foundation
import Testing
import VPPBenchmarks
@testable import Ingestion
@testable import VPPAuth
@testable import VPPServer
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport

/// Issue 15, upload semantics, end to end: exit codes of `vpp ingest`, `vpp uploads retry|delete`
/// from the built binary, and the server's answers to identical and busy uploads.
@Suite("Upload semantics CLI and server")
struct UploadSemanticsCLITests {
    let cli = CLITests()

    /// A long-format interval export whose meter the Seodaemun site does not know by that name.
    static let unknownMeterCSV = """
        검침일시,계량기번호,사용량(kWh)
        2024-01-01 00:00,feeder 7,10.5
        2024-01-01 01:00,feeder 7,11.0
        2024-01-01 02:00,feeder 7,9.8

        """

    private func site() async throws -> (dir: URL, db: String) {
        let dir = try TempDirectory.make()
        let db = dir.appendingPathComponent("cli.sqlite").path
        let l = try await cli.run(["site", "load", "--db", db, "site-configs/seodaemun.toml"])
        #expect(l.status == 0, "\(l.stderr)")
        return (dir, db)
    }

    @Test func allRejectedExits65AndRetryFixesIt() async throws {
        let (dir, db) = try await site()
        defer { TempDirectory.remove(dir) }
        let csv = dir.appendingPathComponent("feeder.csv")
        try Self.unknownMeterCSV.write(to: csv, atomically: true, encoding: .utf8)
        let args = ["ingest", "--db", db, csv.path, "--kind", "interval", "--source", "AMI head-end", "--convention", "hour-beginning"]
        let r1 = try await cli.run(args)
        #expect(r1.status == 65, "\(r1.stdout) \(r1.stderr)")
        #expect(r1.stdout.contains("upload 1 rejected: 0 ok, 3 rejected"))
        #expect(r1.stdout.contains("reject \(csv.path):2"))
        #expect(r1.stderr.contains("all 3 rows rejected") && r1.stderr.contains("vpp uploads retry 1"))
        #expect(r1.stderr.split(separator: "\n").count == 1)
        // The same command again is not "already ingested": it is refused again, as a new upload.
        let r2 = try await cli.run(args)
        #expect(r2.status == 65 && !r2.stdout.contains("already ingested"), "\(r2.stdout)")
        // Retry with the right mapping: the bytes were kept, so even a removed file can be retried.
        let map = dir.appendingPathComponent("m.toml")
        try "[meters]\n\"feeder 7\" = \"cheonyeon-feeder\"\n".write(to: map, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: csv)
        let retry = try await cli.run(["uploads", "retry", "--db", db, "1", "--map", map.path])
        #expect(retry.status == 0, "\(retry.stdout) \(retry.stderr)")
        #expect(retry.stdout.contains("from its bytes kept in the store"))
        #expect(retry.stdout.contains("ok: 3 ok, 0 rejected"))
        // Some rows rejected: exit 0 with the count.
        let partial = dir.appendingPathComponent("partial.csv")
        try (Self.unknownMeterCSV.replacingOccurrences(of: "feeder 7", with: "cheonyeon-feeder")
            .replacingOccurrences(of: "9.8", with: "n/a")).write(to: partial, atomically: true, encoding: .utf8)
        let p = try await cli.run(["ingest", "--db", db, partial.path, "--kind", "interval", "--source", "AMI head-end", "--convention", "hour-beginning"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.contains("partial: 2 ok, 1 rejected"))
        // Retry of an unknown upload: 66.
        #expect(try await cli.run(["uploads", "retry", "--db", db, "99"]).status == 66)
    }

    @Test func deleteIsConfirmedAuditedAndRemovesTheUpload() async throws {
        let (dir, db) = try await site()
        defer { TempDirectory.remove(dir) }
        let csv = dir.appendingPathComponent("feeder.csv")
        try Self.unknownMeterCSV.replacingOccurrences(of: "feeder 7", with: "cheonyeon-feeder").write(to: csv, atomically: true, encoding: .utf8)
        let r = try await cli.run(["ingest", "--db", db, csv.path, "--kind", "interval", "--source", "AMI", "--convention", "hour-beginning"])
        #expect(r.status == 0, "\(r.stderr)")
        let store = try SQLiteStore(path: db)
        let jan = YearMonth(year: 2024, month: 1)
        #expect(try await store.rollupTotals(dong: "1141052000", month: jan).consumptionWh == 31_300)
        #expect(try await cli.run(["uploads", "delete", "--db", db, "1"]).status == 64)   // no --yes
        let d = try await cli.run(["uploads", "delete", "--db", db, "1", "--yes"])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.stdout.contains("deleted upload 1") && d.stdout.contains("3 readings removed"))
        #expect(try await store.rollupTotals(dong: "1141052000", month: jan).hours == 0)
        #expect(try await store.auditLog().contains { $0.action == "upload.delete" && $0.target == "upload:1" && $0.actor.hasPrefix("cli") })
        #expect(try await cli.run(["uploads", "show", "--db", db, "1"]).status == 66)
        #expect(try await cli.run(["uploads", "delete", "--db", db, "1", "--yes"]).status == 66)
        // Ingesting the file again after the delete is a fresh upload, not a duplicate.
        let again = try await cli.run(["ingest", "--db", db, csv.path, "--kind", "interval", "--source", "AMI", "--convention", "hour-beginning"])
        #expect(again.status == 0 && again.stdout.contains("ok: 3 ok"), "\(again.stdout)")
    }

    @Test func ingestWhileAnotherWriterHoldsTheLockExits75() async throws {
        let (dir, db) = try await site()
        defer { TempDirectory.remove(dir) }
        let csv = dir.appendingPathComponent("feeder.csv")
        try Self.unknownMeterCSV.replacingOccurrences(of: "feeder 7", with: "cheonyeon-feeder").write(to: csv, atomically: true, encoding: .utf8)
        let holder = try SQLiteStore(path: db)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.pool.write { db in
                try db.execute(sql: "INSERT INTO audit_log (at, actor, action, outcome) VALUES (0, 'test', 'lock', 'ok')")
                locked.signal()
                _ = release.wait(timeout: .now() + 600)
            }
            done.signal()
        }
        locked.wait()
        let r = try await cli.run(["ingest", "--db", db, csv.path, "--kind", "interval", "--source", "AMI", "--convention", "hour-beginning"])
        release.signal()
        _ = done.wait(timeout: .now() + 30)
        #expect(r.status == 75, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("busy") && r.stderr.contains("try again"))
        // Nothing was half-written: the same command now ingests.
        #expect(try await cli.run(["ingest", "--db", db, csv.path, "--kind", "interval", "--source", "AMI", "--convention", "hour-beginning"]).status == 0)
    }

    @Test func identicalUploadsOverHTTPArePerAccount() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let bytes = ServerFixtures.monthlyCSV(rows: 300, bad: 0)
        let port = s.port, tok = s.officeToken
        // Concurrent identical uploads by one office: one 201, the rest duplicates it may see; never 409.
        let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { g in
            for _ in 0..<4 {
                g.addTask {
                    try await LoopbackHTTP.async(port: port, method: "POST", path: "/api/v1/uploads?kind=monthly&month=2025-08&complex=cheonyeon-apt",
                                                 headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(tok)")], body: bytes)
                }
            }
            var out: [HTTPReply] = []
            for try await r in g { out.append(r) }
            return out
        }
        let summary = "\(replies.map { "\($0.status) \($0.text.prefix(160))" })"
        #expect(replies.filter { $0.status == 201 }.count == 1, "\(summary)")
        #expect(replies.filter { $0.status == 200 && $0.json?["duplicate"] as? Bool == true }.count == 3, "\(summary)")
        #expect(!replies.contains { $0.status == 409 }, "\(summary)")
        // The same bytes from another office: its own upload, not a 409 revealing that the file exists.
        let other = try await s.uploadRaw(bytes, query: "kind=monthly&month=2025-08&complex=bugahyeon-apt", token: s.otherOfficeToken)
        #expect(other.status == 201, "\(other.status) \(other.text)")
        // The same bytes for another billing month: ingested, not dropped as a duplicate.
        let september = try await s.uploadRaw(bytes, query: "kind=monthly&month=2025-09&complex=cheonyeon-apt", token: tok)
        #expect(september.status == 201 && september.json?["duplicate"] as? Bool == false, "\(september.text)")
        await #expect(try s.store.uploads().count == 3)
    }

    @Test func busyStoreIs503WithRetryAfter() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        // Another process's connection holds the write lock past the server's busy timeout.
        let holder = try SQLiteStore(path: s.store.path)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.pool.write { db in
                try db.execute(sql: "INSERT INTO audit_log (at, actor, action, outcome) VALUES (0, 'test', 'lock', 'ok')")
                locked.signal()
                _ = release.wait(timeout: .now() + 600)
            }
            done.signal()
        }
        locked.wait()
        let r = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08&complex=cheonyeon-apt", token: s.officeToken)
        release.signal()
        _ = done.wait(timeout: .now() + 30)
        #expect(r.status == 503 && r.errorCode == "busy", "\(r.status) \(r.text)")
        #expect(r.headers["retry-after"] == "5")
        await #expect(try s.store.uploads().isEmpty)
    }
}
