import ArgumentParser
import Dispatcher
import Forecast
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OpenADR
import Synchronization
import VPPConfig
import VPPCore
import VPPServer
import VPPStore
import VPPStoreSQLite

/// `vpp bench openadr` (issue 13): N VENs poll `GET /events` every P seconds on loopback while
/// dispatch runs publish and supersede the events; prints the latency percentiles.
struct BenchOpenADR: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openadr", abstract: "OpenADR VTN load: VENs polling GET /events while dispatch runs (use a release build).")
    @Option(help: "Site config TOML.") var config: String = "site-configs/seodaemun.toml"
    @Option(help: "VENs polling (each its own ven token, resource = one of the site's batteries).") var vens: Int = 500
    @Option(name: .customLong("period-s"), help: "Poll period of each VEN [s].") var periodS: Double = 10
    @Option(name: .customLong("duration-s"), help: "Measured time [s].") var durationS: Double = 60
    @Option(name: .customLong("dispatch-every-s"), help: "A dispatch run (solve + publish) every … [s] during the measurement.")
    var dispatchEveryS: Double = 15
    @Option(help: "Seed of the VENs' start offsets.") var seed: UInt64 = 13

    func validate() throws {
        guard (1...5000).contains(vens) else { throw ValidationError("--vens must be 1…5000") }
        guard periodS >= 0.1, periodS <= 600, durationS >= 1, durationS <= 3600, dispatchEveryS >= 1 else {
            throw ValidationError("--period-s 0.1…600, --duration-s 1…3600, --dispatch-every-s ≥ 1")
        }
    }

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-bench-openadr-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path)
        let site = try SiteConfigParser().parse(fileAt: config)
        _ = try await store.loadSite(site)
        let batteries = site.batteries.map(\.battery.id)
        guard !batteries.isEmpty else { throw ValidationError("the site has no batteries") }
        var tokens: [String] = []
        for i in 0..<vens {
            tokens.append(try await store.createToken(role: .ven, office: String(format: "ven-%04d", i),
                                                      complexes: [batteries[i % batteries.count]], actor: "bench").text)
        }
        var settings = ServerSettings()
        settings.rateLimitPerS = 1000; settings.rateBurst = 1000
        settings.spoolDirectory = dir.appendingPathComponent("spool").path
        let server = try await BenchServer.start(storage: store.storage, settings: settings)
        let storage = store.storage
        let builder = SiteProblemBuilder(site: site)
        func dispatchOnce(_ k: Int) async throws -> Double {
            let t = Date()
            var o = DispatchRunner.Options(outbox: dir.appendingPathComponent("outbox").path, lockPath: dir.appendingPathComponent("lock").path)
            o.step = .quarterHour; o.slots = 96
            let now = storage.clock.now()
            let runner = DispatchRunner(builder: builder, storage: storage, options: o) { s, st, n in
                let i = try await HorizonInputs.build(storage: storage, site: site, start: s, step: st, slots: n, now: now, forecastRunID: nil,
                                                      nominal: .init(meanHouseholdKW: builder.meanHouseholdKW, participation: builder.participation))
                return DispatchSeries(series: i.series, sources: i.summary)
            }
            let r = try await runner.run(now: now)
            _ = try await OpenADRPublisher(storage: storage).publish(runID: r.runID, plan: r.plan, site: site, exportPrice: { builder.exportPrice(hour: $0) })
            return Date().timeIntervalSince(t) * 1000
        }
        print("setup: \(vens) ven tokens, \(batteries.count) batteries, server on 127.0.0.1:\(server.port)")
        print("dispatch run + publish before polling: \(String(format: "%.0f", try await dispatchOnce(0))) ms")

        let cfg = URLSessionConfiguration.ephemeral
        cfg.httpMaximumConnectionsPerHost = vens + 8
        cfg.timeoutIntervalForRequest = 30
        let session = URLSession(configuration: cfg)
        guard let url = URL(string: "http://127.0.0.1:\(server.port)/openadr3/3.1.0/events") else {
            throw VPPError(.internal, "no URL for port \(server.port)")
        }
        let poller = Poller(session: session, url: url)
        func poll(_ token: String) async -> (ms: Double, ok: Bool, events: Int) { await poller.poll(token) }
        // Warm-up: every VEN's first request registers it (VEN + resource rows).
        var warm = 0
        for chunk in stride(from: 0, to: tokens.count, by: 50) {
            await withTaskGroup(of: Bool.self) { g in
                for t in tokens[chunk..<min(tokens.count, chunk + 50)] { g.addTask { await poll(t).ok } }
                for await ok in g where ok { warm += 1 }
            }
        }
        print("warm-up: \(warm)/\(vens) VENs registered by their first GET /events")

        let stats = LoadStats()
        var rng = SplitMix64(seed: seed)
        let offsets = (0..<vens).map { _ in Double(rng.next() % 10_000) / 10_000 * periodS }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(durationS * 1e9)
        var dispatchMs: [Double] = []
        try await withThrowingTaskGroup(of: [Double].self) { g in
            for (i, token) in tokens.enumerated() {
                let offset = offsets[i], period = periodS
                g.addTask {
                    try? await Task.sleep(nanoseconds: UInt64(offset * 1e9))
                    var next = DispatchTime.now().uptimeNanoseconds
                    while next < deadline {
                        let r = await poller.poll(token)
                        stats.record(r)
                        next += UInt64(period * 1e9)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if next > now { try? await Task.sleep(nanoseconds: next - now) }
                    }
                    return []
                }
            }
            let every = dispatchEveryS
            g.addTask {
                var out: [Double] = []
                var k = 1
                while DispatchTime.now().uptimeNanoseconds + UInt64(every * 1e9) < deadline {
                    try? await Task.sleep(nanoseconds: UInt64(every * 1e9))
                    out.append(try await dispatchOnce(k)); k += 1
                }
                return out
            }
            for try await d in g { dispatchMs += d }
        }
        session.finishTasksAndInvalidate()
        await server.stop()
        let lat = stats.samples.withLock { $0 }.sorted()
        func pct(_ p: Double) -> String {
            guard !lat.isEmpty else { return "n/a" }
            return String(format: "%.2f", lat[min(lat.count - 1, Int((p / 100 * Double(lat.count)).rounded(.up)) - 1)])
        }
        print("GET /events: \(lat.count) ok, \(stats.failures.withLock { $0 }) failed, \(stats.wrongCounts.withLock { $0 }) with an event count ≠ 2, over \(Int(durationS)) s "
              + "(\(vens) VENs every \(periodS) s = \(String(format: "%.1f", Double(vens) / periodS)) req/s)")
        print("latency [ms]: p50 \(pct(50))  p90 \(pct(90))  p99 \(pct(99))  max \(lat.last.map { String(format: "%.2f", $0) } ?? "n/a")")
        print("dispatch runs during polling: \(dispatchMs.count), solve+store+publish [ms]: \(dispatchMs.map { String(format: "%.0f", $0) }.joined(separator: ", "))")
        let p99 = lat.isEmpty ? .infinity : lat[min(lat.count - 1, Int((0.99 * Double(lat.count)).rounded(.up)) - 1)]
        print("p99 < 20 ms: \(p99 < 20 ? "yes" : "NO")")
    }
}

/// One VEN's `GET /events` with its token: latency [ms], success, events returned.
final class Poller: Sendable {
    let session: URLSession
    let url: URL
    init(session: URLSession, url: URL) { self.session = session; self.url = url }

    func poll(_ token: String) async -> (ms: Double, ok: Bool, events: Int) {
        var req = URLRequest(url: url)
        req.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let t = DispatchTime.now().uptimeNanoseconds
        guard let reply = try? await session.data(for: req) else { return (0, false, 0) }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6
        let n = ((try? JSONSerialization.jsonObject(with: reply.0)) as? [Any])?.count ?? -1
        return (ms, (reply.1 as? HTTPURLResponse)?.statusCode == 200, n)
    }
}

/// What the pollers measured.
final class LoadStats: Sendable {
    let samples = Mutex<[Double]>([])
    let failures = Mutex(0)
    /// Answers whose event count is not the VEN's 2 (its battery's and its dong's price event).
    let wrongCounts = Mutex(0)

    func record(_ r: (ms: Double, ok: Bool, events: Int)) {
        if r.ok { samples.withLock { $0.append(r.ms) } } else { failures.withLock { $0 += 1 } }
        if r.ok && r.events != 2 { wrongCounts.withLock { $0 += 1 } }
    }
}
