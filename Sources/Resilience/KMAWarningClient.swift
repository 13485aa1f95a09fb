import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VPPCore
import VPPStore

/// KMA weather-warning client (기상청 기상특보 조회서비스, data.go.kr WthrWrnInfoService
/// `getWthrWrnList`). The service key comes from the environment (`VPP_KMA_KEY`, the same
/// data.go.kr key as the forecast); every good reply is archived as received in the alert store
/// before it is parsed into alerts, so a run can be replayed offline (`vpp alerts import`).
public struct KMAWarningClient: Sendable {
    public struct Configuration: Sendable {
        public var baseURL: String
        public var serviceKey: String
        /// Issuing station: 109 Seoul (서울), 108 nationwide.
        public var stationID: String
        public var timeoutSeconds: Double
        public var maxAttempts: Int
        /// First retry delay [s]; doubles per attempt.
        public var backoffSeconds: Double
        public var numOfRows: Int
        public init(baseURL: String = "https://apis.data.go.kr/1360000/WthrWrnInfoService", serviceKey: String, stationID: String = "109",
                    timeoutSeconds: Double = 15, maxAttempts: Int = 3, backoffSeconds: Double = 1, numOfRows: Int = 100) {
            self.baseURL = baseURL; self.serviceKey = serviceKey; self.stationID = stationID; self.timeoutSeconds = timeoutSeconds
            self.maxAttempts = max(1, maxAttempts); self.backoffSeconds = backoffSeconds; self.numOfRows = numOfRows
        }
        public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
            guard let key = env["VPP_KMA_KEY"], !key.isEmpty else {
                throw ResilienceError.usage("VPP_KMA_KEY is not set (the data.go.kr service key for the KMA warning service)")
            }
            return Configuration(serviceKey: key)
        }
    }

    public var configuration: Configuration
    public var archive: (any AlertStore)?
    public init(configuration: Configuration, archive: (any AlertStore)? = nil) { self.configuration = configuration; self.archive = archive }

    /// Reports issued from `fromDate` to `toDate` (KST dates YYYYMMDD, inclusive), every page.
    public func reports(fromDate: String, toDate: String, now: Int64) async throws -> [KMAWarningReport] {
        var out: [KMAWarningReport] = []
        var page = 1
        while page <= 50 {
            let url = try self.url(fromDate: fromDate, toDate: toDate, page: page)
            let body = try await fetch(url)
            let items = try KMAWarningParser.parse(body)
            try await archive?.putAlertReply(key: "kma:getWthrWrnList:\(configuration.stationID):\(fromDate)-\(toDate):p\(page)",
                                             fetchedAt: now, body: body)
            out += items
            if items.count < configuration.numOfRows { break }
            page += 1
        }
        return out
    }

    func url(fromDate: String, toDate: String, page: Int) throws -> URL {
        let key = configuration.serviceKey.contains("%") ? configuration.serviceKey
            : (configuration.serviceKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? configuration.serviceKey)
        let s = "\(configuration.baseURL)/getWthrWrnList?serviceKey=\(key)&pageNo=\(page)&numOfRows=\(configuration.numOfRows)"
            + "&dataType=JSON&stnId=\(configuration.stationID)&fromTmFc=\(fromDate)&toTmFc=\(toDate)"
        guard let u = URL(string: s) else { throw ResilienceError.usage("bad KMA URL: \(configuration.baseURL)") }
        return u
    }

    /// One GET with retries and exponential backoff on transport errors, HTTP 5xx/429 and KMA's
    /// temporary codes; other KMA codes fail at once. Returns the body of a parseable reply.
    func fetch(_ u: URL) async throws -> Data {
        var lastError: ResilienceError = .kmaUnavailable("no attempt made")
        for attempt in 0..<configuration.maxAttempts {
            if attempt > 0 { try await Task.sleep(nanoseconds: UInt64(configuration.backoffSeconds * pow(2, Double(attempt - 1)) * 1e9)) }
            let data: Data, status: Int
            do { (data, status) = try await Self.get(u, timeout: configuration.timeoutSeconds) } catch {
                lastError = .kmaTemporary(error.localizedDescription); continue
            }
            if status == 429 || status >= 500 { lastError = .kmaTemporary("HTTP \(status)"); continue }
            do {
                _ = try KMAWarningParser.parse(data)
            } catch let e as ResilienceError {
                if e.category == .temporary { lastError = e; continue }
                throw e
            }
            guard status == 200 else { throw ResilienceError.kmaUnavailable("HTTP \(status)") }
            return data
        }
        throw lastError
    }

    static func get(_ url: URL, timeout requested: Double) async throws -> (Data, Int) {
        // swift-corelibs-foundation hands libcurl whole seconds; below 1 s a request times out at once.
        let timeout = max(1, requested.rounded(.up))
        var req = URLRequest(url: url)
        req.timeoutInterval = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<(Data, Int), Error>) in
            session.dataTask(with: req) { data, response, error in
                if let error { cont.resume(throwing: error); return }
                cont.resume(returning: (data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
            }.resume()
        }
    }
}
