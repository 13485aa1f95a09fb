import Foundation
import Synchronization
import Testing
import VPPBenchmarks
@testable import VPPServer
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// A clock tests move by hand.
final class StepClock: WallClock, Sendable {
    private let t: Mutex<Int64>
    init(_ start: Int64) { t = Mutex(start) }
    func now() -> Int64 { t.withLock { $0 } }
    func advance(_ s: Int64) { t.withLock { $0 += s } }
}

/// Issue 16: sessions, periods, the map config and the operator pages.
@Suite("Dashboard")
struct DashboardTests {
    static let t0 = KSTDateTime(year: 2024, month: 7, day: 1, hour: 9).epochSeconds
    /// The full suite runs hundreds of tests on 2 cores: pages get this long before 503 there.
    static let slowMachineTimeoutS = 120.0
    static let op = Principal(tokenID: 1, keyID: "k1", role: .operator, office: nil, complexes: [])

    // MARK: Sessions (injected clock)

    @Test func sessions_end_after_the_idle_timeout_and_the_absolute_timeout() {
        let clock = StepClock(Self.t0)
        var st = SessionSettings()
        st.idleTimeoutS = 600; st.absoluteTimeoutS = 3600
        let store = SessionStore(settings: st, clock: clock)
        let s = store.create(principal: Self.op)
        #expect(s.id.count == 64 && s.csrf.count == 64 && s.id != s.csrf)
        clock.advance(599)
        #expect(store.lookup(s.id)?.principal == Self.op)     // used: the idle timer restarts
        clock.advance(599)
        #expect(store.lookup(s.id) != nil)
        clock.advance(600)
        #expect(store.lookup(s.id) == nil)                      // 600 s idle
        let a = store.create(principal: Self.op)
        for _ in 0..<7 { clock.advance(500); #expect(store.lookup(a.id) != nil) }   // 3500 s, never idle
        clock.advance(100)
        #expect(store.lookup(a.id) == nil)                      // 3600 s after sign-in
    }

    @Test func the_session_count_is_bounded_least_recently_used_first() {
        let clock = StepClock(Self.t0)
        var st = SessionSettings()
        st.maxSessions = 3
        let store = SessionStore(settings: st, clock: clock)
        let a = store.create(principal: Self.op); clock.advance(1)
        let b = store.create(principal: Self.op); clock.advance(1)
        let c = store.create(principal: Self.op); clock.advance(1)
        _ = store.lookup(a.id); clock.advance(1)                // a is now more recent than b
        let d = store.create(principal: nil)
        #expect(store.count == 3)
        #expect(store.lookup(b.id) == nil && store.lookup(a.id) != nil && store.lookup(c.id) != nil && store.lookup(d.id) != nil)
    }

    @Test func csrf_tokens_compare_exactly_and_next_stays_local() {
        let store = SessionStore(settings: SessionSettings(), clock: StepClock(Self.t0))
        let s = store.create(principal: nil)
        #expect(SessionStore.csrfMatches(s.csrf, s))
        let flipped = String(s.csrf.dropLast()) + (s.csrf.hasSuffix("0") ? "1" : "0")
        #expect(!SessionStore.csrfMatches(nil, s) && !SessionStore.csrfMatches("", s) && !SessionStore.csrfMatches(flipped, s))
        #expect(SessionStore.safeNext("/dong/1141052000?scope=day&period=2024-07-01") != nil)
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", "dashboard", "/x\r\nSet-Cookie: a=b"] { #expect(SessionStore.safeNext(bad) == nil, "\(bad)") }
    }

    // MARK: Periods

    @Test func periods_parse_snap_and_step() throws {
        let latest = KSTDateTime(year: 2024, month: 7, day: 3, hour: 23).epochSeconds   // a Wednesday
        let def = try DashboardPeriod.parse([:], latest: latest)
        #expect(def.scope == .month && def.label == "2024-07" && def.next.label == "2024-08" && def.previous.label == "2024-06")
        let week = try DashboardPeriod.parse(["scope": "week"], latest: latest)
        #expect(week.label == "2024-07-01" && week.end - week.start == 7 * 86_400)   // Monday 2024-07-01
        #expect(week.previous.label == "2024-06-24" && week.next.label == "2024-07-08")
        #expect(week.reportPeriod.label == "2024-07-01..2024-07-07")
        let picked = try DashboardPeriod.parse(["scope": "week", "date": "2024-12-31"], latest: latest)
        #expect(picked.label == "2024-12-30" && picked.next.label == "2025-01-06")
        let day = try DashboardPeriod.parse(["period": "2024-02-29"], latest: latest)
        #expect(day.scope == .day && day.next.label == "2024-03-01" && day.previous.label == "2024-02-28")
        let year = try DashboardPeriod.parse(["period": "2024"], latest: latest)
        #expect(year.scope == .year && year.end == KSTDateTime(year: 2025, month: 1, day: 1).epochSeconds && year.previous.label == "2023")
        #expect(DashboardPeriod.containing(KSTDateTime(year: 2024, month: 1, day: 7).epochSeconds, scope: .week).label == "2024-01-01")   // a Sunday
        #expect(throws: APIError.self) { try DashboardPeriod.parse(["scope": "fortnight"], latest: latest) }
        #expect(throws: APIError.self) { try DashboardPeriod.parse(["period": "2024-13"], latest: latest) }
        #expect(throws: APIError.self) { try DashboardPeriod.parse(["date": "2024-07"], latest: latest) }
    }

    // MARK: Map config

    @Test func the_seodaemun_config_carries_14_dong_outlines_matched_by_code() throws {
        let c = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        let map = try #require(c.map)
        #expect(map.areas.count == 14)
        #expect(Set(map.areas.map(\.dongCode)) == Set(c.dongs.map(\.code)))
        #expect(map.attribution.contains("SGIS"))
        let sinchon = try #require(map.areas.first { $0.dongCode == "1141058500" })
        let pts = sinchon.polygons.flatMap { $0.flatMap { $0 } }
        #expect(pts.allSatisfy { (126.88...126.99).contains($0[0]) && (37.54...37.62).contains($0[1]) })
    }

    @Test func a_bad_or_incomplete_geojson_is_an_error_naming_the_file_and_key() throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let text = try String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)
        let config = dir.appendingPathComponent("s.toml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        func expectError(_ geojson: String, _ fragment: String) throws {
            try geojson.write(to: dir.appendingPathComponent("seodaemun_dongs_2021-04.geojson"), atomically: true, encoding: .utf8)
            do {
                _ = try SiteConfigParser().parse(fileAt: config.path)
                Issue.record("expected an error for \(fragment)")
            } catch let e as SiteConfigError {
                #expect(e.key == "map.geojson" && e.description.contains("s.toml:") && e.description.contains(fragment), "\(e.description)")
            }
        }
        // Missing file, not JSON, a Point geometry, and only one of the 14 dongs.
        do { _ = try SiteConfigParser().parse(fileAt: config.path); Issue.record("missing file accepted") } catch let e as SiteConfigError {
            #expect(e.description.contains("cannot read the GeoJSON file"))
        }
        try expectError("{", "not a JSON object")
        try expectError(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"adm_cd2":"1141052000"},"geometry":{"type":"Point","coordinates":[126.9,37.5]}}]}"#, "Point")
        let one = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"adm_cd2":"1141052000"},"geometry":{"type":"Polygon","coordinates":[[[126.9,37.5],[126.91,37.5],[126.91,37.51],[126.9,37.5]]]}}]}"#
        try expectError(one, "no feature whose adm_cd2 is 1141055500")
    }

    // MARK: Sign-in over HTTP

    static func cookieID(_ r: HTTPReply) -> String? {
        guard let c = r.headers["set-cookie"], c.hasPrefix("vpp_session=") else { return nil }
        return String(c.dropFirst("vpp_session=".count).prefix { $0 != ";" })
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    /// GET /login, then POST the form with `token`; returns the reply and the new session id.
    static func signIn(_ s: LiveServer, token: String, next: String = "") async throws -> (HTTPReply, String?) {
        let form = try await LoopbackHTTP.async(port: s.port, method: "GET", path: "/login" + (next.isEmpty ? "" : "?next=" + next))
        let pending = try #require(cookieID(form))
        let csrf = try #require(hidden("csrf", in: form.text))
        let nextField = hidden("next", in: form.text) ?? ""
        let body = "token=\(token)&csrf=\(csrf)&next=\(nextField.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/login",
                                             headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", "vpp_session=\(pending)")],
                                             body: Array(body.utf8))
        let id = cookieID(r)
        #expect(id != pending, "the session id changes at sign-in")
        return (r, id)
    }

    static func get(_ s: LiveServer, _ path: String, session: String?, headers: [(String, String)] = []) async throws -> HTTPReply {
        try await LoopbackHTTP.async(port: s.port, method: "GET", path: path, headers: headers + (session.map { [("Cookie", "vpp_session=\($0)")] } ?? []))
    }

    @Test func sign_in_session_cookie_timeouts_and_sign_out() async throws {
        let clock = StepClock(Self.t0)
        let s = try await LiveServer.start {
            $0.sessions.clock = clock; $0.sessions.idleTimeoutS = 1800; $0.sessions.absoluteTimeoutS = 8 * 3600
            $0.requestTimeoutS = DashboardTests.slowMachineTimeoutS
        }
        defer { Task { await s.stop() } }
        // Every operator page sends a browser without a session to /login with its own address.
        for path in ["/dashboard?scope=week&period=2024-07-01", "/dong/1141058500", "/completeness", "/battery/x"] {
            let r = try await Self.get(s, path, session: nil)
            #expect(r.status == 303 && r.headers["location"]?.hasPrefix("/login?next=%2F") == true, "\(path): \(r.status)")
        }
        let form = try await LoopbackHTTP.async(port: s.port, method: "GET", path: "/login?next=%2Fcompleteness")
        #expect(form.status == 200 && form.text.contains("name=\"next\" value=\"/completeness\""))
        let cookie = try #require(form.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/") && !cookie.contains("Secure"))
        let tls = try await LoopbackHTTP.async(port: s.port, method: "GET", path: "/login", headers: [("X-Forwarded-Proto", "https")])
        #expect(tls.headers["set-cookie"]?.hasSuffix("; Secure") == true)
        // A login post without the form's CSRF token (or without its pending session) is refused.
        let forged = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                  body: Array("token=\(s.operatorToken)&csrf=x".utf8))
        #expect(forged.status == 403 && Self.cookieID(forged) != nil)
        let (bad, _) = try await Self.signIn(s, token: "vpp_nope_nope")
        #expect(bad.status == 401 && bad.text.contains("not a valid token"))
        // Operator: back to where they were going; the cookie holds a random id, never the token.
        let (ok, sid) = try await Self.signIn(s, token: s.operatorToken, next: "%2Fcompleteness")
        let id = try #require(sid)
        #expect(ok.status == 303 && ok.headers["location"] == "/completeness")
        #expect(!(ok.headers["set-cookie"] ?? "").contains(s.operatorToken) && !(ok.headers["set-cookie"] ?? "").contains("Max-Age"))
        let dash = try await Self.get(s, "/dashboard", session: id)
        #expect(dash.status == 200 && dash.text.contains("id=\"signout\""), "\(dash.text.prefix(300))")
        // Idle timeout: 29 min is fine, 30 min unused ends it.
        clock.advance(29 * 60)
        #expect(try await Self.get(s, "/completeness", session: id).status == 200)
        clock.advance(30 * 60)
        #expect(try await Self.get(s, "/completeness", session: id).status == 303)
        // Sign-out needs the page's CSRF token; afterwards the id is worthless.
        let (_, sid2) = try await Self.signIn(s, token: s.operatorToken)
        let id2 = try #require(sid2)
        let page = try await Self.get(s, "/dashboard", session: id2)
        let csrf = try #require(Self.hidden("csrf", in: page.text))
        let post = { (body: String) in
            try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/logout",
                                         headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", "vpp_session=\(id2)")], body: Array(body.utf8))
        }
        #expect(try await post("csrf=wrong").status == 403)
        #expect(try await Self.get(s, "/dashboard", session: id2).status == 200)
        let out = try await post("csrf=\(csrf)")
        #expect(out.status == 303 && out.headers["location"] == "/login" && out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        #expect(try await Self.get(s, "/dashboard", session: id2).status == 303)
        // Absolute timeout: 8 h after sign-in even when used all along.
        let (_, sid3) = try await Self.signIn(s, token: s.operatorToken)
        let id3 = try #require(sid3)
        for _ in 0..<16 { clock.advance(29 * 60); #expect(try await Self.get(s, "/completeness", session: id3).status == 200) }
        clock.advance(16 * 60)
        #expect(try await Self.get(s, "/completeness", session: id3).status == 303)
    }

    @Test func an_office_user_uploads_with_the_session_and_sees_only_its_own_uploads() async throws {
        let s = try await LiveServer.start { $0.requestTimeoutS = DashboardTests.slowMachineTimeoutS }
        defer { Task { await s.stop() } }
        let (r, sid) = try await Self.signIn(s, token: s.officeToken, next: "%2Fdashboard")
        let id = try #require(sid)
        #expect(r.status == 303 && r.headers["location"] == "/upload")   // not the operator page it asked for
        for path in ["/dashboard", "/dong/1141058500", "/completeness", "/battery/x"] {
            let f = try await Self.get(s, path, session: id)
            #expect(f.status == 403 && f.text.contains("id=\"forbidden\"") && f.headers["content-type"]?.hasPrefix("text/html") == true, "\(path)")
        }
        let page = try await Self.get(s, "/upload", session: id)
        let csrf = try #require(Self.hidden("csrf", in: page.text))
        #expect(!page.text.contains("name=\"token\""))
        func upload(_ csrf: String, salt: Int) async throws -> HTTPReply {
            let form = LoopbackHTTP.multipart(fields: [("csrf", csrf), ("kind", "monthly"), ("month", "2025-09")], fileName: "erp.csv",
                                              fileBytes: ServerFixtures.monthlyCSV(rows: 5, bad: 1, salt: salt))
            return try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/upload",
                                                headers: [("Content-Type", form.contentType), ("Cookie", "vpp_session=\(id)")], body: form.body)
        }
        #expect(try await upload("forged", salt: 1).status == 403)
        let ok = try await upload(csrf, salt: 2)
        #expect(ok.status == 201, "\(ok.text.prefix(300))")
        // Its own upload (with the reject) is visible; another office's is not.
        let mine = try #require(try await s.store.uploads(limit: 10).first)
        let other = try await s.uploadRaw(ServerFixtures.monthlyCSV(rows: 4, bad: 0, salt: 9), query: "kind=monthly&month=2025-09", token: s.otherOfficeToken)
        #expect(other.status == 201)
        let otherID = try #require(try await s.store.uploads(limit: 10).map(\.id).max())
        let view = try await Self.get(s, "/uploads/\(mine.id)", session: id)
        #expect(view.status == 200 && view.text.contains("id=\"rejects\"") && view.text.contains("<td class=n>6</td>"), "\(view.text.prefix(400))")
        #expect(try await Self.get(s, "/uploads/\(otherID)", session: id).status == 404)
        let list = try await Self.get(s, "/uploads", session: id)
        #expect(list.text.contains("/uploads/\(mine.id)\"") && !list.text.contains("/uploads/\(otherID)\""))
    }

    // MARK: Pages

    @Test func dashboard_map_navigation_dong_battery_and_completeness_pages() async throws {
        let s = try await LiveServer.start { $0.requestTimeoutS = DashboardTests.slowMachineTimeoutS }
        defer { Task { await s.stop() } }
        let codes = try await s.store.siteSummary().map(\.code)
        let from = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: Array(codes.prefix(3)), from: from, hours: 24 * 60, seed: 7))
        let tok = s.operatorToken
        // Default: the month of the newest data (February 2024), with coverage on every card.
        let dash = try await s.get("/dashboard", token: tok)
        #expect(dash.status == 200)
        #expect(dash.text.contains("id=\"period-title\">2024-02 KST"), "\(dash.text.prefix(2000))")
        #expect(dash.text.contains("3 of 14 dongs"))
        #expect(dash.text.contains("scope=month&amp;period=2024-01") || dash.text.contains("scope=month&period=2024-01"))
        // The map: 14 linked dong shapes with hover titles, a legend, no script.
        let map = try #require(dash.text.range(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"map\"").map { String(dash.text[$0.lowerBound...]) })
        #expect(map.components(separatedBy: "<path class=\"area\"").count - 1 == 14)
        #expect(map.contains("<a href=\"/dong/1141058500?scope=month&amp;period=2024-02\">"))
        #expect(map.contains("<title>신촌동 Sinchon-dong: "))
        #expect(dash.text.contains("자료 없음 no data") && !dash.text.contains("<script"))
        for m in ["pv", "tco2", "coverage", "soc"] { #expect(try await s.get("/dashboard?measure=\(m)", token: tok).status == 200, "\(m)") }
        #expect(try await s.get("/dashboard?measure=bogus", token: tok).status == 400)
        let badPeriod = try await s.get("/dashboard?period=24", token: tok)
        #expect(badPeriod.status == 400 && badPeriod.headers["content-type"]?.hasPrefix("text/html") == true)
        // Aggregation: a year has 12 monthly points, a day 24 hours.
        let year = try await s.get("/dashboard?scope=year&period=2024", token: tok)
        #expect(year.status == 200 && year.text.contains("per month"))
        let day = try await s.get("/dashboard?scope=day&period=2024-01-15", token: tok)
        #expect(day.status == 200 && day.text.contains("per hour"))
        // Dong page and its batteries; battery page with SoC limits drawn.
        let dong = try await s.get("/dong/\(codes[0])?scope=week&period=2024-01-08", token: tok)
        #expect(dong.status == 200 && dong.text.contains("id=\"chart-dong\"") && dong.text.contains("KPX"), "\(dong.text.prefix(500))")
        #expect(try await s.get("/dong/0000000000", token: tok).status == 404)
        let site = try #require(try await s.store.loadedSiteConfig())
        let bat = try #require(site.batteries.first)
        let batDong = try await s.get("/dong/\(bat.dong)?scope=week&period=2024-01-08", token: tok)
        #expect(batDong.text.contains("/battery/\(bat.battery.id)?scope=week&amp;period=2024-01-08"), "\(batDong.text.suffix(1500))")
        let bp = try await s.get("/battery/\(bat.battery.id)?scope=day&period=2024-01-15", token: tok)
        #expect(bp.status == 200 && bp.text.contains("id=\"chart-soc\"") && bp.text.contains("reserve \(fmtNum(bat.battery.reservePct, 0)) %"), "\(bp.text.prefix(500))")
        // Completeness: meters × days, missing days flagged.
        let comp = try await s.get("/completeness?scope=week&period=2024-01-08", token: tok)
        #expect(comp.status == 200 && comp.text.contains("id=\"completeness\"") && comp.text.contains("Missing"))
    }
}
