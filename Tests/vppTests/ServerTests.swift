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
@testable import vpp

/// Real HTTP on 127.0.0.1 against an in-process `vpp serve` (issue 7).
@Suite("ServerTests", .serialized)
struct ServerTests {
    @Test func authFailures() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        // Missing.
        let missing = try await s.get("/api/v1/dongs", token: nil)
        #expect(missing.status == 401)
        #expect(missing.errorCode == "auth_missing")
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        // Not a token at all, and a well-formed token with a wrong secret.
        let garbage = try await s.get("/api/v1/dongs", token: "hunter2")
        #expect(garbage.status == 401 && garbage.errorCode == "auth_invalid")
        var forged = Array(s.operatorToken)
        forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
        let wrong = try await s.get("/api/v1/dongs", token: String(forged))
        #expect(wrong.status == 401 && wrong.errorCode == "auth_invalid")
        let basic = try await LoopbackHTTP.async(port: s.port, method: "GET", path: "/api/v1/dongs", headers: [("Authorization", "Basic Zm9vOmJhcg==")])
        #expect(basic.status == 401 && basic.errorCode == "auth_invalid")
        // Valid operator token works.
        let ok = try await s.get("/api/v1/dongs", token: s.operatorToken)
        #expect(ok.status == 200)
        #expect((ok.json?["dongs"] as? [Any])?.count == 14)
        // Revoked.
        let extra = try await s.store.createToken(role: .operator, office: nil, complexes: [])
        #expect(try await s.get("/api/v1/dongs", token: extra.text).status == 200)
        try await s.store.revokeToken(keyID: extra.info.keyID)
        let revoked = try await s.get("/api/v1/dongs", token: extra.text)
        #expect(revoked.status == 401 && revoked.errorCode == "auth_revoked")
        // Office token on an operator endpoint.
        let office = try await s.get("/api/v1/report", token: s.officeToken)
        #expect(office.status == 403 && office.errorCode == "forbidden")
        // Wrong office: uploading for another office's complex.
        let other = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08&complex=bugahyeon-apt", token: s.officeToken)
        #expect(other.status == 403 && other.errorCode == "forbidden")
        // An upload without a token is refused and audited as anonymous.
        let anon = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08", token: nil)
        #expect(anon.status == 401 && anon.errorCode == "auth_missing")
        // No secret or hash ever appears in responses or the audit log.
        let audit = try await s.store.auditLog(limit: 100)
        #expect(audit.contains { $0.actor == "anonymous" && $0.action == "upload.denied" && $0.outcome == "auth_missing" })
        #expect(audit.contains { $0.action == "upload.denied" && $0.outcome == "denied" })
        #expect(audit.contains { $0.action == "token.revoke" })
        #expect(!audit.contains { $0.detail.contains(s.operatorToken) || $0.detail.contains(extra.text) })
    }

    @Test func tokensAreStoredOnlyAsSaltedHashes() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        try await store.loadSite(try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path))
        let a = try await store.createToken(role: .office, office: "A", complexes: ["cheonyeon-apt"])
        let secretB64 = String(a.text.split(separator: "_").last!)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
        #expect(bytes.range(of: Data(secretB64.utf8)) == nil)
        #expect(TokenSecret(text: a.text) != nil)
        await #expect(try store.authenticate(token: a.text).complexes == ["cheonyeon-apt"])
        // Unknown complex and office token without --office are refused.
        await #expect(throws: AuthError.self) { try await store.createToken(role: .office, office: "B", complexes: ["nope"]) }
        await #expect(throws: AuthError.self) { try await store.createToken(role: .office, office: nil, complexes: ["cheonyeon-apt"]) }
        #expect(TokenHasher.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!TokenHasher.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        await #expect(try store.auditLog().filter { $0.action == "token.create" }.count == 1)
    }

    @Test func uploadWithEveryRowRejectedIs422WithItsRejects() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        // An interval file whose every value is negative: an upload with only rejects.
        let csv = Array("검침일시,사용량(kWh)\n2024-01-01 00:00,-1\n2024-01-01 01:00,-2\n".utf8)
        let r = try await LoopbackHTTP.async(port: s.port, method: "POST",
                                             path: "/api/v1/uploads?kind=interval&complex=cheonyeon-apt&convention=hour-beginning",
                                             headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(s.officeToken)")], body: csv)
        #expect(r.status == 422, "\(r.text)")
        #expect(r.json?["rows_accepted"] as? Int == 0)
        #expect(r.json?["rows_rejected"] as? Int == 2)
        #expect((r.json?["first_rejects"] as? [[String: Any]])?.first?["line"] as? Int == 2)
    }

    @Test func officeUploadReportsAcceptedAndRejectedRows() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let form = LoopbackHTTP.multipart(fields: [("kind", "monthly"), ("month", "2025-08"), ("complex", "cheonyeon-apt")],
                                          fileName: "../../etc/passwd 2025-08.csv", fileBytes: ServerFixtures.monthlyCSV(rows: 40, bad: 2))
        let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads",
                                             headers: [("Content-Type", form.contentType), ("Authorization", "Bearer \(s.officeToken)")], body: form.body)
        #expect(r.status == 201, "\(r.text)")
        let j = try #require(r.json)
        let id = try #require(j["upload_id"] as? Int)
        #expect(j["rows_accepted"] as? Int == 40)
        #expect(j["rows_rejected"] as? Int == 2)
        let rejects = try #require(j["first_rejects"] as? [[String: Any]])
        #expect(rejects.count == 2)
        #expect(rejects.first?["line"] as? Int == 41)
        #expect((rejects.first?["reason"] as? String)?.isEmpty == false)
        // The client's name is a label only: no path survives.
        let file = try #require(j["file"] as? String)
        #expect(!file.contains("/"))
        #expect(!r.text.contains(s.dir.path))
        // Read it back: the office sees its own upload and rejects; the other office does not.
        let mine = try await s.get("/api/v1/uploads/\(id)", token: s.officeToken)
        #expect(mine.status == 200 && mine.json?["rows_rejected"] as? Int == 2)
        let rej = try await s.get("/api/v1/uploads/\(id)/rejects?limit=1&offset=1", token: s.officeToken)
        #expect(rej.status == 200)
        #expect((rej.json?["rejects"] as? [[String: Any]])?.first?["line"] as? Int == 42)
        let theirs = try await s.get("/api/v1/uploads/\(id)", token: s.otherOfficeToken)
        #expect(theirs.status == 404 && theirs.errorCode == "not_found")
        #expect(try await s.get("/api/v1/uploads/\(id)/rejects", token: s.operatorToken).status == 200)
        #expect(try await s.get("/api/v1/uploads/999999", token: s.operatorToken).status == 404)
        #expect(try await s.get("/api/v1/uploads/abc", token: s.operatorToken).errorCode == "bad_upload_id")
        // Audited, booked to the office's meter, ownership recorded.
        await #expect(try s.store.uploadOwner(uploadID: Int64(id))?.complex == "cheonyeon-apt")
        await #expect(try s.store.auditLog().contains { $0.action == "upload" && $0.target == "upload:\(id)" && $0.outcome == "partial" })
        // Same bytes again: a duplicate, nothing changes.
        let again = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads",
                                                 headers: [("Content-Type", form.contentType), ("Authorization", "Bearer \(s.officeToken)")], body: form.body)
        #expect(again.status == 200 && again.json?["duplicate"] as? Bool == true && again.json?["upload_id"] as? Int == id)
    }

    @Test func oversizedAndMalformedUploads() async throws {
        let s = try await LiveServer.start { $0.maxBodyBytes = 64 * 1024 }
        defer { Task { await s.stop() } }
        let tok = s.operatorToken
        // Oversized: 413 with a JSON error, store untouched.
        let big = try await s.uploadRaw(ServerFixtures.intervalCSV(rows: 5000), query: "kind=interval&complex=cheonyeon-feeder", token: tok)
        #expect(big.status == 413 && big.errorCode == "body_too_large", "\(big.status) \(big.text)")
        // Unsupported media type and content encoding.
        let html = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08&complex=cheonyeon-apt", token: tok, contentType: "text/html")
        #expect(html.status == 415 && html.errorCode == "unsupported_media_type")
        let gz = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08&complex=cheonyeon-apt", token: tok,
                                       extraHeaders: [("Content-Encoding", "gzip")])
        #expect(gz.status == 415 && gz.errorCode == "unsupported_encoding")
        let charset = try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-08&complex=cheonyeon-apt", token: tok,
                                            contentType: "text/csv; charset=latin-9")
        #expect(charset.status == 415 && charset.errorCode == "unsupported_charset")
        // Bad parameters.
        #expect(try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=weekly", token: tok).errorCode == "bad_kind")
        #expect(try await s.uploadRaw(ServerFixtures.monthlyCSV(), query: "kind=monthly&month=2025-13", token: tok).errorCode == "bad_month")
        #expect(try await s.uploadRaw([], query: "kind=monthly&month=2025-08&complex=cheonyeon-apt", token: tok).errorCode == "empty_upload")
        // Malformed multipart: no boundary, broken body, no file part.
        let noBoundary = try await s.uploadRaw(Array("x".utf8), query: "", token: tok, contentType: "multipart/form-data")
        #expect(noBoundary.status == 400 && noBoundary.errorCode == "malformed_multipart")
        let broken = try await s.uploadRaw(Array("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".utf8), query: "", token: tok,
                                           contentType: "multipart/form-data; boundary=b")
        #expect(broken.status == 400 && broken.errorCode == "malformed_multipart")
        let noFile = LoopbackHTTP.multipart(fields: [("kind", "monthly")], fileField: "x", fileName: "", fileBytes: [])
        let nf = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads",
                                              headers: [("Content-Type", noFile.contentType), ("Authorization", "Bearer \(tok)")], body: noFile.body)
        #expect(nf.status == 400)
        // A file the ingestor cannot read: 422 with a reason naming the file, not the spool path.
        let fakeXlsx = try await s.uploadRaw(Array("PK\u{03}\u{04}garbage".utf8), query: "kind=monthly&month=2025-08&complex=cheonyeon-apt&filename=report.xlsx",
                                             token: tok, contentType: "application/octet-stream")
        #expect(fakeXlsx.status == 422 && fakeXlsx.errorCode == "upload_unreadable", "\(fakeXlsx.text)")
        #expect(!fakeXlsx.text.contains("spool"))
        let headerOnly = try await s.uploadRaw(Array("검침일시,사용량(kWh)\n".utf8), query: "kind=interval&complex=cheonyeon-feeder", token: tok)
        #expect(headerOnly.status == 422, "\(headerOnly.text)")
        // Unknown route, wrong method: JSON errors too.
        let nf404 = try await s.get("/api/v1/nothing", token: tok)
        #expect(nf404.status == 404 && nf404.errorCode == "not_found")
        await #expect(try s.store.uploads().isEmpty)
    }

    @Test func concurrentUploadsOfTheSameFileIngestOnce() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let bytes = ServerFixtures.intervalCSV(rows: 3000)
        let port = s.port, tok = s.operatorToken
        let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { g in
            for _ in 0..<6 {
                g.addTask {
                    try await LoopbackHTTP.async(port: port, method: "POST", path: "/api/v1/uploads?kind=interval&complex=cheonyeon-feeder&convention=hour-beginning",
                                                 headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(tok)")], body: bytes)
                }
            }
            var out: [HTTPReply] = []
            for try await r in g { out.append(r) }
            return out
        }
        #expect(replies.filter { $0.status == 201 }.count == 1, "\(replies.map { "\($0.status) \($0.text.prefix(200))" })")
        #expect(replies.filter { $0.status == 200 && $0.json?["duplicate"] as? Bool == true }.count == 5)
        let uploads = try await s.store.uploads()
        #expect(uploads.count == 1)
        #expect(uploads.first?.rowsOK == 3000)
        let ids = Set(replies.compactMap { $0.json?["upload_id"] as? Int })
        #expect(ids.count == 1)
    }

    @Test func readAPIAndPages() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let codes = try await s.store.siteSummary().map(\.code)
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: codes, from: KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds, hours: 24 * 31, seed: 7))
        let tok = s.operatorToken
        let series = try await s.get("/api/v1/dongs/\(codes[0])/series?from=2024-01-02&to=2024-01-03&quantity=generation", token: tok)
        #expect(series.status == 200, "\(series.text)")
        #expect(series.json?["count"] as? Int == 24)
        #expect(try await s.get("/api/v1/dongs/\(codes[0])/series?quantity=watts", token: tok).errorCode == "bad_quantity")
        #expect(try await s.get("/api/v1/dongs/0000000000/series", token: tok).status == 404)
        #expect(try await s.get("/api/v1/dongs/\(codes[0])/series?from=2020-01-01&to=2024-01-01", token: tok).errorCode == "range_too_long")
        let report = try await s.get("/api/v1/report?period=2024-01", token: tok)
        #expect(report.status == 200)
        #expect(report.json?["schema"] as? String == "vpp.tracking-report/2", "\(report.text.prefix(300))")
        #expect(try await s.get("/api/v1/report?period=24", token: tok).errorCode == "bad_period")
        #expect(try await s.get("/api/v1/report?period=2024-01&by=week", token: tok).errorCode == "bad_granularity")
        #expect(try await s.get("/api/v1/report?period=2024-01&by=day", token: tok).status == 200)
        #expect(try await s.get("/api/v1/forecasts", token: tok).status == 200)
        #expect(try await s.get("/api/v1/schedules/latest", token: tok).status == 200)
        let openapi = try await s.get("/api/v1/openapi.json", token: nil)
        #expect(openapi.status == 200 && openapi.json?["openapi"] as? String == "3.1.0")
        let paths = try #require(openapi.json?["paths"] as? [String: Any])
        for p in ["/api/v1/uploads", "/api/v1/uploads/{id}", "/api/v1/uploads/{id}/rejects", "/api/v1/dongs", "/api/v1/dongs/{code}/series",
                  "/api/v1/forecasts", "/api/v1/schedules/latest", "/api/v1/report"] { #expect(paths[p] != nil, "\(p)") }
        let dash = try await s.get("/dashboard?period=2024-01", token: tok)
        #expect(dash.status == 200)
        #expect(dash.text.contains("<svg") && dash.text.contains("신촌동"))
        #expect(dash.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        // Issue 16: a browser without a session is sent to the sign-in page; a token in a cookie is no credential.
        let anonymous = try await s.get("/dashboard", token: nil)
        #expect(anonymous.status == 303 && anonymous.headers["location"] == "/login?next=%2Fdashboard")
        #expect(try await s.get("/dashboard", token: s.officeToken).status == 403)
        let cookie = try await LoopbackHTTP.async(port: s.port, method: "GET", path: "/dashboard", headers: [("Cookie", "vpp_token=\(tok)")])
        #expect(cookie.status == 303)
        let page = try await s.get("/upload", token: nil)
        #expect(page.status == 200 && page.text.contains("<form") && page.text.contains("multipart/form-data"))
    }

    @Test func uploadFormShowsResult() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let form = LoopbackHTTP.multipart(fields: [("token", s.officeToken), ("kind", "monthly"), ("month", "2025-09")],
                                          fileName: "관리비 2025-09.csv", fileBytes: ServerFixtures.monthlyCSV(rows: 10, bad: 1, salt: 3))
        let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/upload", headers: [("Content-Type", form.contentType)], body: form.body)
        #expect(r.status == 201, "\(r.text.prefix(400))")
        #expect(r.text.contains("거부된 행") && r.text.contains("<td class=n>11</td>"))
        let bad = LoopbackHTTP.multipart(fields: [("token", "nope"), ("kind", "monthly")], fileName: "a.csv", fileBytes: ServerFixtures.monthlyCSV())
        let denied = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/upload", headers: [("Content-Type", bad.contentType)], body: bad.body)
        #expect(denied.status == 401 && denied.text.contains("not valid"))
    }

    @Test func slowUploadBodyTimesOut() async throws {
        let s = try await LiveServer.start { $0.uploadBodyTimeoutS = 0.5 }
        defer { Task { await s.stop() } }
        let started = Date()
        // Announce 1000 bytes and send none: the server gives up after the body timeout.
        let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads?kind=monthly&month=2025-08&complex=cheonyeon-apt",
                                             headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(s.officeToken)"), ("Content-Length", "1000")],
                                             sendContentLength: false)
        #expect(r.status == 408 && r.errorCode == "timeout", "\(r.status) \(r.text)")
        // Far above the 0.5 s deadline (the full suite's load starves the in-process server), far below "never".
        #expect(Date().timeIntervalSince(started) < 60)
        await #expect(try s.store.uploads().isEmpty)
    }

    @Test func perTokenRateLimit() async throws {
        // One token per 1000 s: no refill can happen during the test, however slow the machine.
        let s = try await LiveServer.start { $0.rateLimitPerS = 0.001; $0.rateBurst = 3 }
        defer { Task { await s.stop() } }
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await s.get("/api/v1/dongs", token: s.operatorToken).status) }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
        let limited = try await s.get("/api/v1/dongs", token: s.operatorToken)
        #expect(limited.status == 429 && limited.errorCode == "rate_limited" && limited.headers["retry-after"] != nil)
        // Another token has its own bucket.
        #expect(try await s.get("/api/v1/uploads/1", token: s.officeToken).status == 404)
    }

    @Test func multipartAndNames() throws {
        #expect(UploadService.sanitizeFileName("../../etc/passwd", fallbackExtension: ".csv") == "passwd")
        #expect(UploadService.sanitizeFileName("..", fallbackExtension: ".csv") == "upload.csv")
        #expect(UploadService.sanitizeFileName("C:\\x\\관리비 2025-08.csv", fallbackExtension: ".csv") == "관리비 2025-08.csv")
        #expect(UploadService.sanitizeFileName("a;rm -rf $(x).csv", fallbackExtension: ".csv") == "a_rm -rf _(x).csv")
        let form = LoopbackHTTP.multipart(fields: [("kind", "pv")], fileName: "x.csv", fileBytes: Array("a\r\n--b\r\nc".utf8))
        let boundary = try #require(MultipartForm.boundary(contentType: form.contentType))
        let parsed = try MultipartForm.parse(form.body, boundary: boundary)
        #expect(parsed.field("kind") == "pv")
        #expect(parsed.file?.body == Array("a\r\n--b\r\nc".utf8))
        #expect(APIPeriod.parse("2024")?.end == KSTDateTime(year: 2025, month: 1, day: 1).epochSeconds)
        #expect(APIPeriod.parse("2024-02-30") == nil)
    }
}
