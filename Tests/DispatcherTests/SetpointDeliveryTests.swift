import Foundation
import Testing
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport
@testable import Dispatcher

/// Issue 16: every setpoint file a dispatch run writes to the outbox is recorded in the store.
@Suite struct SetpointDeliveryRecords {
    @Test func each_outbox_file_is_recorded_with_run_path_time_and_slots() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The store's clock stamps written_at; the run's own time is an hour earlier.
        let written = KSTDateTime(year: 2026, month: 7, day: 1, hour: 1, minute: 8).epochSeconds
        let (store, sdir) = try TestStore.make(clock: FixedWallClock(written))
        defer { TempDirectory.remove(sdir) }
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        o.step = .hour; o.slots = 24
        let runner = DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: syntheticSeries)
        let now = KSTDateTime(year: 2026, month: 7, day: 1, hour: 0, minute: 7).epochSeconds
        let r = try await runner.run(now: now)
        let deliveries = try store.storage.setpointDeliveryStore()
        let day = KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds
        for (k, bat) in ["bat0", "bat1"].enumerated() {
            let rows = try await deliveries.setpointDeliveries(batteryID: bat, from: day, to: day + 86_400, limit: 10)
            #expect(rows == [SetpointDelivery(runID: r.runID, batteryID: bat, path: dir + "/outbox/\(bat).json", writtenAt: written,
                                              slots: 24, firstSlotStart: day, lastSlotEnd: day + 86_400)], "\(k)")
            // The recorded file is the one on disk.
            let f = try JSONDecoder().decode(SetpointWriter.File.self, from: Data(contentsOf: URL(fileURLWithPath: rows[0].path)))
            #expect(f.run_id == r.runID && f.setpoints.count == rows[0].slots)
        }
        // A period the setpoints do not cover: nothing (the next day starts where the last slot ends); the newest is still found.
        #expect(try await deliveries.setpointDeliveries(batteryID: "bat0", from: day + 86_400, to: day + 2 * 86_400, limit: 10).isEmpty)
        #expect(try await deliveries.latestSetpointDelivery(batteryID: "bat0")?.runID == r.runID)
        #expect(try await deliveries.latestSetpointDelivery(batteryID: "nope") == nil)
        // A second run adds its own rows; the newest comes first.
        let r2 = try await runner.run(now: now + 3600)
        let both = try await deliveries.setpointDeliveries(batteryID: "bat1", from: day, to: day + 86_400, limit: 10)
        #expect(both.map(\.runID).sorted() == [r.runID, r2.runID].sorted())
        #expect(try await store.dispatchRuns().allSatisfy { !($0.message ?? "").contains("not recorded") })
    }

    @Test func a_failed_run_records_no_delivery() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, sdir) = try TestStore.make()
        defer { TempDirectory.remove(sdir) }
        var o = DispatchRunner.Options(outbox: dir + "/outbox", lockPath: dir + "/lock")
        o.step = .hour; o.slots = 24
        // Load far above the import limit: infeasible, so no file is written.
        let bad: @Sendable (Int64, SlotLength, Int) throws -> [(load: [Double], pv: [Double])] = { _, _, n in
            (0..<2).map { _ in (Array(repeating: 50_000, count: n), Array(repeating: 0, count: n)) }
        }
        await #expect(throws: DispatchError.self) {
            _ = try await DispatchRunner(builder: SiteProblemBuilder(site: smallSite()), storage: store.storage, options: o, series: bad)
                .run(now: KSTDateTime(year: 2026, month: 7, day: 1).epochSeconds)
        }
        #expect(try await store.storage.setpointDeliveryStore().latestSetpointDelivery(batteryID: "bat0") == nil)
    }
}
