import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (POSIX sockets, one thread), for client tests only.
/// Each request is answered by `handler(path+query, requestIndex)`: (status, body, delay seconds).
final class LocalHTTPServer: @unchecked Sendable {
    typealias Handler = @Sendable (String, Int) -> (status: Int, body: String, delay: Double)
    let port: UInt16
    private let fd: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var _requests: [String] = []
    private var stopped = false
    var requests: [String] { lock.lock(); defer { lock.unlock() }; return _requests }

    init(handler: @escaping Handler) throws {
        self.handler = handler
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let b = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard b == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = UInt16(bigEndian: bound.sin_port)
        let t = Thread { [self] in self.loop() }
        t.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)/1360000/VilageFcstInfoService_2.0" }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func loop() {
        var index = 0
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            lock.lock(); let s = stopped; lock.unlock()
            if s { close(c); return }
            var buf = [UInt8](repeating: 0, count: 65_536)
            var got = 0
            while got < buf.count {
                let cap = buf.count
                let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress! + got, cap - got, 0) }
                if n <= 0 { break }
                got += n
                if String(decoding: buf[0..<got], as: UTF8.self).contains("\r\n\r\n") { break }
            }
            let head = String(decoding: buf[0..<got], as: UTF8.self)
            let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            lock.lock(); _requests.append(path); lock.unlock()
            let i = index
            index += 1
            let (status, body, delay) = handler(path, i)
            // Answer on its own thread so a delayed reply does not block the next connection.
            Thread.detachNewThread {
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                let bytes = Array(body.utf8)
                let reply = "HTTP/1.1 \(status) X\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
                let all = Array(reply.utf8) + bytes
                var sent = 0
                while sent < all.count {
                    let n = all.withUnsafeBytes { send(c, $0.baseAddress! + sent, all.count - sent, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }
                    sent += n
                }
                close(c)
            }
        }
    }
}
