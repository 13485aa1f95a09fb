import Foundation
import Synchronization
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
@testable import vpp

/// `vpp serve` against hostile requests (issue 15): nothing traps, unauthenticated bodies are not
/// read, slow or idle connections are closed, the cache and the audit trail stay bounded, and
/// bad file names and chunk sizes are 400s. Real sockets on 127.0.0.1.
@Suite("ServerHardeningTests", .serialized)
struct ServerHardeningTests {
    static let nineteenMiB = 19 * 1024 * 1024
    /// How long to wait for a reply or a close that must come: far above what the server needs,
    /// since the full suite's other tests (child processes waited on synchronously) can starve this
    /// in-process server for seconds; a reply that never comes still fails. CI runs of the full
    /// suite failed 5 s and 10 s waits here on an otherwise idle machine.
    static let replyS: Double = 60

    // MARK: Numbers from the request are range-checked (400), never overflowed

    @Test func requestNumbersAreRangeCheckedNotTrapped() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let codes = try await s.store.siteSummary().map(\.code)
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: [codes[0]], from: KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds, hours: 48, seed: 3))
        let tok = s.operatorToken
        let series = "/api/v1/dongs/\(codes[0])/series"
        let cases: [(query: String, parameter: String)] = [
            ("from=9223372036854775807", "from"),
            ("from=-9223372036854775808&to=9223372036854775807", "from"),
            ("from=-9000000000000000000&to=9000000000000000000", "from"),
            ("to=9223372036854775807", "to"),
            ("to=-9223372036854775808", "to"),
            ("from=99999999999999999999", "from"),
            ("from=2024-01-01T99999999999999999999", "from"),
            ("from=2024-01-01T00:00%2B99999999999999999999", "from"),
            ("from=", "from"),
            ("from=1800-01-01", "from"),
            ("from=2024-01-01&to=2301-01-01", "to"),
        ]
        for c in cases {
            let r = try await s.get("\(series)?\(c.query)", token: tok)
            #expect(r.status == 400 && r.errorCode == "bad_time", "\(c.query): \(r.status) \(r.text)")
            let err = r.json?["error"] as? [String: Any]
            #expect(err?["parameter"] as? String == c.parameter, "\(c.query): \(r.text)")
            #expect((err?["message"] as? String)?.hasPrefix(c.parameter) == true, "\(c.query): \(r.text)")
        }
        // Epoch seconds inside the bounds still work, and so do the defaults around them.
        let from = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        #expect(try await s.get("\(series)?from=\(from)&to=\(from + 86_400)", token: tok).json?["count"] as? Int == 24)
        #expect(try await s.get("\(series)?from=\(from)", token: tok).status == 200)
        #expect(try await s.get("\(series)?to=\(from + 86_400)", token: tok).status == 200)
        // Limits and ids: out of range or not integers are 400s naming the parameter.
        let id = "/api/v1/uploads/1/rejects"
        for (q, p) in [("limit=99999999999999999999", "limit"), ("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset"),
                       ("offset=1000001", "offset")] {
            let r = try await s.get("\(id)?\(q)", token: tok)
            #expect(r.status == 400 && r.errorCode == "bad_\(p)", "\(q): \(r.text)")
            #expect((r.json?["error"] as? [String: Any])?["parameter"] as? String == p)
        }
        #expect(try await s.get("/api/v1/audit?limit=-5", token: tok).errorCode == "bad_limit")
        #expect(try await s.get("/api/v1/audit?limit=1000", token: tok).status == 200)
        let huge = try await s.get("/api/v1/uploads/99999999999999999999", token: tok)
        #expect(huge.status == 400 && huge.errorCode == "bad_upload_id")
        // A login form body with an empty name (`=`) used to index an empty split. The form is
        // parsed before its CSRF field is checked: without a sign-in session these are refused (403).
        for body in ["=", "&=&", "==", "token", "=x&token="] {
            let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/login",
                                                 headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
            #expect(r.status == 403 && r.text.contains("was not sent by this site"), "\(body): \(r.status)")
        }
        // Rollups outside 2000–2100 (an old meter export) used to trap the dashboard's default period.
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: [codes[0]], from: KSTDateTime(year: 2150, month: 1, day: 1).epochSeconds, hours: 2, seed: 4))
        #expect(try await s.get("/dashboard", token: tok).status == 200)
        #expect(try await s.get("/healthz", token: nil).status == 200)
    }

    // MARK: Authenticate before reading the body or sending 100 Continue

    @Test func uploadsAreAuthenticatedBeforeTheBody() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let port = s.port
        let path = "/api/v1/uploads?kind=interval&complex=cheonyeon-feeder&convention=hour-beginning"
        func head(_ path: String, _ extra: [String], length: Int, expect: Bool = true) -> String {
            var h = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(length)\r\n"
            if expect { h += "Expect: 100-continue\r\n" }
            for e in extra { h += e + "\r\n" }
            return h + "\r\n"
        }
        // API, anonymous, 19 MiB announced: the final 401 comes at once, without a go-ahead.
        let a = try RawConnection(port: port)
        try a.send(head(path, ["Content-Type: text/csv"], length: Self.nineteenMiB))
        let anon = try #require(await a.readResponse(timeoutS: Self.replyS))
        #expect(anon.status == 401 && anon.errorCode == "auth_missing", "\(anon.status) \(anon.text)")
        // API, wrong token: the same.
        let b = try RawConnection(port: port)
        try b.send(head(path, ["Content-Type: text/csv", "Authorization: Bearer vpp_0123456789abcdef_" + String(repeating: "A", count: 43)],
                        length: Self.nineteenMiB))
        let wrong = try #require(await b.readResponse(timeoutS: Self.replyS))
        #expect(wrong.status == 401 && wrong.errorCode == "auth_invalid")
        // API, anonymous without Expect: answered after the head, while 19 MiB are still unsent.
        let c = try RawConnection(port: port)
        try c.send(head(path, ["Content-Type: text/csv"], length: Self.nineteenMiB, expect: false))
        try c.send([UInt8](repeating: 0x41, count: 64 * 1024))
        #expect(await c.readResponse(timeoutS: Self.replyS)?.status == 401)
        // API, valid token: 100 Continue, then the body is read and ingested.
        let bytes = ServerFixtures.intervalCSV(rows: 48)
        let d = try RawConnection(port: port)
        try d.send(head(path, ["Content-Type: text/csv", "Authorization: Bearer \(s.operatorToken)", "Connection: close"], length: bytes.count))
        let go = try #require(await d.readResponse(timeoutS: Self.replyS))
        #expect(go.status == 100)
        try d.send(bytes)
        let created = try #require(await d.readResponse(timeoutS: Self.replyS))
        #expect(created.status == 201, "\(created.text)")

        // Upload form, no Authorization header, Expect: no go-ahead before the token is checked …
        let form = LoopbackHTTP.multipart(fields: [("token", "vpp_0123456789abcdef_" + String(repeating: "B", count: 43)), ("kind", "monthly"),
                                                   ("month", "2025-08")],
                                          fileName: "a.csv", fileBytes: [UInt8](repeating: 0x31, count: 256 * 1024))
        let e = try RawConnection(port: port)
        try e.send(head("/upload", ["Content-Type: \(form.contentType)"], length: Self.nineteenMiB))
        #expect(await e.readResponse(timeoutS: 1.5) == nil, "no 100 Continue for an unauthenticated form")
        // … and the token part plus the start of the file is all it reads before the 401.
        try e.send(Array(form.body.prefix(8 * 1024)))
        let formDenied = try #require(await e.readResponse(timeoutS: Self.replyS))
        #expect(formDenied.status == 401 && formDenied.text.contains("not valid"), "\(formDenied.status)")
        // Upload form with a bad Authorization header: refused from the headers.
        let f = try RawConnection(port: port)
        try f.send(head("/upload", ["Content-Type: \(form.contentType)", "Authorization: Bearer nope"], length: Self.nineteenMiB))
        #expect(await f.readResponse(timeoutS: Self.replyS)?.status == 401)
        // Upload form whose first part is the file: refused, the rest is not read.
        let fileFirst = LoopbackHTTP.multipart(fields: [], fileName: "a.csv", fileBytes: [UInt8](repeating: 0x31, count: 64 * 1024))
        let g = try RawConnection(port: port)
        try g.send(head("/upload", ["Content-Type: \(fileFirst.contentType)"], length: Self.nineteenMiB, expect: false))
        try g.send(Array(fileFirst.body.prefix(32 * 1024)))
        let noToken = try #require(await g.readResponse(timeoutS: Self.replyS))
        #expect(noToken.status == 401 && noToken.text.contains("must come first"), "\(noToken.status) \(noToken.text.prefix(300))")
        // Upload form with a valid Authorization header and Expect: go-ahead, then a normal upload.
        let ok = LoopbackHTTP.multipart(fields: [("kind", "monthly"), ("month", "2025-08")], fileName: "erp.csv",
                                        fileBytes: ServerFixtures.monthlyCSV(rows: 10, bad: 0, salt: 9))
        let h = try RawConnection(port: port)
        try h.send(head("/upload", ["Content-Type: \(ok.contentType)", "Authorization: Bearer \(s.officeToken)", "Connection: close"],
                        length: ok.body.count))
        #expect(await h.readResponse(timeoutS: Self.replyS)?.status == 100)
        try h.send(ok.body)
        #expect(await h.readResponse(timeoutS: Self.replyS)?.status == 201)
        // Refusals are audited (aggregated) with the key id tried, never the secret.
        await s.running.server.refused.flush(all: true)
        let audit = try await s.store.auditLog(limit: 100)
        #expect(audit.contains { $0.action == "upload.denied" && $0.target == "token:0123456789abcdef" && $0.outcome == "auth_invalid" })
        #expect(!audit.contains { $0.detail.contains(String(repeating: "A", count: 43)) || ($0.target ?? "").contains("AAAA") })
        #expect(try await s.get("/healthz", token: nil).status == 200)
    }

    // MARK: Header deadline, idle keep-alive and HTTP/1.0

    @Test func slowHeadersAndIdleConnectionsAreClosed() async throws {
        let s = try await LiveServer.start { $0.headerTimeoutS = 0.5 }
        defer { Task { await s.stop() } }
        // 40 slow-header connections (and one that sends nothing) are all closed by the deadline.
        var slow: [RawConnection] = []
        for _ in 0..<40 {
            let c = try RawConnection(port: s.port)
            try c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(c)
        }
        let silent = try RawConnection(port: s.port)
        let started = Date()
        for c in slow { #expect(await c.waitForClose(timeoutS: 30)) }
        #expect(await silent.waitForClose(timeoutS: 30))
        // Bounded well above the 0.5 s deadline (the full suite's load starves the in-process
        // server for seconds), far below "never".
        #expect(Date().timeIntervalSince(started) < 60)
        // A keep-alive connection is served, then closed once idle for the deadline.
        let k = try RawConnection(port: s.port)
        try k.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(await k.readResponse(timeoutS: Self.replyS)?.status == 200)
        try k.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")   // the deadline restarts after each response
        #expect(await k.readResponse(timeoutS: Self.replyS)?.status == 200)
        #expect(await k.waitForClose(timeoutS: Self.replyS))
        // A request that takes longer than the deadline is not cut off (it applies to heads only).
        let slowBody = try RawConnection(port: s.port)
        try slowBody.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\ntok")
        try await Task.sleep(nanoseconds: 1_000_000_000)
        try slowBody.send("en=x")
        #expect(await slowBody.readResponse(timeoutS: Self.replyS)?.status == 403)   // answered (no CSRF session), not cut off
        #expect(try await s.get("/healthz", token: nil).status == 200)
    }

    @Test func http10AndConnectionCloseEndPromptly() async throws {
        // A long header deadline, so only the close handling can end these connections quickly.
        let s = try await LiveServer.start { $0.headerTimeoutS = 30 }
        defer { Task { await s.stop() } }
        for request in ["GET /healthz HTTP/1.0\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Close\r\n\r\n",
                        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close, TE\r\n\r\n"] {
            let c = try RawConnection(port: s.port)
            let started = Date()
            try c.send(request)
            #expect(await c.readResponse(timeoutS: Self.replyS)?.status == 200, "\(request)")
            // Well under the 30 s header deadline: the close handling ended it, not the deadline.
            #expect(await c.waitForClose(timeoutS: 25), "\(request)")
            #expect(Date().timeIntervalSince(started) < 25)
        }
        // HTTP/1.0 with keep-alive stays usable for a second request.
        let k = try RawConnection(port: s.port)
        try k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(await k.readResponse(timeoutS: Self.replyS)?.status == 200)
        try k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(await k.readResponse(timeoutS: Self.replyS)?.status == 200)
    }

    @Test func slowBodyOnAKeepAliveConnectionTimesOutWithoutTrapping() async throws {
        // The body reader abandoned at the deadline used to race Hummingbird's drain of the same
        // body stream (two iterators: a precondition trap) when the connection was kept alive.
        let s = try await LiveServer.start { $0.uploadBodyTimeoutS = 0.5 }
        defer { Task { await s.stop() } }
        for _ in 0..<3 {
            let c = try RawConnection(port: s.port)
            try c.send("POST /api/v1/uploads?kind=monthly&month=2025-08&complex=cheonyeon-apt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       + "Authorization: Bearer \(s.officeToken)\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n101,")
            // 0.5 s body deadline; 60 s to see the 408 (a CI run of the full suite starved the
            // in-process server past an earlier 10 s bound). A missing reply still fails.
            let r = try #require(await c.readResponse(timeoutS: 60))
            #expect(r.status == 408 && r.errorCode == "timeout", "\(r.status) \(r.text)")
            try? c.send("1001,1,2,1\n")
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(try await s.get("/healthz", token: nil).status == 200)
        await #expect(try s.store.uploads().isEmpty)
    }

    // MARK: Report cache bounded by bytes

    @Test func responseCacheIsBoundedByBytesLRU() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let cache = ResponseCache(storage: store.storage, ttlS: 300, maxBytes: 1000)
        var made: [String] = []
        func get(_ k: String, _ size: Int = 300) async throws -> String {
            try await cache.body(k) { made.append(k); return String(repeating: "x", count: size) }
        }
        _ = try await get("a"); _ = try await get("b"); _ = try await get("c")
        #expect(cache.usage.bytes == 900 && cache.usage.entries == 3)
        _ = try await get("a")                         // a is now the most recently used
        _ = try await get("d")                         // evicts b, the least recently used
        #expect(cache.usage.bytes <= 1000 && cache.usage.entries == 3)
        _ = try await get("a"); _ = try await get("c"); _ = try await get("d")
        #expect(made == ["a", "b", "c", "d"])
        _ = try await get("b")
        #expect(made.last == "b" && made.count == 5)
        // A body larger than a quarter of the budget is served, not kept.
        let big = try await get("big", 600)
        #expect(big.utf8.count == 600 && cache.usage.bytes <= 1000)
        _ = try await get("big", 600)
        #expect(made.filter { $0 == "big" }.count == 2)
    }

    @Test func distinctReportQueriesStayWithinTheCacheBudget() async throws {
        let budget = 256 * 1024
        let s = try await LiveServer.start { $0.cacheMaxBytes = budget }
        defer { Task { await s.stop() } }
        let codes = try await s.store.siteSummary().map(\.code)
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: codes, from: KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds, hours: 24 * 60, seed: 5))
        var served = 0
        for period in ["2024-01", "2024-02", "2024-01-01..2024-01-31", "2024-01-02..2024-02-20", "2024-01-03..2024-02-21", "2024"] {
            for by in ["day", "period"] {
                let r = try await s.get("/api/v1/report?period=\(period)&by=\(by)", token: s.operatorToken)
                #expect(r.status == 200, "\(period) \(by): \(r.text.prefix(200))")
                served += r.body.count
                #expect(s.running.server.cache.usage.bytes <= budget)
            }
        }
        #expect(served > budget, "the queries must be able to overflow the budget for this test to mean anything")
        #expect(s.running.server.cache.usage.entries > 0)
    }

    // MARK: Refused attempts are audited aggregated

    @Test func refusedAttemptFloodIsAggregatedInTheAuditLog() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let body = ServerFixtures.monthlyCSV(rows: 2, bad: 0)
        let secret = String(repeating: "Z", count: 43)
        for i in 0..<300 {
            let token: String? = i % 3 == 0 ? "vpp_fedcba9876543210_\(secret)" : nil
            let r = try await s.uploadRaw(body, query: "kind=monthly&month=2025-08", token: token)
            #expect(r.status == 401)
        }
        var denied = try await s.store.auditLog(limit: 1000).filter { $0.action == "upload.denied" }
        #expect(denied.count == 2, "\(denied.map(\.detail))")   // one per (source, key id, outcome)
        #expect(denied.contains { $0.target == "token:fedcba9876543210" && $0.outcome == "auth_invalid" })
        #expect(denied.contains { $0.target == nil && $0.outcome == "auth_missing" && $0.detail.contains("127.0.0.1") })
        // Real events are still in the audit API's window.
        let events = try await s.get("/api/v1/audit?limit=1000", token: s.operatorToken)
        #expect(((events.json?["events"] as? [[String: Any]]) ?? []).filter { $0["action"] as? String == "token.create" }.count == 3)
        // The counts are written when the window is over (here: at shutdown / flush).
        await s.running.server.refused.flush(all: true)
        denied = try await s.store.auditLog(limit: 1000).filter { $0.action == "upload.denied" }
        #expect(denied.count == 4)
        #expect(denied.contains { $0.outcome == "auth_missing" && $0.detail.contains("count=199") }, "\(denied.map(\.detail))")
        #expect(denied.contains { $0.outcome == "auth_invalid" && $0.detail.contains("count=99") }, "\(denied.map(\.detail))")
        #expect(!denied.contains { $0.detail.contains(secret) || ($0.target ?? "").contains(secret) })
    }

    final class ManualClock: WallClock {
        let t = Mutex<Int64>(1_700_000_000)
        func now() -> Int64 { t.withLock { $0 } }
        func advance(_ s: Int64) { t.withLock { $0 += s } }
    }

    @Test func refusedAttemptWindowsAndKeyBudget() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let clock = ManualClock()
        let audit = RefusedAttemptAudit(storage: store.storage, clock: clock, windowS: 60, maxKeys: 4)
        func attempt(_ source: String, _ kid: String?) -> RefusedAttemptAudit.Attempt {
            .init(action: "upload.denied", source: source, keyID: kid, outcome: kid == nil ? "auth_missing" : "auth_invalid", detail: "POST /x")
        }
        func rows() async throws -> [AuditEvent] { try await store.auditLog(limit: 1000).filter { $0.action == "upload.denied" } }
        for _ in 0..<5 { await audit.record(attempt("10.0.0.1", nil)) }
        await #expect(try rows().count == 1)
        clock.advance(30)
        await audit.record(attempt("10.0.0.1", nil))
        await #expect(try rows().count == 1)
        clock.advance(31)   // the window is over: its count, then a new first row
        await audit.record(attempt("10.0.0.1", nil))
        let r = try await rows()
        #expect(r.count == 3)
        #expect(r.contains { $0.detail.contains("count=5") })
        // Made-up key ids: at most `maxKeys` groups, the rest pooled into one.
        clock.advance(120)
        await audit.flush()
        let before = try await rows().count
        for i in 0..<40 { await audit.record(attempt("10.0.0.2", String(format: "%016x", i))) }
        await #expect(try rows().count - before == 4 + 1)
        await audit.flush(all: true)
        await #expect(try rows().contains { $0.detail.contains("various sources") && $0.detail.contains("count=35") })
        // Key ids come from token-shaped text only, never with the secret.
        #expect(TokenSecret.presentedKeyID("vpp_0123456789abcdef_secret") == "0123456789abcdef")
        #expect(TokenSecret.presentedKeyID("vpp_0123456789abcdeg_x") == nil)
        #expect(TokenSecret.presentedKeyID("hunter2") == nil)
    }

    // MARK: Long file names and malformed chunk sizes are 400s

    @Test func longFileNamesAndMalformedChunksAreBadRequests() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let tok = s.officeToken
        let long = String(repeating: "관", count: 100) + ".csv"   // 304 bytes
        let form = LoopbackHTTP.multipart(fields: [("kind", "monthly"), ("month", "2025-08")], fileName: long, fileBytes: ServerFixtures.monthlyCSV())
        let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads",
                                             headers: [("Content-Type", form.contentType), ("Authorization", "Bearer \(tok)")], body: form.body)
        #expect(r.status == 400 && r.errorCode == "bad_file_name", "\(r.status) \(r.text)")
        #expect((r.json?["error"] as? [String: Any])?["parameter"] as? String == "filename")
        let encoded = long.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let raw = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08&filename=\(encoded)", token: tok)
        #expect(raw.status == 400 && raw.errorCode == "bad_file_name", "\(raw.status) \(raw.text)")
        // The upload form answers the same 400.
        let page = LoopbackHTTP.multipart(fields: [("token", tok), ("kind", "monthly"), ("month", "2025-08")], fileName: long,
                                          fileBytes: ServerFixtures.monthlyCSV())
        let viaForm = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/upload", headers: [("Content-Type", page.contentType)], body: page.body)
        #expect(viaForm.status == 400, "\(viaForm.status)")
        // A long name within 255 bytes is accepted; its label is cut to fit the spool file name.
        let fits = String(repeating: "관", count: 80) + ".csv"   // 244 bytes
        let okForm = LoopbackHTTP.multipart(fields: [("kind", "monthly"), ("month", "2025-08")], fileName: fits,
                                            fileBytes: ServerFixtures.monthlyCSV(rows: 5, bad: 0, salt: 11))
        let ok = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads",
                                              headers: [("Content-Type", okForm.contentType), ("Authorization", "Bearer \(tok)")], body: okForm.body)
        #expect(ok.status == 201, "\(ok.status) \(ok.text)")
        #expect(UploadService.sanitizeFileName(fits, fallbackExtension: ".csv").utf8.count <= 200)
        #expect(UploadService.sanitizeFileName(String(repeating: "e\u{301}", count: 100), fallbackExtension: ".csv").utf8.count <= 200)
        // A chunk size that is not hex.
        for chunk in ["zz\r\nabc\r\n0\r\n\r\n", "ffffffffffffffffffffff\r\nabc\r\n0\r\n\r\n", "-5\r\nabc\r\n0\r\n\r\n"] {
            let c = try RawConnection(port: s.port)
            try c.send("POST /api/v1/uploads?kind=monthly&month=2025-08 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(tok)\r\n"
                       + "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunk)
            let reply = try #require(await c.readResponse(timeoutS: 10))
            #expect(reply.status == 400, "\(chunk): \(reply.status) \(reply.text)")
        }
        #expect(try await s.get("/healthz", token: nil).status == 200)
    }
}
