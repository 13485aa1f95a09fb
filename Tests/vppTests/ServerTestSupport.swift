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
#if canImport(Glibc)
import Glibc
#endif

/// A tiny blocking HTTP/1.1 client over a POSIX socket to 127.0.0.1 (tests only: full control
/// over headers, bodies and timing; `Connection: close`, reads to EOF).
struct HTTPReply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
}

enum LoopbackHTTP {
    static func request(port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
                        sendContentLength: Bool = true, timeoutS: Int = 180) throws -> HTTPReply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXErr(what: "socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutS, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw POSIXErr(what: "connect") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if sendContentLength && (!body.isEmpty || method == "POST") { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8))
        if !body.isEmpty { try? sendAll(fd, body) }   // the server may answer (413) and close early
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        return try parse(data)
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw POSIXErr(what: "send") }
            off += n
        }
    }

    static func parse(_ data: [UInt8]) throws -> HTTPReply {
        guard let end = MultipartFormFind.find([13, 10, 13, 10], in: data) else { throw POSIXErr(what: "no HTTP head in \(data.count) bytes") }
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw POSIXErr(what: "bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < b.count {
            guard let eol = MultipartFormFind.find([13, 10], in: b, from: i) else { break }
            let sizeText = String(decoding: b[i..<eol], as: UTF8.self).split(separator: ";")[0]
            guard let n = Int(sizeText, radix: 16), n > 0 else { break }
            out += b[(eol + 2)..<min(b.count, eol + 2 + n)]
            i = eol + 2 + n + 2
        }
        return out
    }

    /// Runs a blocking request off the cooperative pool.
    static func async(port: Int, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
                      sendContentLength: Bool = true) async throws -> HTTPReply {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                c.resume(with: Result { try request(port: port, method: method, path: path, headers: headers, body: body, sendContentLength: sendContentLength) })
            }
        }
    }

    static func multipart(fields: [(String, String)], fileField: String = "file", fileName: String, fileBytes: [UInt8],
                          fileType: String = "text/csv") -> (contentType: String, body: [UInt8]) {
        let boundary = "----vpptest\(UInt32.random(in: 0...UInt32.max))"
        var b: [UInt8] = []
        for (k, v) in fields {
            b += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8)
        }
        b += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(fileField)\"; filename=\"\(fileName)\"\r\nContent-Type: \(fileType)\r\n\r\n".utf8)
        b += fileBytes
        b += Array("\r\n--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", b)
    }
}

enum MultipartFormFind {
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int = 0) -> Int? { MultipartForm.find(needle, in: hay, from: from) }
}

struct POSIXErr: Error, CustomStringConvertible {
    var what: String
    var description: String { "\(what): \(String(cString: strerror(errno)))" }
}

/// A live `HTTPServer` on 127.0.0.1 with an ephemeral port, over a temporary store with the
/// Seodaemun site loaded and three tokens: an operator, the 천연동 office, the 북아현동 office.
final class LiveServer: @unchecked Sendable {
    let store: SQLiteStore
    let dir: URL
    let port: Int
    let operatorToken: String
    let officeToken: String      // cheonyeon-apt
    let otherOfficeToken: String // bugahyeon-apt
    let running: RunningServer

    static func start(configure: (inout ServerSettings) -> Void = { _ in }) async throws -> LiveServer {
        let (store, dir) = try TestStore.make(clock: SystemWallClock())
        try await store.loadSite(try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path))
        let op = try await store.createToken(role: .operator, office: nil, complexes: []).text
        let office = try await store.createToken(role: .office, office: "천연동 관리사무소", complexes: ["cheonyeon-apt"]).text
        let other = try await store.createToken(role: .office, office: "북아현동 관리사무소", complexes: ["bugahyeon-apt"]).text
        var settings = ServerSettings()
        settings.port = 0
        settings.spoolDirectory = dir.appendingPathComponent("spool").path
        // The suite runs many servers and builds at once on 2 cores: a request must not be cut off
        // by the production 15 s deadline just because the machine is busy (tests of the deadline
        // itself set it).
        settings.requestTimeoutS = 120
        settings.headerTimeoutS = 120
        configure(&settings)
        let running = try await RunningServer.start(storage: store.storage, settings: settings)
        return LiveServer(store: store, dir: dir, running: running, op: op, office: office, other: other)
    }

    private init(store: SQLiteStore, dir: URL, running: RunningServer, op: String, office: String, other: String) {
        self.store = store; self.dir = dir; self.running = running; self.port = running.port; self.operatorToken = op
        self.officeToken = office; self.otherOfficeToken = other
    }

    func stop() async {
        await running.stop()
        TempDirectory.remove(dir)
    }

    func get(_ path: String, token: String?) async throws -> HTTPReply {
        try await LoopbackHTTP.async(port: port, method: "GET", path: path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    func uploadRaw(_ bytes: [UInt8], query: String, token: String?, contentType: String = "text/csv", extraHeaders: [(String, String)] = []) async throws -> HTTPReply {
        var h: [(String, String)] = [("Content-Type", contentType)] + extraHeaders
        if let token { h.append(("Authorization", "Bearer \(token)")) }
        return try await LoopbackHTTP.async(port: port, method: "POST", path: "/api/v1/uploads?" + query, headers: h, body: bytes)
    }
}

/// Test files.
enum ServerFixtures {
    /// An XpERP monthly upload (no header: 동, 호, 전월지침, 당월지침, 사용량) with `bad` broken rows.
    static func monthlyCSV(rows: Int = 40, bad: Int = 2, salt: Int = 0) -> [UInt8] {
        var s = ""
        for i in 0..<rows {
            let prev = 1000 + i * 7 + salt
            s += "\(101 + i / 10),\(1001 + i % 10),\(prev),\(prev + 250),250\n"
        }
        for j in 0..<bad { s += "\(190 + j),1001,abc,xyz,\n" }
        return Array(s.utf8)
    }

    /// An hourly interval CSV (Korean header, kWh) with `rows` hours from 2024-01-01 00:00 KST.
    static func intervalCSV(rows: Int, salt: Int = 0) -> [UInt8] {
        var s = "검침일시,사용량(kWh)\n"
        s.reserveCapacity(rows * 28)
        var t = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        for i in 0..<rows {
            let k = KSTDateTime(epochSeconds: t)
            s += "\(k.dateString) \(k.hour < 10 ? "0" : "")\(k.hour):00,\(Double(100 + (i * 37 + salt) % 900) / 10)\n"
            t += 3600
        }
        return Array(s.utf8)
    }
}

/// One raw TCP connection to 127.0.0.1 for tests that need control over timing: partial heads,
/// `Expect: 100-continue`, keep-alive, reading one response at a time, waiting for the close.
/// Waits run on a Dispatch queue, never on the (2-thread) cooperative pool the in-process server
/// needs. Used by one task at a time.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []
    private(set) var sawEOF = false

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXErr(what: "socket") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw POSIXErr(what: "connect") }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try LoopbackHTTP.sendAll(fd, Array(text.utf8)) }
    func send(_ bytes: [UInt8]) throws { try LoopbackHTTP.sendAll(fd, bytes) }

    /// Reads what arrives within `timeoutS` into the pending buffer; false once the peer closed.
    @discardableResult
    private func fill(timeoutS: Double) -> Bool {
        if sawEOF { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeoutS * 1000)) > 0 else { return true }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { sawEOF = true; return false }
        pending += buf[0..<n]
        return true
    }

    /// The next response (an interim `100 Continue` counts as one), or nil if none arrived in time.
    func readResponse(timeoutS: Double = 10) async -> HTTPReply? {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: self.readResponseBlocking(timeoutS: timeoutS)) } }
    }

    /// True when the server closes the connection within `timeoutS` (data before the close is dropped).
    func waitForClose(timeoutS: Double) async -> Bool {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: self.waitForCloseBlocking(timeoutS: timeoutS)) } }
    }

    private func readResponseBlocking(timeoutS: Double) -> HTTPReply? {
        let deadline = Date().addingTimeInterval(timeoutS)
        while true {
            if let end = MultipartFormFind.find([13, 10, 13, 10], in: pending), let head = try? LoopbackHTTP.parse(Array(pending[0..<(end + 4)])) {
                let length = Int(head.headers["content-length"] ?? "") ?? 0
                if pending.count >= end + 4 + length {
                    let body = Array(pending[(end + 4)..<(end + 4 + length)])
                    pending.removeFirst(end + 4 + length)
                    return HTTPReply(status: head.status, headers: head.headers, body: body)
                }
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 || sawEOF { return nil }
            fill(timeoutS: min(left, 0.2))
        }
    }

    private func waitForCloseBlocking(timeoutS: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutS)
        while deadline.timeIntervalSinceNow > 0 {
            if !fill(timeoutS: min(deadline.timeIntervalSinceNow, 0.2)) { return true }
            pending.removeAll()
        }
        return sawEOF
    }
}
