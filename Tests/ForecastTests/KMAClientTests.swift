import Foundation
import Testing
@testable import VPPBenchmarks
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
@testable import Forecast

/// Replies in the format KMA's getVilageFcst returns (fields as in the 2.0 API guide).
enum KMAReplies {
    static func item(_ cat: String, _ date: String, _ time: String, _ value: String) -> String {
        #"{"baseDate":"20261121","baseTime":"2300","category":"\#(cat)","fcstDate":"\#(date)","fcstTime":"\#(time)","fcstValue":"\#(value)","nx":60,"ny":127}"#
    }
    static func page(_ items: [String], total: Int, page: Int = 1, rows: Int = 1000) -> String {
        #"{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON","items":{"item":[\#(items.joined(separator: ","))]},"pageNo":\#(page),"numOfRows":\#(rows),"totalCount":\#(total)}}}"#
    }
    static func hour(_ date: String, _ time: String, tmp: String, sky: String, pty: String = "0") -> [String] {
        [item("TMP", date, time, tmp), item("SKY", date, time, sky), item("PTY", date, time, pty), item("POP", date, time, "20"),
         item("WSD", date, time, "2.1"), item("REH", date, time, "65"), item("PCP", date, time, "강수없음")]
    }
    static let success = page(hour("20261122", "1100", tmp: "8", sky: "1") + hour("20261122", "1200", tmp: "9", sky: "3"), total: 14)
    static let noData = #"{"response":{"header":{"resultCode":"03","resultMsg":"NO_DATA"}}}"#
    static let keyErrorXML = """
    <OpenAPI_ServiceResponse>
        <cmmMsgHeader>
            <errMsg>SERVICE ERROR</errMsg>
            <returnAuthMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg>
            <returnReasonCode>30</returnReasonCode>
        </cmmMsgHeader>
    </OpenAPI_ServiceResponse>
    """
}

@Suite("KMA client against a local server", .serialized)
struct KMAClientTests {
    func client(_ server: LocalHTTPServer, timeout: Double = 5, attempts: Int = 3, cache: (any KMAReplyCache)? = nil) -> KMAClient {
        KMAClient(configuration: .init(baseURL: server.baseURL, serviceKey: "test+key/==", timeoutSeconds: timeout,
                                       maxAttempts: attempts, backoffSeconds: 0.05), cache: cache)
    }

    @Test("Success: items parsed, request carries the grid and base time, reply cached")
    func success() async throws {
        let server = try LocalHTTPServer { _, _ in (200, KMAReplies.success, 0) }
        defer { server.stop() }
        let cache = InMemoryKMACache()
        let c = client(server, cache: cache)
        let items = try await c.villageForecast(baseDate: "20261121", baseTime: "2300", grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
        #expect(items.count == 14)
        let req = try #require(server.requests.first)
        #expect(req.contains("getVilageFcst") && req.contains("nx=60") && req.contains("ny=127"))
        #expect(req.contains("base_date=20261121") && req.contains("base_time=2300") && req.contains("dataType=JSON"))
        #expect(req.contains("serviceKey=test%2Bkey%2F%3D%3D"))
        #expect(await cache.count == 1)
        // Second call is served from the cache: no new request.
        _ = try await c.villageForecast(baseDate: "20261121", baseTime: "2300", grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
        #expect(server.requests.count == 1)
        let w = KMAReplyParser.weatherSeries(items)
        #expect(w.points.count == 2)
        let p = try #require(w.points.first)
        #expect(p.temperatureC == 8 && p.sky == 1 && p.humidityPct == 65 && p.windSpeedMS == 2.1 && p.precipitationProbabilityPct == 20)
        #expect(p.epoch == KSTDateTime(year: 2026, month: 11, day: 22, hour: 11).epochSeconds)
    }

    @Test("Paged replies are all fetched")
    func paging() async throws {
        let p1 = KMAReplies.page(KMAReplies.hour("20261122", "1100", tmp: "8", sky: "1"), total: 14, page: 1, rows: 7)
        let p2 = KMAReplies.page(KMAReplies.hour("20261122", "1200", tmp: "9", sky: "4"), total: 14, page: 2, rows: 7)
        let server = try LocalHTTPServer { path, _ in (200, path.contains("pageNo=2") ? p2 : p1, 0) }
        defer { server.stop() }
        var cfg = client(server).configuration
        cfg.numOfRows = 7
        let items = try await KMAClient(configuration: cfg).villageForecast(baseDate: "20261121", baseTime: "2300",
                                                                            grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
        #expect(items.count == 14)
        #expect(server.requests.count == 2)
    }

    @Test("KMA error code 03 NO_DATA is reported, not retried")
    func errorCode() async throws {
        let server = try LocalHTTPServer { _, _ in (200, KMAReplies.noData, 0) }
        defer { server.stop() }
        await #expect(throws: ForecastError.kmaError(code: "03", message: "NO_DATA")) {
            _ = try await client(server).villageForecast(baseDate: "20261121", baseTime: "2300", grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
        }
        #expect(server.requests.count == 1)
    }

    @Test("XML key error is recognised even though JSON was asked for")
    func xmlError() async throws {
        let server = try LocalHTTPServer { _, _ in (200, KMAReplies.keyErrorXML, 0) }
        defer { server.stop() }
        do {
            _ = try await client(server).villageForecast(baseDate: "20261121", baseTime: "2300", grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
            Issue.record("expected an error")
        } catch let e as ForecastError {
            #expect(e == .kmaError(code: "30", message: "SERVICE_KEY_IS_NOT_REGISTERED_ERROR"))
            #expect(e.category == .unavailable)
        }
    }

    @Test("Temporary failures are retried with backoff, then succeed")
    func retries() async throws {
        let server = try LocalHTTPServer { _, i in i < 2 ? (503, "busy", 0) : (200, KMAReplies.success, 0) }
        defer { server.stop() }
        let items = try await client(server).villageForecast(baseDate: "20261121", baseTime: "2300", grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
        #expect(items.count == 14)
        #expect(server.requests.count == 3)
    }

    @Test("Timeouts end in a temporary error after the allowed attempts")
    func timeout() async throws {
        // The server answers after 300 s: only the client's own 1 s timeouts can end this call early.
        let server = try LocalHTTPServer { _, _ in (200, KMAReplies.success, 300) }
        defer { server.stop() }
        let start = Date()
        do {
            _ = try await client(server, timeout: 1, attempts: 2).villageForecast(baseDate: "20261121", baseTime: "2300",
                                                                                   grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
            Issue.record("expected a timeout")
        } catch let e as ForecastError {
            #expect(e.category == .temporary, "\(e)")
        }
        let elapsed = Date().timeIntervalSince(start)
        // Two 1 s timeouts. Waiting for a reply would take ≥ 300 s; the bound below is far from
        // both, so a loaded CI machine (this took 40 s once in a full run) cannot fail it.
        #expect(elapsed >= 1.9 && elapsed < 200, "elapsed \(elapsed) s")
        #expect(server.requests.count == 2)
    }

    @Test("Malformed JSON is a clear error")
    func malformed() async throws {
        let server = try LocalHTTPServer { _, _ in (200, #"{"response":{"header":"#, 0) }
        defer { server.stop() }
        do {
            _ = try await client(server).villageForecast(baseDate: "20261121", baseTime: "2300", grid: KMAGridPoint(nx: 60, ny: 127), now: 0)
            Issue.record("expected an error")
        } catch let e as ForecastError {
            #expect(e.description.contains("malformed JSON"))
        }
    }

    @Test("Latest issue time and API key from the environment")
    func baseTimeAndKey() throws {
        let t = KSTDateTime(year: 2026, month: 11, day: 22, hour: 5, minute: 5).epochSeconds
        #expect(KMAClient.latestBase(now: t) == ("20261122", "0200"))
        #expect(KMAClient.latestBase(now: t + 10 * 60) == ("20261122", "0500"))
        #expect(KMAClient.latestBase(now: KSTDateTime(year: 2026, month: 11, day: 22, hour: 1).epochSeconds) == ("20261121", "2300"))
        #expect(try KMAClient.Configuration.fromEnvironment(["VPP_KMA_KEY": "abc"]).serviceKey == "abc")
        #expect(throws: ForecastError.self) { _ = try KMAClient.Configuration.fromEnvironment([:]) }
    }
}

@Suite("KMA error categories")
struct KMAErrorCategoryTests {
    @Test("Codes map to exit categories", arguments: [
        ("01", ErrorCategory.temporary), ("02", .temporary), ("03", .badData), ("05", .temporary), ("10", .usage),
        ("22", .temporary), ("30", .unavailable), ("99", .unavailable),
    ])
    func categories(code: String, category: ErrorCategory) {
        #expect(ForecastError.kmaError(code: code, message: "").category == category)
    }
}
