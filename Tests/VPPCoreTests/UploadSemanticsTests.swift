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
import VPPTestSupport
@testable import VPPCore

// Issue 15, upload semantics. Values are the real GIST 교원아파트 hourly loads used by the other
// ingest tests (shared/data/gist-campus/load_hourly_by_feeder.csv, 2022-07-01 KST, kW as kWh/h).
private let header = "검침일시,계량기번호,사용량(kWh)\n"
private func rows(_ meter: String, _ values: [(hour: Int, kwh: String)]) -> String {
    values.map { "2022-07-01 \($0.hour < 10 ? "0" : "")\($0.hour):00,\(meter),\($0.kwh)\n" }.joined()
}
private let good: [(hour: Int, kwh: String)] = [(1, "71.7"), (2, "61.8"), (3, "57.8"), (4, "54.7")]
private var endingHourly: IngestMapping { var m = IngestMapping(); m.convention = .hourEnding; m.slot = .hour; return m }
/// An XpERP monthly upload (동, 호, 전월지침, 당월지침, 사용량), no header.
private let monthlyCSV = "101,1001,1000,1250,250\n101,1002,2000,2310,310\n102,1001,500,640,140\n"

@Suite("Upload semantics (issue 15)")
struct UploadSemanticsTests {
    @Test("an upload whose rows are all rejected stores its rejects and blocks no retry")
    func allRejectedDoesNotBlockRetry() async throws {
        let env = try await IngestEnv()
        // The export names the meter "LG library", which the site does not know: every row is rejected.
        let p = try env.file("lg.csv", header + rows("LG library", good))
        let r1 = try await env.ingest(p, mapping: endingHourly)
        #expect(r1.allRejected && r1.status == "rejected" && r1.rowsRejected == 4 && !r1.duplicate)
        #expect(try env.count("rejected_row") == 4)
        await #expect(try env.store.upload(id: r1.uploadID)?.status == "rejected")
        let key: String? = try await env.store.read { db in
            try String.fetchOne(db, sql: "SELECT idempotency_key FROM upload WHERE id = ?", arguments: [r1.uploadID])
        }
        #expect(key == nil)
        // The same bytes with the right mapping: a new upload, not "already ingested".
        var fixed = endingHourly
        fixed.meters = ["LG library": "faculty-apt"]
        let r2 = try await env.ingest(p, mapping: fixed)
        #expect(!r2.duplicate && r2.rowsOK == 4 && r2.rowsRejected == 0 && r2.uploadID != r1.uploadID)
        #expect(try env.wh("faculty-apt", KSTDateTime(year: 2022, month: 7, day: 1, hour: 0)) == 71_700)
        // Now it holds its key: the same again is a duplicate.
        let r3 = try await env.ingest(p, mapping: fixed)
        #expect(r3.duplicate && r3.uploadID == r2.uploadID)
        // Some rows rejected: not "all rejected" (exit 0 with the count).
        let partial = try await env.ingest(try env.file("partial.csv", header + rows("교원아파트", [(5, "49.2"), (6, "oops")])), mapping: endingHourly)
        #expect(!partial.allRejected && partial.status == "partial" && partial.rowsOK == 1 && partial.rowsRejected == 1)
        try env.expectRollupsMatchReadings()
    }

    @Test("idempotency is per owner and per parameters, not per bytes")
    func idempotencyKey() async throws {
        let env = try await IngestEnv()
        let csv = try env.file("erp.csv", monthlyCSV)
        var aug = IngestMapping(); aug.month = YearMonth(year: 2025, month: 8)
        var sep = IngestMapping(); sep.month = YearMonth(year: 2025, month: 9)
        let a = try await env.ingest(csv, .monthly, mapping: aug, source: "cheonyeon-apt")
        #expect(!a.duplicate && a.rowsOK == 3)
        // Same bytes, same owner, another billing month: ingested, not silently dropped.
        let b = try await env.ingest(csv, .monthly, mapping: sep, source: "cheonyeon-apt")
        #expect(!b.duplicate && b.rowsOK == 3)
        let periods: [String] = try await env.store.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT period FROM register_reading ORDER BY period")
        }
        #expect(periods == ["2025-08", "2025-09"])
        // Same bytes from another owner: its own upload (no conflict, nothing learned).
        let c = try await env.ingest(csv, .monthly, mapping: aug, source: "CHEONYEON-APT")
        #expect(!c.duplicate && c.uploadID != a.uploadID)
        // Same owner, bytes and parameters: the duplicate. A month from the file name counts as that month.
        #expect(try await env.ingest(csv, .monthly, mapping: aug, source: "cheonyeon-apt").duplicate)
        let named = try env.file("erp-2025-08.csv", monthlyCSV)
        let d = try await env.ingest(named, .monthly, source: "cheonyeon-apt")
        #expect(d.duplicate && d.uploadID == a.uploadID)
        // Another kind or another target asset is another key.
        let k1 = UploadKey(owner: "o", sha256: "x", kind: .interval, mapping: IngestMapping(), month: nil, target: nil)
        let k2 = UploadKey(owner: "o", sha256: "x", kind: .pv, mapping: IngestMapping(), month: nil, target: nil)
        let k3 = UploadKey(owner: "o", sha256: "x", kind: .interval, mapping: IngestMapping(), month: nil, target: "faculty-apt")
        #expect(Set([k1.key, k2.key, k3.key]).count == 3)
        #expect(UploadKey.mapping(fromParams: k3.params)?.meter == "faculty-apt")
    }

    @Test("retry re-ingests the kept bytes of a refused upload, or re-reads an unchanged recorded path")
    func retry() async throws {
        let env = try await IngestEnv()
        let p = try env.file("lg.csv", header + rows("LG library", good))
        let refused = try await env.ingest(p, mapping: endingHourly)
        #expect(refused.allRejected && refused.originalKept)
        try FileManager.default.removeItem(atPath: p)   // the operator no longer has the file
        var flags = IngestMapping()
        flags.meters = ["LG library": "faculty-apt"]
        let (r, origin) = try await Ingestor(storage: env.store.storage).retry(uploadID: refused.uploadID, flags: flags)
        #expect(origin == .kept)
        // The original parameters (hour-ending) carried over; the flags added the meter mapping.
        #expect(r.rowsOK == 4 && !r.duplicate && r.file == p)
        #expect(try env.wh("faculty-apt", KSTDateTime(year: 2022, month: 7, day: 1, hour: 0)) == 71_700)
        let retryOf: Int64? = try await env.store.read { db in
            try Int64.fetchOne(db, sql: "SELECT retry_of FROM upload WHERE id = ?", arguments: [r.uploadID])
        }
        #expect(retryOf == refused.uploadID)
        // The same retry again is a duplicate of the retry.
        await #expect(try Ingestor(storage: env.store.storage).retry(uploadID: refused.uploadID, flags: flags).report.duplicate)

        // A clean upload's bytes are not kept: the retry re-reads its recorded path, if unchanged.
        let q = try env.file("ok.csv", header + rows("교원아파트", [(8, "50.1")]))
        let ok = try await env.ingest(q, mapping: endingHourly)
        #expect(!ok.originalKept)
        var beginning = IngestMapping(); beginning.convention = .hourBeginning
        let (r2, origin2) = try await Ingestor(storage: env.store.storage).retry(uploadID: ok.uploadID, flags: beginning)
        #expect(origin2 == .path(URL(fileURLWithPath: q).standardizedFileURL.path))
        #expect(!r2.duplicate && r2.rowsOK == 1)
        try Data((header + rows("교원아파트", [(8, "99.9")])).utf8).write(to: URL(fileURLWithPath: q))
        await #expect { _ = try await Ingestor(storage: env.store.storage).retry(uploadID: ok.uploadID, flags: endingHourly, freshParameters: true) } throws: {
            ($0 as? IngestError)?.category == .noInput && "\($0)".contains("changed since it was uploaded")
        }
        await #expect { _ = try await Ingestor(storage: env.store.storage).retry(uploadID: 9999, flags: IngestMapping()) } throws: {
            ($0 as? VPPError)?.category == .noInput
        }
        try env.expectRollupsMatchReadings()
    }

    /// Readings (energy, quality), rollups and change records, without upload ids (they differ between stores).
    private func snapshot(_ env: IngestEnv) throws -> [String] {
        try env.store.read { db in
            try Row.fetchAll(db, sql: "SELECT asset_id, slot_start, duration_s, energy_wh, quality FROM reading ORDER BY 1, 2, 3")
                .map { "reading \($0[0] as String) \($0[1] as Int64) \($0[2] as Int64) \($0[3] as Int64) q\($0[4] as Int64)" }
            + Row.fetchAll(db, sql: "SELECT * FROM rollup_hourly ORDER BY dong_code, hour_start").map { "rollup \($0)" }
            + Row.fetchAll(db, sql: "SELECT asset_id, slot_start, old_wh, new_wh FROM reading_change ORDER BY 1, 2")
                .map { "change \($0)" }
        }
    }

    @Test("delete removes an upload as if it had never been ingested: readings, rollups, rejects, audited")
    func deleteUpload() async throws {
        let a = header + rows("교원아파트", good) + rows("CHEONYEON-APT", [(1, "12.5"), (2, "11.0")])
        // B changes hour 3, repeats hour 4, adds hours 5 and 6, and has one bad row.
        let b = header + rows("교원아파트", [(3, "55.7"), (4, "54.7"), (5, "49.2"), (6, "40.0"), (7, "bad")])
        // C, later, overwrites B's hour 6 and adds hour 9.
        let c = header + rows("교원아파트", [(6, "41.0"), (9, "44.4")])

        let expected = try await IngestEnv()
        _ = try await expected.ingest(try expected.file("a.csv", a), mapping: endingHourly)
        _ = try await expected.ingest(try expected.file("c.csv", c), mapping: endingHourly)

        let env = try await IngestEnv()
        _ = try await env.ingest(try env.file("a.csv", a), mapping: endingHourly)
        let before = try snapshot(env)
        let rb = try await env.ingest(try env.file("b.csv", b), mapping: endingHourly)
        #expect(rb.rowsOK == 4 && rb.rowsRejected == 1 && rb.rowsChanged == 1)
        let rc = try await env.ingest(try env.file("c.csv", c), mapping: endingHourly)
        #expect(rc.rowsChanged == 1)

        let d = try await env.store.deleteUpload(id: rb.uploadID, actor: "test-operator")
        #expect(d.readingsRemoved == 1 && d.readingsRestored == 1 && d.rejectedRowsRemoved == 1)
        #expect(try snapshot(env) == snapshot(expected))
        try env.expectRollupsMatchReadings()
        await #expect(try env.store.upload(id: rb.uploadID) == nil)
        #expect(try env.count("rejected_row") == 0)
        let audit = try await env.store.auditLog()
        #expect(audit.contains { $0.action == "upload.delete" && $0.target == "upload:\(rb.uploadID)" && $0.actor == "test-operator" })

        // Deleting the only upload brings rollup_hourly back to exactly what it was before it.
        let env2 = try await IngestEnv()
        let empty = try snapshot(env2)
        let only = try await env2.ingest(try env2.file("a.csv", a), mapping: endingHourly)
        #expect(try snapshot(env2) != empty)
        try await env2.store.deleteUpload(id: only.uploadID)
        #expect(try snapshot(env2) == empty)
        #expect(try env2.count("rollup_hourly") == 0)

        // Deleting C after B was deleted restores A's state exactly (hour 9 gone, hour 6 gone).
        try await env.store.deleteUpload(id: rc.uploadID)
        #expect(try snapshot(env) == before)

        // A monthly upload's register readings go with it.
        var aug = IngestMapping(); aug.month = YearMonth(year: 2025, month: 8)
        let m = try await env.ingest(try env.file("erp.csv", monthlyCSV), .monthly, mapping: aug, source: "cheonyeon-apt")
        #expect(try env.count("register_reading") == 3)
        await #expect(try env.store.deleteUpload(id: m.uploadID).registerReadingsRemoved == 3)
        #expect(try env.count("register_reading") == 0)
        await #expect { try await env.store.deleteUpload(id: m.uploadID) } throws: { ($0 as? VPPError)?.category == .noInput }
    }

    @Test("two concurrent identical uploads by one account: one ingests, the other is a duplicate it can see")
    func concurrentIdenticalUploads() async throws {
        let env = try await IngestEnv()
        let token = try await env.store.createToken(role: .office, office: "GIST 교원아파트", complexes: ["faculty-apt"]).info
        let principal = Principal(tokenID: token.id, keyID: token.keyID, role: .office, office: token.office, complexes: token.complexes)
        // Two stores on the same file, as two server processes or a server and the CLI would be.
        let second = try SQLiteStore(path: env.store.path, clock: env.store.clock)
        for round in 0..<4 {
            var text = header
            for h in 0..<2000 {
                let t = KSTDateTime(epochSeconds: KSTDateTime(year: 2022, month: 8, day: 1).epochSeconds + Int64(round * 2000 + h) * 3600)
                text += "\(t.dateString) \(t.hour < 10 ? "0" : "")\(t.hour):00,교원아파트,\(50 + (h * 7) % 30).\(round)\n"
            }
            let path = try env.file("big-\(round).csv", text)
            var beginning = IngestMapping(); beginning.convention = .hourBeginning
            let options = IngestOptions(kind: .interval, source: "GIST 교원아파트", mapping: beginning, owner: principal.actor,
                                        attribution: UploadAttribution(tokenID: token.id, office: token.office, complex: "faculty-apt"),
                                        displayName: "big.csv")
            // Two real concurrent ingests, each on its own store connection pool.
            async let a = Ingestor(storage: env.store.storage).ingest(file: path, options: options)
            async let b = Ingestor(storage: second.storage).ingest(file: path, options: options)
            let reports = try await [a, b]
            #expect(reports.count == 2)
            #expect(reports.filter { !$0.duplicate }.count == 1, "round \(round)")
            #expect(Set(reports.map(\.uploadID)).count == 1)
            for r in reports {
                let owner = try await env.store.uploadOwner(uploadID: r.uploadID)
                #expect(owner?.tokenID == token.id)
                #expect(Authorization.canRead(uploadOwnedBy: owner, principal))
            }
        }
        await #expect(try env.store.uploads().count == 4)
        await #expect(try env.store.uploads().allSatisfy { $0.fileName == "big.csv" })
    }

    @Test("a write lock held past the busy timeout is a temporary failure (75), not an internal one")
    func busyIsTemporary() async throws {
        let env = try await IngestEnv()
        let p = try env.file("a.csv", header + rows("교원아파트", good))
        let impatient = try SQLiteStore(path: env.store.path, clock: env.store.clock, busyTimeoutS: 0.2)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let holder = env.store
        // Hold the lock from the first store while the second one ingests.
        Thread.detachNewThread {
            try? holder.pool.write { db in
                try db.execute(sql: "INSERT INTO audit_log (at, actor, action, outcome) VALUES (0, 'test', 'lock', 'ok')")
                locked.signal()
                // Held until the test releases it (the bound only keeps a broken test from hanging:
                // under a loaded full suite the ingest below may start tens of seconds later).
                _ = release.wait(timeout: .now() + 600)
            }
            done.signal()
        }
        locked.wait()
        defer { release.signal(); _ = done.wait(timeout: .now() + 600) }
        await #expect { _ = try await Ingestor(storage: impatient.storage).ingest(file: p, options: IngestOptions(kind: .interval, source: "t", mapping: endingHourly)) } throws: {
            let e = $0 as? VPPError
            return e?.category == .temporary && e?.message.contains("busy") == true
        }
        await #expect { try await impatient.appendAudit(AuditEvent(at: 0, actor: "t", tokenID: nil, action: "x", target: nil, outcome: "ok")) } throws: {
            ($0 as? VPPError)?.category == .temporary
        }
    }

    @Test("the hardening-v1-upload-key migration keeps earlier uploads and frees their bytes for re-upload")
    func migrationFromEarlierSchema() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let path = dir.appendingPathComponent("old.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try VPPMigrations.migrator.migrate(queue, upTo: "auth-v1-tokens-audit")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO upload (id, file_name, sha256, source, kind, received_at, rows_ok, status) VALUES (7, 'a.csv', 'abc', 'office', 'interval', 1, 4, 'ok');
                INSERT INTO rejected_row (upload_id, line, raw, reason) VALUES (7, 3, 'x', 'bad');
                INSERT INTO reading_change (upload_id, asset_id, slot_start, duration_s, old_wh, new_wh) VALUES (7, 'm', 0, 3600, 1, 2);
                """)
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        let u = try await store.upload(id: 7)
        #expect(u?.fileName == "a.csv" && u?.rowsOK == 4 && u?.source == "office")
        let row: [String?] = try await store.read { db in
            try Row.fetchOne(db, sql: "SELECT owner, idempotency_key FROM upload WHERE id = 7").map { [$0[0], $0[1]] } ?? []
        }
        #expect(row == ["office", nil])
        await #expect(try store.rejectedRows(uploadID: 7).count == 1)
        let applied: [String] = try await store.read { db in try VPPMigrations.migrator.appliedMigrations(db) }
        #expect(applied.contains("hardening-v1-upload-key") && applied == VPPMigrations.migrator.migrations)
        let fkProblems: Int = try await store.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count }
        #expect(fkProblems == 0)
    }
}
