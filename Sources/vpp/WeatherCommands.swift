import ArgumentParser
import Forecast
import Foundation
import VPPCore
import VPPStore

/// `vpp weather …` — the forecast-weather archive (issue 11): recorded forecast files in, what is
/// archived per KMA grid cell and issue time out. Wiring only; parsing is in Forecast.
struct WeatherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weather", abstract: "Forecast weather archive per KMA grid cell and issue time.",
        subcommands: [Import.self, Show.self])

    enum FileFormat: String, ExpressibleByArgument, CaseIterable {
        case dangjin, kmaJSON = "kma-json"
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a recorded forecast file into the archive (idempotent; bad rows rejected with reasons, good rows kept).",
            discussion: """
                Formats: the Dangjin layout (Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud[,PTY,POP], \\
                valid time KST; needs --grid or --at; issue time D-1 17:00 KST for valid times on day D unless --issued) \\
                and a KMA getVilageFcst JSON reply (cell and base time from its items).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The file.") var file: String
        @Option(help: "dangjin or kma-json (default: kma-json for .json files, else dangjin).") var format: FileFormat?
        @Option(help: "KMA grid cell NX,NY for a Dangjin-layout file.") var grid: String?
        @Option(help: "Latitude,longitude [° WGS84] whose KMA grid cell a Dangjin-layout file is for.") var at: String?
        @Option(help: "Issue (base) time of every row, KST YYYY-MM-DDTHH:MM (Dangjin layout).") var issued: String?

        func validate() throws {
            if (format ?? defaultFormat) == .dangjin && grid == nil && at == nil {
                throw ValidationError("a Dangjin-layout file needs --grid NX,NY or --at LAT,LON")
            }
        }
        var defaultFormat: FileFormat { file.lowercased().hasSuffix(".json") ? .kmaJSON : .dangjin }

        func cell() throws -> KMAGridPoint {
            func pair(_ s: String, _ name: String) throws -> (Double, Double) {
                let p = s.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard p.count == 2, let a = p[0], let b = p[1], a.isFinite, b.isFinite else { throw ValidationError("--\(name) needs two numbers a,b") }
                return (a, b)
            }
            if let grid {
                let (x, y) = try pair(grid, "grid")
                guard (1...149).contains(x), (1...253).contains(y), x == x.rounded(), y == y.rounded() else {
                    throw ValidationError("--grid must be whole numbers, NX 1…149, NY 1…253")
                }
                return KMAGridPoint(nx: Int(x), ny: Int(y))
            }
            let (lat, lon) = try pair(at ?? "", "at")
            guard (32...44).contains(lat), (123...133).contains(lon) else { throw ValidationError("--at must lie in the KMA grid (lat 32…44, lon 123…133)") }
            return KMAGrid.gridPoint(latitudeDeg: lat, longitudeDeg: lon)
        }

        func run() async throws {
            let store = try global.openStore()
            guard let data = FileManager.default.contents(atPath: file) else { throw VPPError(.noInput, "\(file): missing or unreadable") }
            let parsed: WeatherFileImport.Parsed
            var cellLabel = "(from the file)"
            switch format ?? defaultFormat {
            case .kmaJSON:
                parsed = try WeatherFileImport.kmaJSON(data: data, path: file)
            case .dangjin:
                let g = try cell()
                cellLabel = g.description
                var rule = WeatherFileImport.IssueRule.dangjinDefault
                if let issued {
                    guard let t = KSTDateTime.parse(issued) else { throw ValidationError("--issued must be YYYY-MM-DDTHH:MM (KST)") }
                    rule = .fixed(t.epochSeconds)
                }
                parsed = WeatherFileImport.dangjinCSV(bytes: [UInt8](data), path: file, grid: g, issue: rule)
            }
            let r = try await store.weather.archiveWeather(source: file, importedAt: store.clock.now(), hours: parsed.hours, rejects: parsed.rejects)
            print("weather import #\(r.importID) \(file) cell \(cellLabel): \(r.added) hours archived, \(r.unchanged) already archived, "
                  + "\(r.rejected.count) rows rejected")
            for x in r.rejected.prefix(20) { print("  rejected: \(x.reason)") }
            if r.rejected.count > 20 { print("  … \(r.rejected.count - 20) more (vpp weather show --rejects \(r.importID))") }
            if parsed.hours.isEmpty { throw VPPError(.badData, "\(file): no usable forecast rows") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the archive holds per grid cell, one cell's hours as issued by a time, or an import's rejected rows.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Grid cell NX,NY to list hours of.") var grid: String?
        @Option(help: "KST day YYYY-MM-DD to list (with --grid; default: today).") var date: String?
        @Option(help: "Only issues at or before this KST time YYYY-MM-DDTHH:MM (default: now).") var issuedBefore: String?
        @Option(help: "Print the rejected rows of this import id (0: the newest import).") var rejects: Int64?
        @Option(help: "Output format: table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let store = try global.openStore()
            if let rejects {
                let rows = try await store.weather.weatherImportRejects(importID: rejects == 0 ? nil : rejects, limit: 10_000)
                emit(headers: ["line", "reason", "raw"], rows: rows.map { ["\($0.line)", $0.reason, $0.raw] }, numeric: [0])
                return
            }
            if let grid {
                let p = grid.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard p.count == 2, (1...149).contains(p[0]), (1...253).contains(p[1]) else { throw ValidationError("--grid must be NX,NY (1…149, 1…253)") }
                let now = store.clock.now()
                let dayT = try date.map { s -> KSTDateTime in
                    guard let d = KSTDateTime.parse(s) else { throw ValidationError("--date must be YYYY-MM-DD") }
                    return d
                } ?? KSTDateTime(epochSeconds: now)
                let from = KSTDateTime(year: dayT.year, month: dayT.month, day: dayT.day).epochSeconds
                let cutoff = try issuedBefore.map { s -> Int64 in
                    guard let t = KSTDateTime.parse(s) else { throw ValidationError("--issued-before must be YYYY-MM-DDTHH:MM") }
                    return t.epochSeconds
                } ?? now
                let hours = try await store.weather.archivedWeather(nx: p[0], ny: p[1], validFrom: from, validTo: from + 86_400, issuedBefore: cutoff)
                // The newest issue per valid time, as a run issued at the cutoff would see it.
                var newest: [Int64: ArchivedWeatherHour] = [:]
                for h in hours { newest[h.validTime] = h }
                let rows = newest.keys.sorted().compactMap { newest[$0] }.map { h in
                    [KSTDateTime(epochSeconds: h.validTime).iso8601, KSTDateTime(epochSeconds: h.baseTime).iso8601,
                     fmt(h.temperatureC), fmt(h.humidityPct), fmt(h.windSpeedMS), fmt(h.sky), "\(h.precipitationType)",
                     h.precipitationProbabilityPct.map { fmt($0) } ?? ""]
                }
                guard !rows.isEmpty else {
                    throw VPPError(.noInput, "no weather archived for cell (\(p[0]),\(p[1])) on \(dayT.dateString) issued by \(KSTDateTime(epochSeconds: cutoff)) KST")
                }
                emit(headers: ["valid_kst", "issued_kst", "tmp_c", "reh_pct", "wsd_ms", "sky", "pty", "pop_pct"], rows: rows, numeric: [2, 3, 4, 5, 6, 7])
                return
            }
            let cells = try await store.weather.weatherArchiveCells()
            guard !cells.isEmpty else { throw VPPError(.noInput, "the weather archive in \(store.location) is empty; run `vpp weather import` or `vpp forecast run`") }
            emit(headers: ["nx", "ny", "issues", "hours", "first_issue_kst", "last_issue_kst", "first_valid_kst", "last_valid_kst"],
                 rows: cells.map { c in
                     ["\(c.nx)", "\(c.ny)", "\(c.issues)", "\(c.hours)", KSTDateTime(epochSeconds: c.firstBase).iso8601,
                      KSTDateTime(epochSeconds: c.lastBase).iso8601, KSTDateTime(epochSeconds: c.firstValid).iso8601,
                      KSTDateTime(epochSeconds: c.lastValid).iso8601]
                 }, numeric: [0, 1, 2, 3])
        }

        func fmt(_ x: Double) -> String { String(format: "%.1f", x) }

        func emit(headers: [String], rows: [[String]], numeric: Set<Int>) {
            switch format {
            case .table: print(renderTable(headers: headers, rows: rows, numeric: numeric))
            case .csv: print(renderCSV(headers: headers, rows: rows))
            case .json:
                let objs = rows.map { r in Dictionary(uniqueKeysWithValues: zip(headers, r)) }
                if let d = try? JSONSerialization.data(withJSONObject: objs, options: [.sortedKeys]) { print(String(decoding: d, as: UTF8.self)) }
            }
        }
    }
}
