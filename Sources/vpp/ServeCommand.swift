import VPPBenchmarks
import VPPServer
import Dispatcher
import Forecast
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Foundation
import Logging
import VPPCore
import VPPStore

/// `vpp serve`: the HTTP API, dashboard and upload page (issue 7).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the upload API, the operator read API and dashboard over HTTP (loopback by default).",
        discussion: """
            Offices upload with `POST /api/v1/uploads` or the form at /upload; operators read /api/v1/… and
            /dashboard. Tokens: `vpp tokens create`. SIGTERM/SIGINT stop accepting, finish in-flight uploads and exit.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var siteOption: SiteOption
    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free port).") var bind: String = "127.0.0.1:8080"
    @Option(name: .customLong("max-body-mb"), help: "Largest accepted upload [MiB]; 413 beyond.") var maxBodyMB: Double = 20
    @Option(name: .customLong("request-timeout-s"), help: "Time limit of a read request [s].") var requestTimeoutS: Double = 15
    @Option(name: .customLong("upload-timeout-s"), help: "Time limit for an upload body to arrive [s].") var uploadTimeoutS: Double = 120
    @Option(name: .customLong("rate-limit-per-s"), help: "Per-token sustained request rate [1/s].") var rateLimitPerS: Double = 50
    @Option(name: .customLong("rate-burst"), help: "Per-token burst size [requests].") var rateBurst: Double = 100
    @Option(name: .customLong("header-timeout-s"),
            help: "Time a client has to send a complete request head, also the keep-alive idle limit [s].") var headerTimeoutS: Double = 5
    @Option(name: .customLong("cache-max-mb"), help: "Largest total size of cached read-API responses [MiB].") var cacheMaxMB: Double = 64
    @Option(name: .customLong("refused-audit-window-s"),
            help: "Refused logins are audited once per source and key id in this window, with a count [s].") var refusedAuditWindowS: Int = 60
    @Option(name: .customLong("shutdown-grace-s"), help: "How long SIGTERM waits for in-flight requests [s].") var shutdownGraceS: Double = 60
    @Option(name: .customLong("port-file"), help: "Write the bound port to this file once listening (scripts, tests).") var portFile: String?
    @Option(name: .customLong("debug-ingest-delay-ms"), help: .hidden) var debugIngestDelayMs: Int = 0
    @Option(name: .customLong("seed-synthetic-year"),
            help: "Demo/benchmark fixture: if the store has no rollups, fill a year (KST) of SYNTHETIC hourly rollups for every dong first.")
    var seedSyntheticYear: Int?

    func validate() throws {
        guard ServeCommand.parseBind(bind) != nil else { throw ValidationError("--bind must be HOST:PORT, e.g. 127.0.0.1:8080") }
        guard maxBodyMB > 0, requestTimeoutS > 0, uploadTimeoutS > 0, rateLimitPerS > 0, rateBurst >= 1, headerTimeoutS > 0,
              cacheMaxMB >= 0, refusedAuditWindowS > 0 else {
            throw ValidationError("limits must be positive")
        }
        guard maxBodyMB <= 4096, requestTimeoutS <= 86_400, uploadTimeoutS <= 86_400, headerTimeoutS <= 3600, cacheMaxMB <= 65_536,
              refusedAuditWindowS <= 86_400, shutdownGraceS >= 0, shutdownGraceS <= 86_400 else {
            throw ValidationError("a limit is out of range (at most 4096 MiB bodies, 65536 MiB cache, 1 day timeouts, 1 h header timeout)")
        }
        guard (0...600_000).contains(debugIngestDelayMs) else { throw ValidationError("--debug-ingest-delay-ms must be 0…600000") }
    }

    static func parseBind(_ s: String) -> (host: String, port: Int)? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    func run() async throws {
        let store = try global.openStore()
        if let year = seedSyntheticYear, try await store.readings.rollupSpan() == nil {
            let codes = try await store.allSiteConfigs().flatMap { $0.dongs.map(\.code) }
            guard !codes.isEmpty else { throw VPPError(.noInput, "--seed-synthetic-year needs a loaded site (vpp site load)") }
            let from = KSTDateTime(year: year, month: 1, day: 1).epochSeconds
            let hours = Int((KSTDateTime(year: year + 1, month: 1, day: 1).epochSeconds - from) / 3600)
            try await store.readings.replaceRollups(SyntheticRollups.rows(dongs: codes, from: from, hours: hours, seed: 2024))
            FileHandle.standardError.write(Data("vpp serve: seeded \(codes.count) dongs × \(hours) h of SYNTHETIC rollups for \(year)\n".utf8))
        }
        guard let (host, port) = ServeCommand.parseBind(bind) else { throw ValidationError("--bind must be HOST:PORT, e.g. 127.0.0.1:8080") }
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.maxBodyBytes = Int(maxBodyMB * 1024 * 1024)
        settings.requestTimeoutS = requestTimeoutS
        settings.uploadBodyTimeoutS = uploadTimeoutS
        settings.rateLimitPerS = rateLimitPerS
        settings.rateBurst = rateBurst
        settings.headerTimeoutS = headerTimeoutS
        settings.cacheMaxBytes = Int(cacheMaxMB * 1024 * 1024)
        settings.refusedAuditWindowS = Int64(refusedAuditWindowS)
        settings.site = try await store.selectSite(siteOption.code)?.site
        var logger = Logger(label: "vpp.serve")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        let server = HTTPServer(storage: store, settings: settings, logger: logger, debugIngestDelayMs: debugIngestDelayMs)
        let portFile = self.portFile
        let db = store.location
        try await server.run(shutdownGraceS: shutdownGraceS) { bound in
            FileHandle.standardError.write(Data("vpp serve: listening on http://\(host):\(bound) (database \(db))\n".utf8))
            if let portFile { try? "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        }
        FileHandle.standardError.write(Data("vpp serve: stopped\n".utf8))
    }
}
