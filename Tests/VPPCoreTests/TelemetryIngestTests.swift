import Foundation
import Ingestion
import Testing
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// Battery telemetry ingest (issue 12 item 3): `vpp ingest --kind telemetry` rows land in
/// `battery_telemetry`; every bad row is kept with its reason and the good rows land.
@Suite struct TelemetryIngest {
    /// Clock of every test: 2024-07-01 12:00 KST.
    static let now = KSTDateTime(year: 2024, month: 7, day: 1, hour: 12)

    struct Env {
        let store: SQLiteStore
        let dir: URL
        func write(_ name: String, _ text: String) throws -> String {
            let p = dir.appendingPathComponent(name).path
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            return p
        }
        func ingest(_ path: String, source: String = "ess-controller") async throws -> IngestReport {
            try await Ingestor(storage: store.storage).ingest(file: path, options: IngestOptions(kind: .telemetry, source: source))
        }
    }

    /// The tiny site: ess-0 and ess-1, 100 kWh, 50 kW charge and discharge.
    static func env() async throws -> Env {
        let (store, dir) = try TestStore.make(clock: FixedWallClock(now))
        _ = try await store.loadSite(SiteBuilder.tiny())
        return Env(store: store, dir: dir)
    }

    @Test func good_rows_land_and_each_bad_row_is_kept_with_its_reason() async throws {
        let env = try await Self.env()
        defer { TempDirectory.remove(env.dir) }
        let path = try env.write("t.csv", """
            battery_id,time_kst,soc_kwh,power_kw,charged_kwh,discharged_kwh
            ess-0,2024-07-01 10:00,40.5,-20,100,80
            ess-0,2024-07-01 10:15,45.25,-21.5,105.375,80
            ess-9,2024-07-01 10:15,10,0,,
            ess-1,2024-07-01 13:00,10,0,,
            ess-1,2024-07-01 10:00,100.001,0,,
            ess-1,2024-07-01 10:15,-1,0,,
            ess-1,2024-07-01 10:30,50,50.5,,
            ess-1,2024-07-01 10:45,50,-51,,
            ess-0,2024-07-01 10:05,44,0,,
            ess-0,2024-07-01 10:15,44,0,,
            ess-1,2024-07-01 11:00,abc,0,,
            ess-1,2024-07-01 11:00,60,0,,

            """)
        let r = try await env.ingest(path)
        #expect(r.rowsOK == 3)
        #expect(r.rowsRejected == 9)
        #expect(r.status == "partial")
        let rejects = try await env.store.rejectedRows(uploadID: r.uploadID)
        let reasons = Dictionary(uniqueKeysWithValues: rejects.map { ($0.line, $0.reason) })
        #expect(reasons[4]?.hasPrefix("unknown battery ess-9") == true)
        #expect(reasons[5]?.contains("in the future") == true)
        #expect(reasons[6]?.contains("soc_kwh 100.001 outside [0, 100.0] (capacity_kwh of ess-1)") == true)
        #expect(reasons[7]?.contains("outside [0, 100.0]") == true)
        #expect(reasons[8]?.contains("beyond max_discharge_kw 50.0") == true)
        #expect(reasons[9]?.contains("beyond max_charge_kw 50.0") == true)
        #expect(reasons[10]?.contains("goes backwards in this upload") == true)
        #expect(reasons[11]?.contains("duplicate time") == true)
        #expect(reasons[12]?.contains("\"abc\" is not a number") == true)
        #expect(rejects.first { $0.line == 12 }?.column == 3)

        let series = try await env.store.telemetrySeries(batteryIDs: ["ess-0"], from: 0, to: Self.now.epochSeconds)
        #expect(series.map(\.socWh) == [40_500, 45_250])
        #expect(series.map(\.powerW) == [-20_000, -21_500])
        #expect(series[1].chargedWh == 105_375 && series[1].dischargedWh == 80_000)
        let latest = try await env.store.latestTelemetry(at: Self.now.epochSeconds, notBefore: nil)
        #expect(latest["ess-0"]?.socWh == 45_250)
        #expect(latest["ess-1"]?.socWh == 60_000)
        // At 10:10 ess-0's newest is the 10:00 sample; ess-1 had none yet.
        let earlier = try await env.store.latestTelemetry(at: KSTDateTime(year: 2024, month: 7, day: 1, hour: 10, minute: 10).epochSeconds,
                                                          notBefore: nil)
        #expect(earlier["ess-0"]?.socWh == 40_500 && earlier["ess-1"] == nil)
    }

    @Test func soc_pct_converts_with_the_capacity_and_pct_outside_0_100_is_rejected() async throws {
        let env = try await Self.env()
        defer { TempDirectory.remove(env.dir) }
        let path = try env.write("p.csv", "battery_id,time_kst,soc_pct,power_kw\ness-0,2024-07-01T11:00:00+09:00,37.5,12\ness-1,2024-07-01 11:00,101,0\n")
        let r = try await env.ingest(path)
        #expect(r.rowsOK == 1 && r.rowsRejected == 1)
        let latest = try await env.store.latestTelemetry(at: Self.now.epochSeconds, notBefore: nil)
        #expect(latest["ess-0"]?.socWh == 37_500)   // 37.5 % of 100 kWh
        #expect(latest["ess-0"]?.measuredAt == KSTDateTime(year: 2024, month: 7, day: 1, hour: 11).epochSeconds)
        #expect(try await env.store.rejectedRows(uploadID: r.uploadID).first?.reason.contains("soc_pct 101.0 outside [0, 100]") == true)
    }

    @Test func reupload_is_a_duplicate_and_older_than_stored_is_out_of_order() async throws {
        let env = try await Self.env()
        defer { TempDirectory.remove(env.dir) }
        let text = "battery_id,time_kst,soc_kwh,power_kw\ness-0,2024-07-01 11:00,50,0\ness-0,2024-07-01 11:15,50,0\n"
        let first = try await env.ingest(try env.write("a.csv", text))
        #expect(first.rowsOK == 2)
        let again = try await env.ingest(try env.write("b.csv", text))
        #expect(again.duplicate && again.uploadID == first.uploadID)
        // A corrected file: repeats 11:15 with a new value (replaced, counted as changed), and
        // 11:05 is older than the newest stored sample and repeats no stored instant.
        let fix = try await env.ingest(try env.write("c.csv", "battery_id,time_kst,soc_kwh,power_kw\ness-0,2024-07-01 11:05,49,0\ness-0,2024-07-01 11:15,51,0\n"))
        #expect(fix.rowsOK == 1 && fix.rowsChanged == 1 && fix.rowsRejected == 1)
        #expect(try await env.store.rejectedRows(uploadID: fix.uploadID).first?.reason.contains("older than the newest stored sample") == true)
        let s = try await env.store.telemetrySeries(batteryIDs: [], from: 0, to: Self.now.epochSeconds)
        #expect(s.map(\.socWh) == [50_000, 51_000])
        // Deleting the correcting upload removes the rows it wrote (not the replaced value).
        _ = try await env.store.deleteUpload(id: fix.uploadID, actor: "test")
        #expect(try await env.store.telemetrySeries(batteryIDs: [], from: 0, to: Self.now.epochSeconds).count == 1)
    }

    @Test func a_time_column_without_its_zone_is_a_layout_error() async throws {
        let env = try await Self.env()
        defer { TempDirectory.remove(env.dir) }
        let path = try env.write("z.csv", "battery_id,time,soc_kwh,power_kw\ness-0,2024-07-01 11:00,50,0\n")
        await #expect { _ = try await env.ingest(path) } throws: { e in
            (e as? IngestError)?.description.contains("time_kst") == true
        }
        #expect(try await env.store.uploads().isEmpty)
    }

    @Test func program_samples_take_the_same_checks() async throws {
        let env = try await Self.env()
        defer { TempDirectory.remove(env.dir) }
        let t = KSTDateTime(year: 2024, month: 7, day: 1, hour: 11).epochSeconds
        let samples = [
            TelemetrySample(batteryID: "ess-0", measuredAt: t, soc: .wh(70_000), powerW: 10_000),
            TelemetrySample(batteryID: "ess-0", measuredAt: t + 900, soc: .wh(200_000), powerW: 10_000),
            TelemetrySample(batteryID: "ess-1", measuredAt: Self.now.epochSeconds + 60, soc: .wh(1), powerW: 0),
        ]
        let dir = try await env.store.assetDirectory()
        let r = try await env.store.storage.uploads.appendTelemetry(samples, source: "openadr", directory: dir,
                                                                     receivedAt: Self.now.epochSeconds, sha256: "s1")
        #expect(r.accepted == 1 && r.rejected == 2 && !r.duplicate)
        #expect(r.rejects.map(\.line) == [2, 3])
        let again = try await env.store.storage.uploads.appendTelemetry(samples, source: "openadr", directory: dir,
                                                                         receivedAt: Self.now.epochSeconds, sha256: "s1")
        #expect(again.duplicate && again.uploadID == r.uploadID)
        let id = try #require(r.uploadID)
        let up = try #require(try await env.store.upload(id: id))
        #expect(up.kind == "telemetry" && up.rowsOK == 1 && up.rowsRejected == 2 && up.status == "partial")
    }
}
