import Logging
import VPPStore

/// An in-process `vpp serve` for benchmarks (`vpp bench openadr`): listens on 127.0.0.1 at a
/// free port; `stop` shuts it down gracefully.
public struct BenchServer: Sendable {
    public let port: Int
    private let running: RunningServer

    public static func start(storage: Storage, settings: ServerSettings) async throws -> BenchServer {
        var s = settings
        s.host = "127.0.0.1"; s.port = 0
        let r = try await RunningServer.start(storage: storage, settings: s)
        return BenchServer(port: r.port, running: r)
    }

    public func stop() async { await running.stop() }
}
