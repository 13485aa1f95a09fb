import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VPPCore
import VPPStore

/// One item of a KMA 단기예보 (getVilageFcst) reply.
public struct KMAForecastItem: Sendable, Equatable, Codable {
    public var baseDate: String
    public var baseTime: String
    public var category: String
    public var fcstDate: String
    public var fcstTime: String
    public var fcstValue: String
    public var nx: Int
    public var ny: Int
}

/// Parses KMA replies: JSON `response.header.resultCode/resultMsg`, `response.body.items.item[]`,
/// `totalCount`; and the XML error envelope (`OpenAPI_ServiceResponse` with `returnAuthMsg` /
/// `returnReasonCode`, or `<resultCode>`) that the gateway returns for key errors even when JSON
/// was requested.
public enum KMAReplyParser {
    public struct Page: Sendable, Equatable {
        public var items: [KMAForecastItem]
        public var totalCount: Int
        public var pageNo: Int
        public var numOfRows: Int
    }

    public static func parse(_ data: Data) throws -> Page {
        let text = String(decoding: data.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("<") { throw xmlError(String(decoding: data, as: UTF8.self)) }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ForecastError.kmaUnavailable("malformed JSON reply (\(data.count) bytes)")
        }
        guard let response = (root as? [String: Any])?["response"] as? [String: Any],
              let header = response["header"] as? [String: Any] else {
            throw ForecastError.kmaUnavailable("reply has no response.header")
        }
        let code = stringValue(header["resultCode"]) ?? ""
        let msg = stringValue(header["resultMsg"]) ?? ""
        guard code == "00" else { throw ForecastError.kmaError(code: code, message: msg) }
        guard let body = response["body"] as? [String: Any] else { throw ForecastError.kmaUnavailable("reply has no body") }
        let total = intValue(body["totalCount"]) ?? 0
        let page = intValue(body["pageNo"]) ?? 1
        let rows = intValue(body["numOfRows"]) ?? 0
        var items: [KMAForecastItem] = []
        if let itemsObj = body["items"] as? [String: Any], let arr = itemsObj["item"] as? [[String: Any]] {
            for (i, it) in arr.enumerated() {
                guard let cat = stringValue(it["category"]), let fd = stringValue(it["fcstDate"]),
                      let ft = stringValue(it["fcstTime"]), let fv = stringValue(it["fcstValue"]) else {
                    throw ForecastError.kmaUnavailable("item \(i) lacks category/fcstDate/fcstTime/fcstValue")
                }
                items.append(KMAForecastItem(baseDate: stringValue(it["baseDate"]) ?? "", baseTime: stringValue(it["baseTime"]) ?? "",
                                             category: cat, fcstDate: fd, fcstTime: ft, fcstValue: fv,
                                             nx: intValue(it["nx"]) ?? 0, ny: intValue(it["ny"]) ?? 0))
            }
        }
        return Page(items: items, totalCount: total, pageNo: page, numOfRows: rows)
    }

    static func xmlError(_ xml: String) -> ForecastError {
        func tag(_ name: String) -> String? {
            guard let a = xml.range(of: "<\(name)>"), let b = xml.range(of: "</\(name)>", range: a.upperBound..<xml.endIndex) else { return nil }
            return String(xml[a.upperBound..<b.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let code = tag("returnReasonCode") ?? tag("resultCode") ?? "99"
        let msg = tag("returnAuthMsg") ?? tag("errMsg") ?? tag("resultMsg") ?? "XML error reply"
        return .kmaError(code: code, message: msg)
    }

    static func stringValue(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }
    static func intValue(_ v: Any?) -> Int? {
        switch v {
        case let n as NSNumber: return n.intValue
        case let s as String: return Int(s)
        default: return nil
        }
    }

    /// Turns forecast items (one grid cell) into a weather series: TMP, WSD, REH, SKY, PTY, POP per
    /// valid hour (fcstDate+fcstTime in KST). Hours lacking TMP or SKY are dropped.
    public static func weatherSeries(_ items: [KMAForecastItem]) -> WeatherSeries {
        var byTime: [Int64: [String: String]] = [:]
        for it in items {
            guard let t = KSTDateTime.parse(it.fcstDate + it.fcstTime) else { continue }
            byTime[t.epochSeconds, default: [:]][it.category] = it.fcstValue
        }
        var pts: [WeatherPoint] = []
        for (t, v) in byTime {
            guard let tmp = v["TMP"].flatMap(Double.init), let sky = v["SKY"].flatMap(Double.init) else { continue }
            pts.append(WeatherPoint(epoch: t, temperatureC: tmp, windSpeedMS: v["WSD"].flatMap(Double.init) ?? 2,
                                    humidityPct: v["REH"].flatMap(Double.init) ?? 60, sky: sky,
                                    precipitationType: v["PTY"].flatMap { Int($0) } ?? 0,
                                    precipitationProbabilityPct: v["POP"].flatMap(Double.init)))
        }
        return WeatherSeries(points: pts)
    }
}

/// Where raw KMA replies are cached (the store's weather_cache table in production).
public protocol KMAReplyCache: Sendable {
    func body(forKey key: String) async throws -> Data?
    func store(body: Data, forKey key: String, fetchedAt: Int64) async throws
}

/// In-memory cache, for tests and one-shot runs.
public actor InMemoryKMACache: KMAReplyCache {
    var entries: [String: Data] = [:]
    public init() {}
    public func body(forKey key: String) async throws -> Data? { entries[key] }
    public func store(body: Data, forKey key: String, fetchedAt: Int64) async throws { entries[key] = body }
    public var count: Int { entries.count }
}

/// KMA VilageFcstInfoService_2.0 client.
public struct KMAClient: Sendable {
    public struct Configuration: Sendable {
        public var baseURL: String
        public var serviceKey: String
        public var timeoutSeconds: Double
        public var maxAttempts: Int
        /// First retry delay [s]; doubles per attempt.
        public var backoffSeconds: Double
        public var numOfRows: Int
        public init(baseURL: String = "https://apis.data.go.kr/1360000/VilageFcstInfoService_2.0",
                    serviceKey: String, timeoutSeconds: Double = 15, maxAttempts: Int = 3,
                    backoffSeconds: Double = 1, numOfRows: Int = 1000) {
            self.baseURL = baseURL; self.serviceKey = serviceKey; self.timeoutSeconds = timeoutSeconds
            self.maxAttempts = max(maxAttempts, 1); self.backoffSeconds = backoffSeconds; self.numOfRows = numOfRows
        }

        /// Reads the service key from `VPP_KMA_KEY`.
        public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
            guard let key = env["VPP_KMA_KEY"], !key.isEmpty else {
                throw ForecastError.usage("VPP_KMA_KEY is not set (the data.go.kr service key for the KMA forecast API)")
            }
            return Configuration(serviceKey: key)
        }
    }

    public var configuration: Configuration
    public var cache: (any KMAReplyCache)?
    public init(configuration: Configuration, cache: (any KMAReplyCache)? = nil) {
        self.configuration = configuration; self.cache = cache
    }

    /// The latest issue (base_date, base_time) available at `now`: issues at 02, 05, …, 23 KST,
    /// published about 10 minutes after the hour.
    public static func latestBase(now: Int64) -> (date: String, time: String) {
        let t = KSTDateTime(epochSeconds: now - 10 * 60)
        var h = t.hour
        var dayStart = KSTDateTime(year: t.year, month: t.month, day: t.day).epochSeconds
        if h < 2 { dayStart -= 86_400; h = 23 } else { h = 2 + ((h - 2) / 3) * 3 }
        let d = KSTDateTime(epochSeconds: dayStart)
        return (d.dateString.replacingOccurrences(of: "-", with: ""), (h < 10 ? "0" : "") + "\(h)00")
    }

    /// All forecast items of one issue for one grid cell, fetching every page. Cached replies are
    /// reused; errors with KMA's codes are not cached.
    public func villageForecast(baseDate: String, baseTime: String, grid: KMAGridPoint, now: Int64) async throws -> [KMAForecastItem] {
        var items: [KMAForecastItem] = []
        var page = 1
        while true {
            let key = "kma:getVilageFcst:\(baseDate)\(baseTime):\(grid.nx),\(grid.ny):p\(page):n\(configuration.numOfRows)"
            var body: Data? = try await cache?.body(forKey: key)
            let parsed: KMAReplyParser.Page
            if let b = body {
                parsed = try KMAReplyParser.parse(b)
            } else {
                let b = try await fetch(baseDate: baseDate, baseTime: baseTime, grid: grid, page: page)
                parsed = try KMAReplyParser.parse(b)
                body = b
                try await cache?.store(body: b, forKey: key, fetchedAt: now)
            }
            items += parsed.items
            if parsed.items.isEmpty || items.count >= parsed.totalCount { break }
            page += 1
        }
        return items
    }

    func url(baseDate: String, baseTime: String, grid: KMAGridPoint, page: Int) throws -> URL {
        // The data.go.kr key is usually handed out URL-encoded already; encode only if it is not.
        let key = configuration.serviceKey.contains("%") ? configuration.serviceKey
            : (configuration.serviceKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? configuration.serviceKey)
        let s = "\(configuration.baseURL)/getVilageFcst?serviceKey=\(key)&pageNo=\(page)&numOfRows=\(configuration.numOfRows)"
            + "&dataType=JSON&base_date=\(baseDate)&base_time=\(baseTime)&nx=\(grid.nx)&ny=\(grid.ny)"
        guard let u = URL(string: s) else { throw ForecastError.usage("bad KMA URL: \(configuration.baseURL)") }
        return u
    }

    /// One HTTP GET with retries and exponential backoff on transport errors, HTTP 5xx/429 and
    /// KMA's temporary codes; other KMA error codes fail at once.
    func fetch(baseDate: String, baseTime: String, grid: KMAGridPoint, page: Int) async throws -> Data {
        let u = try url(baseDate: baseDate, baseTime: baseTime, grid: grid, page: page)
        var lastError: ForecastError = .kmaUnavailable("no attempt made")
        for attempt in 0..<configuration.maxAttempts {
            if attempt > 0 {
                let delay = configuration.backoffSeconds * pow(2, Double(attempt - 1))
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
            do {
                let (data, status) = try await Self.get(u, timeout: configuration.timeoutSeconds)
                if status == 429 || status >= 500 { lastError = .kmaTemporary("HTTP \(status)"); continue }
                if status != 200 {
                    // An XML/JSON error body explains itself better than the status.
                    do { _ = try KMAReplyParser.parse(data) } catch let e as ForecastError { throw e }
                    throw ForecastError.kmaUnavailable("HTTP \(status)")
                }
                do {
                    _ = try KMAReplyParser.parse(data)
                } catch let e as ForecastError {
                    if e.category == .temporary { lastError = e; continue }
                    throw e
                }
                return data
            } catch let e as ForecastError {
                throw e
            } catch {
                lastError = .kmaTemporary("\(error.localizedDescription)")
            }
        }
        throw lastError
    }

    static func get(_ url: URL, timeout requested: Double) async throws -> (Data, Int) {
        // swift-corelibs-foundation hands libcurl whole seconds; below 1 s a request times out at once.
        let timeout = max(1, requested.rounded(.up))
        var req = URLRequest(url: url)
        req.timeoutInterval = timeout
        req.httpMethod = "GET"
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<(Data, Int), Error>) in
            let task = session.dataTask(with: req) { data, response, error in
                if let error { cont.resume(throwing: error); return }
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                cont.resume(returning: (data ?? Data(), status))
            }
            task.resume()
        }
    }
}
