import Foundation
import Ingestion
import Testing
import Tracking
import VPPBenchmarks
@testable import VPPServer
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// Issue 16's remaining gaps: late data on the completeness page, file-outbox delivery on the
/// battery page, and the city view of issue 14.
@Suite("Dashboard gaps")
struct DashboardGapsTests {
    static func pages(_ store: SQLiteStore) -> Pages {
        Pages(storage: store.storage, settings: ServerSettings(), readAPI: ReadAPI(storage: store.storage, cache: ResponseCache(storage: store.storage, ttlS: 0)))
    }

    /// Hours 01–23 of a KST day for one feeder meter (both stamp conventions keep them in the day).
    static func feederDay(_ y: Int, _ m: Int, _ d: Int) -> String {
        (1...23).map { h in "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d) \(h < 10 ? "0" : "")\(h):00,YEONHUI-FEEDER,\(200 + h).0\n" }.joined()
    }

    static func ingest(_ store: SQLiteStore, _ body: String, name: String, dir: URL) async throws -> Int64 {
        let path = dir.appendingPathComponent(name).path
        try ("검침일시,계량기번호,사용량(kWh)\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        let r = try await Ingestor(storage: store.storage).ingest(file: path, options: IngestOptions(kind: .interval, source: "test"))
        #expect(r.rowsOK == body.split(separator: "\n").count && r.rowsRejected == 0)
        return r.uploadID
    }

    // MARK: Cheap cold year: the pages' report has the full report's values

    @Test(arguments: ["2024", "2024-07", "2024-07-15"])
    func the_pages_report_equals_the_full_report_where_the_pages_read_it(period: String) async throws {
        let (store, dir) = try TestStore.make(clock: FixedWallClock(KSTDateTime(year: 2025, month: 1, day: 2)))
        defer { TempDirectory.remove(dir) }
        let site = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        try await store.loadSite(site)
        // Four months of SYNTHETIC rollups (seeded) in a year, and a day of battery plans and
        // telemetry, so that counting, battery flows and the storage bookkeeping all take part.
        try await store.replaceRollups(SyntheticRollups.rows(dongs: site.dongs.map(\.code), from: KSTDateTime(year: 2024, month: 5, day: 1).epochSeconds,
                                                             hours: 123 * 24, seed: 21))
        let day = KSTDateTime(year: 2024, month: 7, day: 15).epochSeconds
        let run = try await store.startDispatchRun(startedAt: day - 3600, objective: "sample", horizonSeconds: 86_400, stepSeconds: 3600)
        var rows: [ScheduleRow] = [], samples: [TelemetrySample] = []
        for (_, bat) in site.batteries {
            let cap = bat.capacityKWh * 1000
            for h in 0..<24 {
                let charge = (10..<16).contains(h) ? 0.1 * cap : 0, discharge = h >= 17 ? 0.08 * cap : 0
                let pct = h < 10 ? 30.0 : (h < 16 ? 30 + Double(h - 9) * 10 : max(bat.reservePct, 90 - Double(h - 15) * 8))
                rows.append(ScheduleRow(batteryID: bat.id, slotStart: day + Int64(h) * 3600, durationSeconds: 3600,
                                        chargeW: charge, dischargeW: discharge, socWh: Int64(pct / 100 * cap)))
                samples.append(TelemetrySample(batteryID: bat.id, measuredAt: day + Int64(h) * 3600 + 600, soc: .pct(min(bat.socMaxPct, pct)),
                                               powerW: Int64(discharge - charge)))
            }
        }
        try await store.finishDispatchRun(id: run, finishedAt: day - 3500, status: "optimal", objectiveValue: 0, breakdownJSON: "{}",
                                          solveMs: 1, message: nil, schedule: rows)
        _ = try await store.appendTelemetry(samples, source: "test", directory: try await store.assetDirectory(), receivedAt: day + 86_400, sha256: "t")
        let p = try DashboardPeriod.parse(["period": period], latest: day)
        let lean = try await Self.pages(store).report(p)
        let full = try await TrackingReportBuilder.build(storage: store.storage, period: p.reportPeriod)
        #expect(lean.summary == full.summary)
        #expect(lean.monthly == full.monthly && lean.yearly == full.yearly)
        #expect(lean.runRate == full.runRate && lean.targets == full.targets && lean.dongTargets == full.dongTargets)
        #expect(lean.batteryFlows == full.batteryFlows && lean.counting == full.counting && lean.dongs == full.dongs)
        // Not a comparison of empty reports (a year with four months of data is a gap as a whole, its months are not).
        #expect(full.monthly.contains { $0.level == .district && $0.generationKWh != nil && $0.re100SharePct != nil })
        if p.scope == .year {
            // A year's charts read months: the days, participants, SoC series and forecast scores are not built.
            #expect(lean.daily.isEmpty && full.daily.count == 366 * 15)
        } else {
            #expect(lean.daily == full.daily && !lean.daily.isEmpty)
        }
        #expect(lean.participants.isEmpty && !full.participants.isEmpty && lean.forecastAccuracy == nil)
    }

    // MARK: Late data

    @Test func data_received_after_the_days_end_plus_the_threshold_are_late_with_their_upload() async throws {
        // received_at is the store clock at ingest: moved by hand.
        let clock = StepClock(KSTDateTime(year: 2022, month: 7, day: 2, hour: 10).epochSeconds)
        let (store, dir) = try TestStore.make(clock: clock)
        defer { TempDirectory.remove(dir) }
        var config = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        #expect(config.completeness == CompletenessSettings(lateAfterH: 36))
        try await store.loadSite(config)
        // 07-01: received 10 h after its end (on time).
        let u1 = try await Self.ingest(store, Self.feederDay(2022, 7, 1), name: "d1.csv", dir: dir)
        // 07-02 and 07-03 in one file received 07-04 13:00: 37 h after 07-02's end (late), 13 h after 07-03's.
        clock.advance(KSTDateTime(year: 2022, month: 7, day: 4, hour: 13).epochSeconds - clock.now())
        let u2 = try await Self.ingest(store, Self.feederDay(2022, 7, 2) + Self.feederDay(2022, 7, 3), name: "d23.csv", dir: dir)
        // 07-04 received exactly 36 h after its end: not late (late means more than the threshold).
        clock.advance(KSTDateTime(year: 2022, month: 7, day: 6, hour: 12).epochSeconds - clock.now())
        _ = try await Self.ingest(store, Self.feederDay(2022, 7, 4), name: "d4.csv", dir: dir)
        let july = YearMonth(year: 2022, month: 7)
        let arrivals = try await store.storage.readingArrivalStore().readingArrivals(assetIDs: ["yeonhui-feeder"], from: july.startEpoch, to: july.endEpoch)
        #expect(arrivals.map(\.dayStart) == (1...4).map { KSTDateTime(year: 2022, month: 7, day: $0).epochSeconds })
        #expect(arrivals.map(\.rows) == [23, 23, 23, 23] && arrivals.allSatisfy { $0.coveredS == 23 * 3600 })
        #expect(arrivals[0].uploadID == u1 && arrivals[1].uploadID == u2 && arrivals[2].uploadID == u2)
        let late = LateArrival.find(arrivals, lateAfterS: CompletenessSettings().lateAfterS)
        #expect(late.count == 1)
        #expect(late.first?.dayStart == KSTDateTime(year: 2022, month: 7, day: 2).epochSeconds && late.first?.uploadID == u2)
        #expect(late.first?.hoursAfterDayEnd == 37)
        // A longer threshold: nothing is late.
        #expect(LateArrival.find(arrivals, lateAfterS: 40 * 3600).isEmpty)

        // The page: one late cell linking to the upload, the card, and the list.
        let html = try await Self.pages(store).completenessPage(query: ["scope": "month", "period": "2022-07"])
        #expect(html.components(separatedBy: " late\" title=").count - 1 == 1, "\(html.prefix(3000))")
        #expect(html.contains("<a href=\"/uploads/\(u2)\">") && html.contains("id=\"late-arrivals\""))
        let list = try #require(html.range(of: "id=\"late-arrivals\"").map { String(html[$0.upperBound...]) })
        #expect(list.contains("<td>2022-07-02</td>") && list.contains("<td class=n>37.0</td>") && !list.contains("<td>2022-07-03</td>"))
        #expect(html.contains("늦음 Late</span><b>1</b>"))

        // The threshold comes from the site config: 48 h makes the page show nothing late.
        config.completeness = CompletenessSettings(lateAfterH: 48)
        try await store.loadSite(config)
        let relaxed = try await Self.pages(store).completenessPage(query: ["scope": "month", "period": "2022-07"])
        #expect(!relaxed.contains(" late\" title=") && relaxed.contains("nothing arrived late in this period"))
    }

    @Test func the_late_after_key_is_parsed_with_its_unit_and_bounds() throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let text = try String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)
        for geo in ["seodaemun_dongs_2021-04.geojson"] {
            try FileManager.default.copyItem(at: Paths.seodaemunConfig.deletingLastPathComponent().appendingPathComponent(geo),
                                             to: dir.appendingPathComponent(geo))
        }
        func parse(_ t: String) throws -> SiteConfig {
            let p = dir.appendingPathComponent("s.toml")
            try t.write(to: p, atomically: true, encoding: .utf8)
            return try SiteConfigParser().parse(fileAt: p.path)
        }
        #expect(try parse(text.replacingOccurrences(of: "late_after_h = 36", with: "late_after_h = 12")).completeness?.lateAfterS == 12 * 3600)
        #expect(try parse(text.replacingOccurrences(of: "late_after_h = 36\n", with: "")).completeness == CompletenessSettings())
        do {
            _ = try parse(text.replacingOccurrences(of: "late_after_h = 36", with: "late_after_h = -1"))
            Issue.record("a negative threshold was accepted")
        } catch let e as SiteConfigError {
            #expect(e.key == "completeness.late_after_h" && e.description.contains("s.toml:"), "\(e.description)")
        }
        do {
            _ = try parse(text.replacingOccurrences(of: "late_after_h = 36", with: "late_after = 36"))
            Issue.record("a key without its unit was accepted")
        } catch let e as SiteConfigError {
            #expect(e.description.contains("late_after"), "\(e.description)")
        }
    }

    // MARK: Outbox delivery on the battery page

    @Test func the_battery_page_lists_the_outbox_files_written_for_it() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        let config = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        try await store.loadSite(config)
        let bat = try #require(config.batteries.first).battery.id
        let t = KSTDateTime(year: 2024, month: 7, day: 15, hour: 0, minute: 7).epochSeconds
        let run = try await store.storage.dispatch.startDispatchRun(startedAt: t, objective: "cost", horizonSeconds: 86_400, stepSeconds: 900)
        let d = SetpointDelivery(runID: run, batteryID: bat, path: "outbox/setpoints/\(bat).json", writtenAt: t + 5, slots: 96,
                                 firstSlotStart: t - 7 * 60, lastSlotEnd: t - 7 * 60 + 86_400)
        try await store.storage.setpointDeliveryStore().recordSetpointDeliveries([d])
        let pages = Self.pages(store)
        let day = try await pages.batteryPage(id: bat, query: ["scope": "day", "period": "2024-07-15"])
        #expect(day.contains("Setpoint delivery</span><b>1 outbox file · 0 OpenADR events</b>"), "\(day.prefix(3000))")
        #expect(day.contains("id=\"deliveries\"") && day.contains("<code>outbox/setpoints/\(bat).json</code>") && day.contains("<td class=n>96</td>"))
        #expect(day.contains("newest written 2024-07-15 00:07 KST (run \(run))"))
        #expect(!day.contains("not recorded in the store"))
        // The file covers 00:00 of the 15th to 00:00 of the 16th: the 14th is not covered, the week is.
        let other = try await pages.batteryPage(id: bat, query: ["scope": "day", "period": "2024-07-16"])
        #expect(other.contains("<b>0 outbox files · 0 OpenADR events</b>") && other.contains("(run \(run))") && !other.contains("id=\"deliveries\""))
        #expect(try await pages.batteryPage(id: bat, query: ["scope": "day", "period": "2024-07-14"]).contains("<b>0 outbox files"))
        #expect(try await pages.batteryPage(id: bat, query: ["scope": "week", "period": "2024-07-15"]).contains("<b>1 outbox file ·"))
    }

    // MARK: City view

    @Test func the_city_page_renders_the_city_payload_for_operators_only() async throws {
        let s = try await LiveServer.start { $0.requestTimeoutS = DashboardTests.slowMachineTimeoutS }
        defer { Task { await s.stop() } }
        // Two SYNTHETIC districts next to Seodaemun, one month of rollups for every dong.
        let real = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        var codes = real.dongs.map(\.code)
        for d in try SyntheticDistricts.generate(from: real, count: 2, seed: 3) {
            _ = try await s.store.loadSite(d.config)
            codes += d.config.dongs.map(\.code)
        }
        let from = KSTDateTime(year: 2024, month: 1, day: 1).epochSeconds
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: codes, from: from, hours: 31 * 24, seed: 5))
        let tok = s.operatorToken
        let api = try await s.get("/api/v1/city?period=2024-01", token: tok)
        #expect(api.status == 200)
        let payload = try JSONDecoder().decode(CityReportPayload.self, from: Data(api.text.utf8))
        #expect(payload.districts.count == 3)
        let page = try await s.get("/city?scope=month&period=2024-01", token: tok)
        #expect(page.status == 200, "\(page.text.prefix(500))")
        let html = page.text
        #expect(html.contains("id=\"period-title\">2024-01 KST") && html.contains("id=\"districts\"") && !html.contains("<script"))
        let pages = DashboardGapsTests.pages(s.store)
        for d in payload.districts {
            // Each district's row carries the payload's values.
            #expect(html.contains(esc(d.nameKo)) && html.contains("<td class=n>\(pages.kwh(d.generationWh))</td>"), "\(d.id)")
            let pv = try #require(pages.pctOf(d.pvKWp, payload.targets.solarKWp))
            #expect(html.contains(fmtNum(pv, 3)), "\(d.id) pv share")
        }
        for g in payload.progress { #expect(html.contains("<b>\(pages.fmt(g.progressPct, 2, "%"))</b>"), "\(g.key)") }
        #expect(html.contains("1 GW solar, 1,000,000 mini-solar households, 540,000 tCO2e/yr"))
        // Year view and navigation; the dashboard links to it.
        let year = try await s.get("/city", token: tok)
        #expect(year.status == 200 && year.text.contains("id=\"period-title\">2024 KST") && year.text.contains("/city?scope=month&amp;period=2024-01"))
        #expect(try await s.get("/city?scope=day&period=2024-01-05", token: tok).status == 400)
        #expect(try await s.get("/upload", token: tok).text.contains("href=\"/city\"") && html.contains("id=\"city-link\""))
        // A browser without a session is sent to sign in; an office user is refused.
        let anon = try await DashboardTests.get(s, "/city", session: nil)
        #expect(anon.status == 303 && anon.headers["location"]?.hasPrefix("/login?next=%2Fcity") == true)
        #expect(try await s.get("/city", token: s.officeToken).status == 403)
    }
}
