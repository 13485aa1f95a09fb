import Foundation
import Testing
import Ingestion
import VPPConfig
import VPPCore
import VPPStore
import VPPStorePostgres
import VPPStoreSQLite
import VPPTestSupport

/// The concerns that used to be SQLite-only (issue 14): battery telemetry, alerts and shelter
/// outcomes, forecast scoring, upload delete and OpenADR objects, each run on BOTH drivers
/// through `Storage` with the same expectations.
@Suite("Store conformance: telemetry, alerts, scoring, upload delete, OpenADR", .serialized)
struct OptionalConcernsConformanceTests {
    /// Two batteries of the sample site with their capacity [Wh] and discharge limit [W].
    private static func batteries(_ config: SiteConfig) throws -> [(id: String, capacityWh: Int64, maxDischargeW: Int64)] {
        let all = config.dongs.flatMap(\.batteries)
        try #require(all.count >= 2)
        return all.prefix(2).map { ($0.id, Int64($0.capacityKWh * 1000), Int64($0.maxDischargeKW * 1000)) }
    }

    @Test("telemetry: stored and rejected samples with reasons, out of order, duplicates, corrections, latest", arguments: Driver.available)
    func telemetry(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let bats = try Self.batteries(config)
            let (a, b) = (bats[0], bats[1])
            let now = s.clock.now()
            let t0 = now - 4 * 3600
            let dir = try await s.sites.assetDirectory()
            func sample(_ id: String, _ at: Int64, _ socWh: Int64, _ powerW: Int64? = 1000) -> TelemetrySample {
                TelemetrySample(batteryID: id, measuredAt: at, soc: .wh(socWh), powerW: powerW)
            }
            let first = [
                sample(a.id, t0, 100_000),                               // 1 ok
                sample(a.id, t0 + 900, 110_000),                         // 2 ok
                sample(a.id, t0 + 1800, 120_000, nil),                   // 3 ok (SoC only, as a VEN report)
                sample(a.id, t0 + 1800, 125_000),                        // 4 duplicate instant in this upload
                sample(a.id, t0 + 600, 90_000),                          // 5 backwards in this upload
                sample("no-such-battery", t0, 1_000),                    // 6 unknown battery
                sample(b.id, now + 60, 1_000),                           // 7 in the future
                sample(b.id, t0, b.capacityWh + 1),                      // 8 SoC above capacity
                sample(b.id, t0, 1_000, b.maxDischargeW + 1000),         // 9 power beyond max discharge
                TelemetrySample(batteryID: b.id, measuredAt: t0 + 60, soc: .pct(50), powerW: -1000),  // 10 ok (percent)
            ]
            let r1 = try await s.uploads.appendTelemetry(first, source: "test", directory: dir, receivedAt: now, sha256: "one")
            #expect(!r1.duplicate)
            #expect(r1.accepted == 4)
            #expect(r1.rejected == 6)
            #expect(r1.changed == 0)
            let upload1 = try #require(r1.uploadID)
            let rejects = try await s.uploads.rejectedRows(uploadID: upload1)
            #expect(rejects.map(\.line) == [4, 5, 6, 7, 8, 9])
            let reasons = rejects.map(\.reason)
            #expect(reasons.count == 6)
            if reasons.count == 6 {
                #expect(reasons[0].hasPrefix("duplicate time: \(a.id)"))
                #expect(reasons[1].contains("goes backwards in this upload"))
                #expect(reasons[2].hasPrefix("unknown battery no-such-battery"))
                #expect(reasons[3].contains("is in the future"))
                #expect(reasons[4].hasPrefix("soc_kwh") && reasons[4].contains("capacity_kwh of \(b.id)"))
                #expect(reasons[5].contains("discharge beyond max_discharge_kw"))
            }
            #expect(try await s.uploads.upload(id: upload1)?.status == "partial")

            // The same samples again from the same source: a duplicate, nothing stored.
            let again = try await s.uploads.appendTelemetry(first, source: "test", directory: dir, receivedAt: now, sha256: "one")
            #expect(again.duplicate)
            #expect(again.uploadID == upload1)

            // A later upload: a stored instant re-sent with another value replaces it (counted), an
            // instant older than the newest stored one that repeats none is out of order.
            let second = [sample(a.id, t0, 101_000), sample(a.id, t0 + 300, 95_000), sample(a.id, t0 + 2700, 130_000)]
            let r2 = try await s.uploads.appendTelemetry(second, source: "test", directory: dir, receivedAt: now, sha256: "two")
            #expect(r2.accepted == 2)
            #expect(r2.rejected == 1)
            #expect(r2.changed == 1)
            let upload2 = try #require(r2.uploadID)
            let reject2 = try await s.uploads.rejectedRows(uploadID: upload2)
            #expect(reject2.map(\.line) == [2])
            #expect(reject2.first?.reason.contains("older than the newest stored sample") == true)

            let series = try await s.telemetryStore().telemetrySeries(batteryIDs: [a.id], from: t0, to: t0 + 3600)
            #expect(series.map(\.measuredAt) == [t0, t0 + 900, t0 + 1800, t0 + 2700])
            #expect(series.map(\.socWh) == [101_000, 110_000, 120_000, 130_000])
            #expect(series.map(\.uploadID) == [upload2, upload1, upload1, upload2])
            #expect(series[2].powerW == nil)
            let everyone = try await s.telemetryStore().telemetrySeries(batteryIDs: [], from: t0, to: t0 + 3600)
            #expect(everyone.count == 5)
            #expect(everyone.last?.batteryID == [a.id, b.id].max())

            let latest = try await s.telemetryStore().latestTelemetry(at: now, notBefore: nil)
            #expect(latest[a.id]?.measuredAt == t0 + 2700)
            #expect(latest[b.id]?.socWh == b.capacityWh / 2)  // 50 %
            let earlier = try await s.telemetryStore().latestTelemetry(at: t0 + 1000, notBefore: t0 + 100)
            #expect(earlier[a.id]?.measuredAt == t0 + 900)
            #expect(earlier[b.id] == nil)

            // The CSV reader's path through the same sink: a file of samples ingested once.
            let csv = TelemetryCSV.csv([sample(b.id, t0 + 3000, 150_000), sample(b.id, t0 + 2000, 1)])
            let (path, tmp) = try Samples.tempFile("telemetry.csv", csv)
            defer { TempDirectory.remove(tmp) }
            let r3 = try await Ingestor(storage: s).ingest(file: path, options: IngestOptions(kind: .telemetry, source: "plant"))
            #expect(r3.rowsOK == 1)
            #expect(r3.rowsRejected == 1)
            #expect(try await s.uploads.rejectedRows(uploadID: r3.uploadID).first?.line == 3)
        }
    }

    @Test("telemetry store: the newest plan's slots per battery", arguments: Driver.available)
    func plannedSlots(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let battery = try Self.batteries(config)[0].id
            let t0 = KSTDateTime(year: 2025, month: 7, day: 1).epochSeconds
            for (i, soc) in [Int64(10_000), 20_000].enumerated() {
                let run = try await s.dispatch.startDispatchRun(startedAt: t0 + Int64(i), objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
                let rows = (0..<(i == 0 ? 4 : 2)).map {
                    ScheduleRow(batteryID: battery, slotStart: t0 + Int64($0) * 900, durationSeconds: 900, chargeW: 0, dischargeW: 500,
                                socWh: soc)
                }
                try await s.dispatch.finishDispatchRun(id: run, finishedAt: t0 + 10, status: "ok", objectiveValue: 1, breakdownJSON: "{}",
                                                       solveMs: 1, message: nil, schedule: rows)
            }
            let slots = try await s.telemetryStore().plannedSlots(batteryIDs: [battery], from: t0, to: t0 + 3600)
            #expect(slots.map(\.slotStart) == [t0, t0 + 900, t0 + 1800, t0 + 2700])
            #expect(slots.map(\.socWh) == [20_000, 20_000, 10_000, 10_000])
            #expect(try await s.telemetryStore().plannedSlots(batteryIDs: [], from: t0, to: t0 + 3600).isEmpty)
        }
    }

    @Test("alerts: idempotent import, overlap query, raw replies, shelter outcomes", arguments: Driver.available)
    func alerts(driver: Driver) async throws {
        try await withStore(driver) { s in
            let store = try s.alertStore()
            let t0 = KSTDateTime(year: 2025, month: 8, day: 1).epochSeconds
            let heat = WeatherAlert(area: "서울동북권", kind: "heat", level: .warning, fromEpoch: t0, toEpoch: t0 + 86_400,
                                    source: "csv:a.csv:2", issuedAt: t0 - 3600)
            let wind = WeatherAlert(area: "서울", kind: "wind", level: .advisory, fromEpoch: t0 - 7200, toEpoch: t0 - 3600, source: "csv:a.csv:3")
            let first = try await store.putAlerts([heat, wind], importedAt: t0)
            #expect(first.inserted == 2 && first.duplicates == 0)
            // The same window again (from another source) is the same alert.
            var same = heat
            same.source = "kma:getWthrWrnList:202508010500"
            let later = WeatherAlert(area: "서울동북권", kind: "heat", level: .advisory, fromEpoch: t0 + 86_400, toEpoch: t0 + 2 * 86_400,
                                     source: "csv:b.csv:2")
            let second = try await store.putAlerts([same, later], importedAt: t0 + 1)
            #expect(second.inserted == 1 && second.duplicates == 1)
            #expect(try await store.alerts(from: t0 - 86_400, to: t0 + 3 * 86_400) == [wind, heat, later])
            #expect(try await store.alerts(from: t0, to: t0 + 86_400) == [heat])
            #expect(try await store.alerts(from: t0 + 3 * 86_400, to: t0 + 4 * 86_400).isEmpty)

            #expect(try await store.alertReply(key: "k") == nil)
            try await store.putAlertReply(key: "k", fetchedAt: t0, body: Data("{\"a\":1}".utf8))
            try await store.putAlertReply(key: "k", fetchedAt: t0 + 1, body: Data([0, 1, 2, 255]))
            #expect(try await store.alertReply(key: "k") == Data([0, 1, 2, 255]))

            #expect(try await store.latestShelterOutcome() == nil)
            let run = try await s.dispatch.startDispatchRun(startedAt: t0, objective: "cost", horizonSeconds: 3600, stepSeconds: 900)
            let outcome = ShelterOutcome(runID: run, recordedAt: t0 + 5, fallback: true, note: "best achievable reserve", shortfalls: [
                ShelterShortfall(shelterID: "s2", slotStart: t0, requiredWh: 5000, plannedWh: 4000, reason: "capacity"),
                ShelterShortfall(shelterID: "s1", slotStart: t0 + 900, requiredWh: 3000, plannedWh: 1000, reason: "charging_power"),
            ])
            let id1 = try await store.recordShelterOutcome(outcome)
            var back = try #require(try await store.latestShelterOutcome())
            #expect(back.runID == run && back.fallback && back.note == outcome.note)
            #expect(back.shortfalls == outcome.shortfalls.sorted { ($0.shelterID, $0.slotStart) < ($1.shelterID, $1.slotStart) })
            let quiet = ShelterOutcome(runID: nil, recordedAt: t0 + 10, fallback: false, note: "", shortfalls: [])
            let id2 = try await store.recordShelterOutcome(quiet)
            #expect(id2 > id1)
            back = try #require(try await store.latestShelterOutcome())
            #expect(back == quiet)
        }
    }

    @Test("forecast scoring: run spans by issue time and windowed values", arguments: Driver.available)
    func scoring(driver: Driver) async throws {
        try await withStore(driver) { s in
            let t0 = KSTDateTime(year: 2025, month: 7, day: 1).epochSeconds
            func values(_ slots: Range<Int>) -> [ForecastValue] {
                slots.flatMap { i in
                    ["pv", "load"].map { q in
                        ForecastValue(dongCode: i % 2 == 0 ? "1141000000" : "1141010100", quantity: q, slotStart: t0 + Int64(i) * 3600,
                                      durationS: 3600, value: WattHours(Int64(i * 10 + (q == "pv" ? 1 : 2))))
                    }
                }
            }
            let r1 = try await s.forecasts.insertForecastRun(issuedAt: t0 - 7200, kind: "day-ahead", horizonS: 86_400, stepS: 3600,
                                                             model: "m", paramsJSON: "{}", values: values(0..<4))
            let r2 = try await s.forecasts.insertForecastRun(issuedAt: t0 - 3600, kind: "day-ahead", horizonS: 86_400, stepS: 3600,
                                                             model: "m", paramsJSON: "{}", values: values(2..<6))
            _ = try await s.forecasts.insertForecastRun(issuedAt: t0 - 1800, kind: "day-ahead", horizonS: 86_400, stepS: 3600,
                                                        model: "empty", paramsJSON: "{}", values: [])
            let scoring = try s.forecastScoring()
            let spans = try await scoring.forecastRunSpans(issuedFrom: t0 - 7200, issuedTo: t0)
            #expect(spans.map(\.run.id) == [r1, r2])  // a run without values is not listed
            #expect(spans.map(\.firstSlot) == [t0, t0 + 2 * 3600])
            #expect(spans.map(\.endSlot) == [t0 + 4 * 3600, t0 + 6 * 3600])
            #expect(spans.first?.covers(from: t0, to: t0 + 4 * 3600) == true)
            #expect(try await scoring.forecastRunSpans(issuedFrom: t0 - 7199, issuedTo: t0).map(\.run.id) == [r2])
            let v = try await scoring.forecastValues(runID: r1, from: t0 + 3600, to: t0 + 4 * 3600, dong: nil, quantity: "pv")
            #expect(v.map(\.dongCode) == ["1141000000", "1141010100", "1141010100"])
            #expect(v.map(\.value.wh) == [21, 11, 31])
            let one = try await scoring.forecastValues(runID: r1, from: t0, to: t0 + 4 * 3600, dong: "1141000000", quantity: nil)
            #expect(one.map(\.quantity) == ["load", "load", "pv", "pv"])
            #expect(one.map(\.slotStart) == [t0, t0 + 7200, t0, t0 + 7200])
        }
    }

    @Test("upload delete restores the readings and rollups of before, audited", arguments: Driver.available)
    func uploadDelete(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            guard let dong = config.dongs.first(where: { $0.meters.contains { $0.id == "yeonhui-feeder" } })?.code else {
                Issue.record("no dong holds yeonhui-feeder"); return
            }
            let header = "검침일시,계량기번호,사용량(kWh)\n"
            let (a, dirA) = try Samples.tempFile("a.csv", header + (1...6).map { "2022-07-02 0\($0):00,YEONHUI-FEEDER,\(100 + $0).0" }
                .joined(separator: "\n") + "\n")
            defer { TempDirectory.remove(dirA) }
            // B corrects 03:00 and adds 07:00 and 08:00.
            let (b, dirB) = try Samples.tempFile("b.csv", header + """
                2022-07-02 03:00,YEONHUI-FEEDER,150.0
                2022-07-02 07:00,YEONHUI-FEEDER,107.0
                2022-07-02 08:00,YEONHUI-FEEDER,108.0

                """)
            defer { TempDirectory.remove(dirB) }
            let ingestor = Ingestor(storage: s)
            let day = KSTDateTime(year: 2022, month: 7, day: 2).epochSeconds
            let (lo, hi) = (day, day + 86_400)
            let empty = try await s.readings.rollupTotals(dong: dong, from: lo, to: hi)
            let ra = try await ingestor.ingest(file: a, options: IngestOptions(kind: .interval, source: "a"))
            let afterA = try await s.readings.rollupTotals(dong: dong, from: lo, to: hi)
            let rb = try await ingestor.ingest(file: b, options: IngestOptions(kind: .interval, source: "b"))
            #expect(rb.rowsChanged == 1)
            let afterB = try await s.readings.rollupTotals(dong: dong, from: lo, to: hi)
            #expect(afterB.consumptionWh - afterA.consumptionWh == 150_000 - 103_000 + 107_000 + 108_000)

            // Deleting B: its two new readings go, the corrected one gets A's value back.
            let d = try await s.uploads.deleteUpload(id: rb.uploadID, actor: "test")
            #expect(d.readingsRemoved == 2)
            #expect(d.readingsRestored == 1)
            #expect(d.rollupHoursAdjusted == 3)
            #expect(d.readingsOfUnknownAssets == 0)
            #expect(try await s.readings.rollupTotals(dong: dong, from: lo, to: hi) == afterA)
            let meter = try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder"], from: lo, to: hi)
            #expect(meter["yeonhui-feeder"]?.energyWh == Int64((1...6).reduce(0) { $0 + (100 + $1) * 1000 }))
            #expect(meter["yeonhui-feeder"]?.coveredS == Int64(6 * 3600))
            #expect(try await s.uploads.upload(id: rb.uploadID) == nil)
            // The same file may be ingested again and corrects the value again.
            let rb2 = try await ingestor.ingest(file: b, options: IngestOptions(kind: .interval, source: "b"))
            #expect(!rb2.duplicate)
            #expect(rb2.rowsChanged == 1)
            #expect(try await s.readings.rollupTotals(dong: dong, from: lo, to: hi) == afterB)

            // Deleting A now: its readings go except 03:00, which B wrote last (B's value stands).
            let dA = try await s.uploads.deleteUpload(id: ra.uploadID, actor: "test")
            #expect(dA.readingsRemoved == 5)
            #expect(dA.readingsRestored == 0)
            let left = try await s.readings.meterTotals(assetIDs: ["yeonhui-feeder"], from: lo, to: hi)
            #expect(left["yeonhui-feeder"]?.energyWh == Int64(150_000 + 107_000 + 108_000))
            #expect(left["yeonhui-feeder"]?.coveredS == Int64(3 * 3600))
            let onlyB = try await s.readings.rollupTotals(dong: dong, from: lo, to: hi)
            #expect(onlyB.consumptionWh == empty.consumptionWh + 150_000 + 107_000 + 108_000)
            #expect(onlyB.consumptionCoveredS == empty.consumptionCoveredS + 3 * 3600)

            // Deleting B as well leaves nothing: the rollup rows only these uploads made are gone.
            _ = try await s.uploads.deleteUpload(id: rb2.uploadID, actor: "test")
            #expect(try await s.readings.rollupSpan() == nil)
            #expect(try await s.uploads.uploads().isEmpty)
            let audit = try await s.auth.auditLog(limit: 10).filter { $0.action == "upload.delete" }
            #expect(audit.map(\.target) == ["upload:\(rb2.uploadID)", "upload:\(ra.uploadID)", "upload:\(rb.uploadID)"])
            #expect(audit.last?.detail.contains("2 readings removed, 1 restored") == true)

            await #expect(throws: VPPError.self) { _ = try await s.uploads.deleteUpload(id: 999_999, actor: "test") }
        }
    }

    @Test("upload delete takes a telemetry upload's samples with it", arguments: Driver.available)
    func uploadDeleteTelemetry(driver: Driver) async throws {
        try await withStore(driver) { s in
            let config = try Samples.seodaemun
            try await s.sites.loadSite(config)
            let battery = try Self.batteries(config)[0].id
            let now = s.clock.now()
            let r = try await s.uploads.appendTelemetry([TelemetrySample(batteryID: battery, measuredAt: now - 60, soc: .wh(1000), powerW: 0)],
                                                        source: "t", directory: try await s.sites.assetDirectory(), receivedAt: now,
                                                        sha256: "x")
            let id = try #require(r.uploadID)
            #expect(try await s.telemetryStore().latestTelemetry(at: now, notBefore: nil).count == 1)
            _ = try await s.uploads.deleteUpload(id: id, actor: "test")
            #expect(try await s.telemetryStore().latestTelemetry(at: now, notBefore: nil).isEmpty)
        }
    }

    @Test("OpenADR objects: insert, conflicts, update, query by targets, publish, delete", arguments: Driver.available)
    func openADR(driver: Driver) async throws {
        try await withStore(driver) { s in
            let o = try s.openADR()
            let t0: Int64 = 1_750_000_000
            func body(_ text: String) -> Data { Data(text.utf8) }
            let program = OpenADRObjectRecord(id: "p1", kind: .program, name: "seodaemun-dr", body: body("{\"id\":\"p1\"}"),
                                              createdAt: t0, modifiedAt: t0)
            try await o.insertOpenADR(program)
            await #expect(throws: OpenADRStoreError(.conflict, "an object with id p1 exists")) { try await o.insertOpenADR(program) }
            var sameName = program
            sameName.id = "p2"
            await #expect(throws: OpenADRStoreError(.conflict, "a program named seodaemun-dr exists")) { try await o.insertOpenADR(sameName) }

            let e1 = OpenADRObjectRecord(id: "e1", kind: .event, programID: "p1", targets: ["b", "a", "a"], body: body("{}"),
                                         createdAt: t0 + 1, modifiedAt: t0 + 1)
            let e2 = OpenADRObjectRecord(id: "e2", kind: .event, programID: "p1", body: body("{}"), createdAt: t0 + 1, modifiedAt: t0 + 1)
            let e3 = OpenADRObjectRecord(id: "e3", kind: .event, programID: "p9", targets: ["c"], body: body("{}"), createdAt: t0, modifiedAt: t0)
            for e in [e1, e2, e3] { try await o.insertOpenADR(e) }
            #expect(try await o.openADRObject(kind: .event, id: "e1")?.targets == ["a", "b"])
            #expect(try await o.openADRObject(kind: .program, id: "e1") == nil)
            func ids(_ q: OpenADRQuery) async throws -> [String] { try await o.openADRObjects(q).map(\.id) }
            // Oldest first, then insertion order.
            #expect(try await ids(OpenADRQuery(kind: .event)) == ["e3", "e1", "e2"])
            #expect(try await ids(OpenADRQuery(kind: .event, programID: "p1")) == ["e1", "e2"])
            #expect(try await ids(OpenADRQuery(kind: .event, targetsAny: ["a", "c"])) == ["e3", "e1"])
            #expect(try await ids(OpenADRQuery(kind: .event, targetsAny: ["a"], untargetedToo: true)) == ["e1", "e2"])
            #expect(try await ids(OpenADRQuery(kind: .event, targetsAny: [])).isEmpty)
            #expect(try await ids(OpenADRQuery(kind: .event, targetsAny: [], untargetedToo: true)) == ["e2"])
            #expect(try await ids(OpenADRQuery(kind: .event, skip: 1, limit: 1)) == ["e1"])
            #expect(try await ids(OpenADRQuery(kind: .program, name: "seodaemun-dr")) == ["p1"])

            var changed = e1
            changed.targets = ["z"]
            changed.body = body("{\"v\":2}")
            changed.modifiedAt = t0 + 50
            changed.createdAt = 0
            let updated = try await o.updateOpenADR(changed)
            #expect(updated.modificationNumber == 1 && updated.createdAt == t0 + 1)
            let stored = try #require(try await o.openADRObject(kind: .event, id: "e1"))
            #expect(stored.targets == ["z"] && stored.body == changed.body && stored.modifiedAt == t0 + 50 && stored.modificationNumber == 1)
            var missing = e1
            missing.id = "nope"
            await #expect(throws: OpenADRStoreError.self) { _ = try await o.updateOpenADR(missing) }

            // Publishing vpp's own objects: inserted once, then updated in place under the same id.
            let item = OpenADRObjectRecord(id: "ev-run1", kind: .event, programID: "p1", targets: ["bat-1"], body: Data(),
                                           createdAt: t0 + 100, modifiedAt: t0 + 100, sourceKey: "dispatch:bat-1")
            let make: @Sendable (OpenADRObjectRecord) throws -> Data = { r in Data("{\"id\":\"\(r.id)\",\"n\":\(r.modificationNumber)}".utf8) }
            let p1 = try await o.publishOpenADR([item], makeBody: make)
            #expect(p1.map(\.created) == [true])
            var next = item
            next.id = "ev-run2"; next.createdAt = t0 + 200; next.modifiedAt = t0 + 200
            let p2 = try await o.publishOpenADR([next], makeBody: make)
            #expect(p2.map(\.created) == [false])
            #expect(p2.first?.record.id == "ev-run1")
            #expect(p2.first?.record.modificationNumber == 1)
            let published = try #require(try await o.openADRObject(kind: .event, id: "ev-run1"))
            #expect(published.createdAt == t0 + 100 && published.modifiedAt == t0 + 200)
            #expect(published.body == Data("{\"id\":\"ev-run1\",\"n\":1}".utf8))
            #expect(published.sourceKey == "dispatch:bat-1")
            #expect(try await o.openADRObject(kind: .event, id: "ev-run2") == nil)

            // A VEN takes its resources with it.
            try await o.insertOpenADR(OpenADRObjectRecord(id: "v1", kind: .ven, name: "ven-1", body: body("{}"), createdAt: t0, modifiedAt: t0))
            try await o.insertOpenADR(OpenADRObjectRecord(id: "r1", kind: .resource, venID: "v1", name: "v1/bat", body: body("{}"),
                                                          createdAt: t0, modifiedAt: t0))
            #expect(try await o.deleteOpenADR(kind: .ven, id: "v1")?.name == "ven-1")
            #expect(try await o.openADRObject(kind: .resource, id: "r1") == nil)
            #expect(try await o.deleteOpenADR(kind: .ven, id: "v1") == nil)
        }
    }
}
