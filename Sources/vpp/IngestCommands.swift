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
import VPPCore
import VPPStore

extension IngestKind: ExpressibleByArgument {}
extension StampConvention: ExpressibleByArgument {}

/// `vpp ingest FILE... --kind monthly|interval|pv --source OFFICE [--map mapping.toml]`
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest meter exports (ERP monthly .xlsx/.csv, AMI interval CSV, PV exports) into the store.",
        discussion: """
            Each file is ingested in one transaction: a failure leaves the store unchanged, the same file from the
            same --source with the same kind and parameters twice is a no-op, overlapping readings are upserted with
            the change recorded, and every rejected row is stored with its line, column, raw text and reason
            (`vpp uploads show ID`). Exit 0 when rows landed (rejects counted in the summary), 65 when every row
            was rejected (nothing landed; fix the flags or mapping and `vpp uploads retry ID`).
            Flags override the mapping file; see Sources/VPPCore/Ingestion/IngestMapping.swift for its keys.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Files to ingest (.csv, .txt, .xlsx).") var files: [String]
    @Option(help: "monthly (XpERP register upload), interval (AMI/building meters), pv (generation exports) or telemetry (battery SoC/power CSV).") var kind: IngestKind
    @Option(help: "Office or system that produced the file (관리사무소, AMI head-end, plant).") var source: String
    @OptionGroup var flags: IngestFlags
    @Option(help: "Output format: table or json.") var format: OutputFormat = .table

    func run() async throws {
        let mapping = try flags.mapping()
        let store = try global.openStore()
        var firstError: (any CategorizedError)?
        var reports: [IngestReport] = []
        for file in files {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
            let progress = (isatty(2) == 1 && size > 4 << 20) ? ProgressBar(label: (file as NSString).lastPathComponent).callback : nil
            do {
                let r = try await Ingestor(storage: store).ingest(file: file, options: IngestOptions(kind: kind, source: source, mapping: mapping, progress: progress,
                                                                               workbookLimits: flags.workbookLimits))
                if progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                reports.append(r)
                if format == .table { IngestOutput.print(r) }
                if let e = IngestOutput.failure(r) {
                    FileHandle.standardError.write(Data("vpp: error: \(e.description)\n".utf8))
                    if firstError == nil { firstError = e }
                }
            } catch let e as CategorizedError {
                if progress != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                FileHandle.standardError.write(Data("vpp: error: \(e.description)\n".utf8))
                if firstError == nil { firstError = e }
            }
        }
        if format == .json { print(try renderJSON(reports)) }
        if let firstError { throw ExitCode(firstError.category.rawValue) }
    }

}

/// Printing an ingest report (`vpp ingest`, `vpp uploads retry`).
enum IngestOutput {
    static func print(_ r: IngestReport) {
        Swift.print(r.summary)
        if r.duplicate { return }
        if r.kind == .telemetry, let a = r.firstSlot, let b = r.lastSlot {
            Swift.print("  telemetry \(KSTDateTime(epochSeconds: a)) … \(KSTDateTime(epochSeconds: b)) KST (report instants), \(String(format: "%.2f", r.seconds)) s")
        } else if let a = r.firstSlot, let b = r.lastSlot {
            Swift.print("  readings \(KSTDateTime(epochSeconds: a)) … \(KSTDateTime(epochSeconds: b)) KST (slot starts), \(r.rollupHours) rollup rows written, \(String(format: "%.2f", r.seconds)) s")
        }
        for w in r.warnings { Swift.print("  warning: \(w)") }
        for j in r.rejects.prefix(5) {
            Swift.print("  reject \(r.file):\(j.line)\(j.column.map { ":\($0)" } ?? ""): \(j.reason)")
        }
        if r.rowsRejected > 5 { Swift.print("  … \(r.rowsRejected - 5) more rejects: vpp uploads show \(r.uploadID)") }
    }

    /// Every row rejected: bad data (65). The rejects are stored and the upload blocks no retry.
    static func failure(_ r: IngestReport) -> VPPError? {
        guard r.allRejected else { return nil }
        return VPPError(.badData, "\(r.file): all \(r.rowsRejected) rows rejected, nothing ingested (upload \(r.uploadID); "
            + "rejects: vpp uploads show \(r.uploadID); fix the flags or mapping and run vpp uploads retry \(r.uploadID))")
    }
}

/// How to read a file: the mapping file and the flags that override it (`vpp ingest`, `vpp uploads retry`).
struct IngestFlags: ParsableArguments {
    @Option(help: "Mapping file (TOML) for columns, meters, units and time convention.") var map: String?
    @Option(help: "Billing month of a monthly upload, YYYY-MM (default: from the file name).") var month: String?
    @Option(help: "Text encoding: utf-8 or cp949 (default: detected).") var encoding: String?
    @Option(help: ".xlsx sheet name or 1-based index (default: first sheet).") var sheet: String?
    @Option(help: "Time column (header text or 1-based number).") var timeColumn: String?
    @Option(help: "Meter id column (long format).") var meterColumn: String?
    @Option(help: "Value column (energy or power per slot).") var valueColumn: String?
    @Option(help: "Cumulative register column (instead of a value column).") var registerColumn: String?
    @Option(help: "Per-row unit column.") var unitColumn: String?
    @Option(help: "Unit of the value columns: Wh, kWh, MWh, W, kW, MW.") var unit: String?
    @Option(help: "hour-beginning or hour-ending.") var convention: StampConvention?
    @Option(help: "Slot length: 15m or 1h (default: detected).") var slot: String?
    @Option(help: "One asset id for the whole file (monthly uploads, single-meter files).") var meter: String?
    @Option(help: "Reject readings above this energy per slot [kWh].") var maxKwhPerSlot: Double?
    @Flag(help: "Skip (and count) rows of meters that map to no asset instead of rejecting them.") var skipUnmapped = false
    @Option(help: "Largest decompressed size of one .xlsx part [MiB] (1–4096).") var xlsxMaxMib: Int = 64
    @Option(help: "Most cells (and shared strings) read from one .xlsx (1–50000000).") var xlsxMaxCells: Int = 2_000_000

    func validate() throws {
        guard (1...4096).contains(xlsxMaxMib) else { throw ValidationError("--xlsx-max-mib must be 1–4096") }
        guard (1...50_000_000).contains(xlsxMaxCells) else { throw ValidationError("--xlsx-max-cells must be 1–50000000") }
        if let m = maxKwhPerSlot, !(m > 0 && m <= 1e9) { throw ValidationError("--max-kwh-per-slot must be > 0 and ≤ 1e9 kWh") }
    }

    /// Bounds on what an .xlsx may expand to.
    var workbookLimits: XLSXReader.Limits {
        XLSXReader.Limits(maxPartBytes: xlsxMaxMib << 20, maxCells: xlsxMaxCells, maxSharedStrings: xlsxMaxCells)
    }

    /// The mapping file's settings overridden by the flags.
    func mapping() throws -> IngestMapping {
        var mapping = IngestMapping()
        if let map { mapping = try IngestMapping.load(path: map) }
        return mapping.overridden(by: try mappingFromFlags())
    }

    func mappingFromFlags() throws -> IngestMapping {
        var m = IngestMapping()
        if let e = encoding {
            guard let v = TextEncoding(name: e) else { throw VPPError(.usage, "--encoding \(e): use utf-8 or cp949") }
            m.encoding = v
        }
        if let s = month {
            guard let v = YearMonth(s) else { throw VPPError(.usage, "--month \(s): use YYYY-MM") }
            m.month = v
        }
        if let u = unit {
            guard let v = EnergyUnit(text: u) else { throw VPPError(.usage, "--unit \(u): use Wh, kWh, MWh, W, kW or MW") }
            m.unit = v
        }
        if let s = slot {
            guard let v = SlotLength(text: s) else { throw VPPError(.usage, "--slot \(s): use 15m or 1h") }
            m.slot = v
        }
        m.sheet = sheet; m.timeColumn = timeColumn; m.meterColumn = meterColumn; m.valueColumn = valueColumn
        m.registerColumn = registerColumn; m.unitColumn = unitColumn; m.convention = convention; m.meter = meter
        m.maxKWhPerSlot = maxKwhPerSlot
        if skipUnmapped { m.unmappedMeters = .skip }
        return m
    }
}

/// A one-line progress bar on stderr (only used when stderr is a terminal).
final class ProgressBar: @unchecked Sendable {
    let label: String
    init(label: String) { self.label = label }
    var callback: @Sendable (Int64, Int64) -> Void {
        { [label] done, total in
            guard total > 0 else { return }
            let frac = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(frac * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(format: "\r%@ %@ %3.0f%% (%.1f/%.1f MB)", label, bar, frac * 100, Double(done) / 1e6, Double(total) / 1e6)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// `vpp uploads list|show ID|retry ID [flags]|delete ID --yes`
struct UploadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads", abstract: "List uploads, show what happened to every row of one, retry or delete one.",
        subcommands: [List.self, Show.self, Review.self, Resolve.self, Retry.self, Delete.self])

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest an earlier upload's original file again with other flags or mapping.",
            discussion: """
                The bytes come from the store (kept for uploads that accepted nothing or rejected rows, up to 20 MiB)
                or else from the path the CLI recorded, refused if that file changed. The retry starts from the
                parameters the upload was read with; the flags (same as `vpp ingest`) override them, and
                --fresh-parameters starts from none. It is a new upload of the same source, exit codes as `vpp ingest`.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Upload id (vpp uploads list).") var id: Int64
        @Option(help: "monthly, interval or pv (default: the upload's kind).") var kind: IngestKind?
        @Option(help: "Office or system that produced the file (default: the upload's source).") var source: String?
        @Flag(help: "Ignore the parameters the upload was read with; use only the flags and mapping given here.")
        var freshParameters = false
        @OptionGroup var flags: IngestFlags
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table

        func run() async throws {
            let store = try global.openStore()
            let (r, origin) = try await Ingestor(storage: store).retry(uploadID: id, kind: kind, source: source, flags: try flags.mapping(),
                                                               freshParameters: freshParameters)
            if format == .json { print(try renderJSON(r)) } else {
                switch origin {
                case .kept: print("retrying upload \(id) from its bytes kept in the store")
                case .path(let p): print("retrying upload \(id) from \(p) (bytes not kept; same sha256 checked)")
                }
                IngestOutput.print(r)
            }
            if let e = IngestOutput.failure(r) { throw e }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an upload as if it had never been ingested (operator; audited).",
            discussion: """
                In one transaction: the readings it inserted are removed, the readings it changed get their earlier
                value back, its monthly register readings, rejected rows and change records are removed, and the
                hourly rollups lose exactly its contribution. Recorded in the audit log as upload.delete.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Upload id (vpp uploads list).") var id: Int64
        @Flag(help: "Confirm: this removes stored readings.") var yes = false
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table

        func validate() throws {
            if !yes { throw ValidationError("vpp uploads delete \(id) removes that upload's readings and rollups; add --yes to confirm") }
        }

        func run() async throws {
            let actor = "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "operator")
            let d = try await global.openStore().uploads.deleteUpload(id: id, actor: actor)
            if format == .json { print(try renderJSON(d)); return }
            var s = "deleted upload \(d.uploadID) (\(d.fileName)): \(d.readingsRemoved) readings removed, \(d.readingsRestored) restored "
            s += "to their earlier value, \(d.registerReadingsRemoved) register readings and \(d.rejectedRowsRemoved) rejected rows removed, "
            s += "\(d.rollupHoursAdjusted) rollup hours adjusted"
            print(s)
            if d.readingsOfUnknownAssets > 0 {
                print("  warning: \(d.readingsOfUnknownAssets) readings of assets no longer in the site: removed, rollups not adjusted for them")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Uploads, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Maximum uploads to list.") var limit: Int = 50
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table
        func run() async throws {
            let rows = try await global.openStore().uploads.uploads(limit: limit)
            let headers = ["id", "received_kst", "kind", "source", "status", "ok", "rejected", "changed", "file"]
            let table = rows.map { u in
                [String(u.id), KSTDateTime(epochSeconds: u.receivedAt).description, u.kind, u.source, u.status, String(u.rowsOK),
                 String(u.rowsRejected), String(u.rowsChanged), u.fileName]
            }
            switch format {
            case .json: print(try renderJSON(rows))
            case .csv: print(renderCSV(headers: headers, rows: table))
            case .table:
                if rows.isEmpty { print("no uploads yet (vpp ingest FILE --kind … --source …)"); return }
                print(renderTable(headers: headers, rows: table, numeric: [0, 5, 6, 7]))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts, messages and rejected rows (file:line:column: reason) of one upload.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Upload id.") var id: Int64
        @Option(help: "Maximum rejected rows to print.") var limit: Int = 200
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table
        func run() async throws {
            let store = try global.openStore()
            guard let u = try await store.uploads.upload(id: id) else { throw VPPError(.noInput, "no upload \(id) (vpp uploads list)") }
            let rejects = try await store.uploads.rejectedRows(uploadID: id, limit: limit)
            if format == .json {   // the same payload as GET /api/v1/uploads/{id}/rejects
                print(try renderJSON(UploadPayload(u, owner: try await store.auth.uploadOwner(uploadID: id), rejects: rejects)))
                return
            }
            print("upload \(u.id): \(u.fileName)")
            print("  kind \(u.kind), source \(u.source), received \(KSTDateTime(epochSeconds: u.receivedAt)) KST, sha256 \(u.sha256)")
            print("  status \(u.status): \(u.rowsOK) ok, \(u.rowsRejected) rejected, \(u.rowsChanged) changed")
            if let m = u.message { for part in m.components(separatedBy: "; ") { print("  note: \(part)") } }
            for r in rejects {
                print("\(u.fileName):\(r.line)\(r.column.map { ":\($0)" } ?? ""): \(r.reason)")
                print("    \(r.raw)")
            }
            if u.rowsRejected > rejects.count { print("… \(u.rowsRejected - rejects.count) more (use --limit)") }
        }
    }
}

extension BenchCommand {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Interval CSV ingest throughput vs Python csv+sqlite3 on the same file, RSS, rollup query time.")
        @Option(help: "Rows in the generated interval CSV.") var rows: Int = 1_000_000
        @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
        @Option(help: "Site config whose meters the generated file uses.") var site: String = "site-configs/seodaemun.toml"
        @Option(help: "Python reference script (skipped if absent).") var python: String = "Benchmarks/ingest_reference.py"
        @Option(help: "Keep the generated CSV at this path (for /usr/bin/time -v runs).") var keepCsv: String?
        @Flag(help: "Only generate the CSV (--keep-csv) and exit.") var generateOnly = false
        func run() async throws {
            let config = try SiteConfigParser().parse(fileAt: site)
            let lines = try await IngestBenchmark.run(rows: rows, directory: dir, site: config, pythonScript: python,
                                                keepCSV: keepCsv, generateOnly: generateOnly,
                                                realValuesCSV: IngestBenchmark.defaultRealValuesPath())
            for l in lines { print(l) }
        }
    }
}

/// Step 2 of `vpp demo`: ingest the bundled sample exports (samples/SOURCE.txt) and show the
/// hourly rollups they produced.
enum DemoIngestStep {
    static func run(storage store: Storage, samples: String) async throws {
        print("\n== 2. ingest: sample exports from \(samples)/ (derived from shared/data, see \(samples)/SOURCE.txt)")
        var erp = IngestMapping()
        erp.meter = "yeonhui-apt"
        let pvMap = try IngestMapping.load(path: samples + "/pv-rooftops.map.toml")
        let jobs: [(String, IngestKind, String, IngestMapping)] = [
            ("yeonhui-apt-xperp-2025-08.xlsx", .monthly, "연희동 관리사무소 (XpERP)", erp),
            ("ami-feeders-2022-07.csv", .interval, "AMI head-end", IngestMapping()),
            ("pv-rooftops-2022-07.csv", .pv, "rooftop PV monitoring", pvMap),
        ]
        for (name, kind, source, mapping) in jobs {
            let r = try await Ingestor(storage: store).ingest(file: samples + "/" + name, options: IngestOptions(kind: kind, source: source, mapping: mapping))
            print("  \(r.summary)")
            for w in r.warnings { print("    warning: \(w)") }
            for j in r.rejects.prefix(3) { print("    reject line \(j.line)\(j.column.map { ":\($0)" } ?? ""): \(j.reason)") }
        }
        let month = YearMonth(year: 2022, month: 7)
        var rows: [[String]] = []
        for d in try await store.sites.siteSummary() {
            let t = try await store.readings.rollupTotals(dong: d.code, month: month)
            if t.hours == 0 { continue }
            rows.append([d.code, d.nameKo, String(t.hours), fmt(Double(t.generationWh) / 1000), fmt(Double(t.consumptionWh) / 1000),
                         fmt(Double(t.generationCoveredS) / 3600, 0), fmt(Double(t.consumptionCoveredS) / 3600, 0)])
        }
        print("  hourly rollups, \(month) KST:")
        print(renderTable(headers: ["code", "dong", "hours", "generation_kwh", "consumption_kwh", "pv_hours", "load_hours"],
                          rows: rows, numeric: [2, 3, 4, 5, 6]))
    }
}
