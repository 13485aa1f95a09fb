import VPPConfig
import VPPStoreSQLite
import Tracking
import Ingestion
import Forecast
import Dispatcher
import VPPAuth
import Foundation
import VPPCore
import VPPStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interval-CSV ingest benchmark (issue 3): generates a long-format AMI file whose values are
/// real GIST campus feeder powers (shared/data/gist-campus/load_hourly_by_feeder.csv,
/// active_power_kw × 0.25 h = kWh per 15 min) spread over the site's meters, ingests it with
/// validation, upsert and rollups, runs the Python csv + sqlite3 reference on the same file,
/// and times a one-dong-month rollup query. Run on a release build.
public enum IngestBenchmark {
    /// `../shared/data/gist-campus/load_hourly_by_feeder.csv` from the working directory, if present.
    public static func defaultRealValuesPath() -> String? {
        let p = FileManager.default.currentDirectoryPath + "/../shared/data/gist-campus/load_hourly_by_feeder.csv"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// Real kW values from the GIST feeder file (column active_power_kw), or nil.
    static func realValues(path: String?) -> [Double]? {
        guard let path, let data = FileManager.default.contents(atPath: path) else { return nil }
        var out: [Double] = []
        var col = -1
        CSVRecords.forEach([UInt8](data)) { _, row in
            if col < 0 { col = (0..<row.count).first { row.string($0) == "active_power_kw" } ?? 5; return }
            if col < row.count, case .value(let v) = parseNumber(row[col]), v > 0 { out.append(v) }
        }
        return out.isEmpty ? nil : out
    }

    /// Writes `rows` lines of `timestamp,meter_id,kWh` (15-min, hour-beginning), meter by meter.
    public static func generate(path: String, rows: Int, meters: [String], kW: [Double]) throws {
        guard let f = fopen(path, "w") else { throw VPPError(.noInput, "cannot write \(path)") }
        defer { fclose(f) }
        var buf: [UInt8] = []
        buf.reserveCapacity(1 << 20)
        buf.append(contentsOf: "timestamp,meter_id,kWh\n".utf8)
        let perMeter = (rows + meters.count - 1) / meters.count
        let base = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        func two(_ v: Int) { buf.append(UInt8(48 + v / 10)); buf.append(UInt8(48 + v % 10)) }
        var written = 0
        for (m, meter) in meters.enumerated() {
            let idBytes = Array(meter.utf8)
            for i in 0..<perMeter where written < rows {
                let t = KSTDateTime(epochSeconds: base + Int64(i) * 900)
                buf.append(contentsOf: String(t.year).utf8); buf.append(45); two(t.month); buf.append(45); two(t.day)
                buf.append(32); two(t.hour); buf.append(58); two(t.minute); buf.append(44)
                buf.append(contentsOf: idBytes); buf.append(44)
                // kWh in 15 min = kW × 0.25, printed with 3 decimals (Wh resolution).
                let wh = Int((kW[(i + m * 977) % kW.count] * 250).rounded())
                buf.append(contentsOf: String(wh / 1000).utf8); buf.append(46)
                let frac = wh % 1000
                buf.append(UInt8(48 + frac / 100)); buf.append(UInt8(48 + frac / 10 % 10)); buf.append(UInt8(48 + frac % 10))
                buf.append(10)
                written += 1
                if buf.count > (1 << 20) - 200 { _ = buf.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }; buf.removeAll(keepingCapacity: true) }
            }
        }
        _ = buf.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
    }

    /// Resource usage of this process so far.
    private static func selfUsage() -> rusage {
        var u = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        return u
    }

    /// CPU time (user + system) of this process so far [s].
    public static func cpuSeconds() -> Double {
        let u = selfUsage()
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    public static func peakRSSMiB() -> Double {
        Double(selfUsage().ru_maxrss) / 1024
    }

    public static func run(rows: Int, directory: String, site: SiteConfig, pythonScript: String?, keepCSV: String?,
                           generateOnly: Bool, realValuesCSV: String?) async throws -> [String] {
        let dir = directory as NSString
        let csv = keepCSV ?? dir.appendingPathComponent("vpp-ingest-bench-\(getpid()).csv")
        let db = dir.appendingPathComponent("vpp-ingest-bench-\(getpid()).sqlite")
        let pyDB = dir.appendingPathComponent("vpp-ingest-bench-py-\(getpid()).sqlite")
        defer {
            for p in [db, pyDB] { for s in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: p + s) } }
            if keepCSV == nil { try? FileManager.default.removeItem(atPath: csv) }
        }
        let meters = site.dongs.flatMap { $0.meters.compactMap { $0.aliases.first ?? $0.id } }
        let values = realValues(path: realValuesCSV)
        var out: [String] = []
        out.append("ingest bench: \(rows) rows, \(meters.count) meters × 15-min slots, values: "
                   + (values != nil ? "real GIST feeder kW × 0.25 h (\(values!.count) values)" : "GIST file absent, constant 1 kWh"))
        let tg = DispatchTime.now().uptimeNanoseconds
        try generate(path: csv, rows: rows, meters: meters, kW: values ?? [4.0])
        let size = ((try? FileManager.default.attributesOfItem(atPath: csv)[.size]) as? NSNumber)?.int64Value ?? 0
        out.append(String(format: "  generated %@ (%.1f MB) in %.2f s", csv, Double(size) / 1e6,
                          Double(DispatchTime.now().uptimeNanoseconds - tg) / 1e9))
        if generateOnly { return out }

        let store = try SQLiteStore(path: db, clock: FixedWallClock(0))
        try await store.storage.sites.loadSite(site)
        var mapping = IngestMapping()
        mapping.convention = .hourBeginning
        let t0 = DispatchTime.now().uptimeNanoseconds
        let c0 = cpuSeconds()
        let report = try await Ingestor(storage: store.storage).ingest(file: csv, options: IngestOptions(kind: .interval, source: "bench", mapping: mapping))
        let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let cpu = cpuSeconds() - c0
        let ours = Double(report.rowsOK + report.rowsRejected) / secs
        out.append(String(format: "  vpp ingest:      %d ok, %d rejected in %.3f s wall → %.0f rows/s; %.3f s CPU → %.0f rows per CPU-second (sha256, parse, validate, upsert, rollups, commit)",
                          report.rowsOK, report.rowsRejected, secs, ours, cpu, Double(report.rowsOK + report.rowsRejected) / cpu))
        var load = [0.0, 0.0, 0.0]
        if getloadavg(&load, 3) == 3 { out.append(String(format: "  machine load average during the run: %.2f (1 min) on %d cores", load[0], ProcessInfo.processInfo.activeProcessorCount)) }
        out.append(String(format: "  peak RSS of this process so far: %.1f MiB", peakRSSMiB()))

        // Python reference on the same file.
        if let script = pythonScript, FileManager.default.fileExists(atPath: script) {
            var map: [String: [String]] = [:]
            for d in site.dongs { for m in d.meters { map[m.aliases.first ?? m.id] = [m.id, d.code] } }
            let mapPath = dir.appendingPathComponent("vpp-ingest-bench-map-\(getpid()).json")
            try JSONSerialization.data(withJSONObject: map).write(to: URL(fileURLWithPath: mapPath))
            defer { try? FileManager.default.removeItem(atPath: mapPath) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", script, csv, pyDB, mapPath]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("python ") }),
               let secField = line.split(separator: " ").first(where: { $0.hasPrefix("seconds=") }),
               let pySecs = Double(secField.dropFirst(8)) {
                let pyRate = Double(rows) / pySecs
                let pyCPU = line.split(separator: " ").first(where: { $0.hasPrefix("cpu_seconds=") }).flatMap { Double($0.dropFirst(12)) }
                out.append(String(format: "  python csv+sqlite3: %.3f s wall → %.0f rows/s  (%@)", pySecs, pyRate, String(line)))
                out.append(String(format: "  speed-up vs python (wall): %.2f×  (target ≥ 2×; absolute target ≥ 1,000,000 rows/s wall: %@)",
                                  ours / pyRate, ours >= 1_000_000 ? "met" : "NOT met"))
                if let pyCPU, pyCPU > 0 {
                    out.append(String(format: "  speed-up vs python (CPU time): %.2f×  (%.0f vs %.0f rows per CPU-second)",
                                      pyCPU / cpu, Double(rows) / cpu, Double(rows) / pyCPU))
                }
            } else {
                out.append("  python reference failed: \(text.prefix(300))")
            }
        }

        // Rollup query: one dong, one month.
        let dong = site.dongs[0].code
        let month = YearMonth(year: 2024, month: 1)
        var times: [Double] = []
        var totals = try await store.storage.readings.rollupTotals(dong: dong, month: month)
        for _ in 0..<50 {
            let q0 = DispatchTime.now().uptimeNanoseconds
            totals = try await store.storage.readings.rollupTotals(dong: dong, month: month)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - q0) / 1e6)
        }
        times.sort()
        let readings = try await store.info().rowCounts["reading"] ?? 0
        out.append(String(format: "  rollup query (dong %@, %@, %d hours, %.1f MWh consumption) over %d readings: median %.3f ms, max %.3f ms (target < 50 ms)",
                          dong, month.description, totals.hours, Double(totals.consumptionWh) / 1e6, readings, times[times.count / 2], times.last!))
        return out
    }
}
