import Dispatcher
import Foundation
import OpenADR
import VPPCore
import VPPServer
import VPPStore

/// What `vpp dispatch run` does for OpenADR 3 (issue 13), in two calls from `DispatchCommand.Run`.
enum OpenADRDispatchHook {
    /// Oldest VEN-reported SoC a run starts from [s]; older readings fall back to the run's own
    /// sources (previous plan, config). # ASSUMPTION: two hours, a controller reporting at least
    /// hourly.
    static let maxSoCAgeS: Int64 = 7200

    /// The newest SoC each VEN reported (OpenADR `STORAGE_CHARGE_LEVEL`) at most `maxSoCAgeS`
    /// before `now`, written as a SoC telemetry file (battery_id,soc_kwh) for the runner; nil
    /// when no VEN reported. Stand-in until the battery telemetry store (issue 12) is merged:
    /// the runner then reads the newest stored telemetry itself and this goes away.
    static func socFile(storage: Storage, now: Int64) async throws -> String? {
        let latest = try await storage.openADR().latestVENTelemetry(at: now).values.filter { now - $0.measuredAt <= maxSoCAgeS }
        guard !latest.isEmpty else { return nil }
        let lines = ["battery_id,soc_kwh"] + latest.sorted { $0.batteryID < $1.batteryID }.map {
            "\($0.batteryID),\(String(format: "%.3f", Double($0.socWh) / 1000))"
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-ven-soc-\(getpid()).csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        FileHandle.standardError.write(Data("vpp: SoC of \(latest.map(\.batteryID).sorted().joined(separator: ", ")) from OpenADR VEN reports\n".utf8))
        return path
    }

    /// Publishes the successful run as events (one per battery, one price event per program),
    /// then gives subscription callbacks at most `webhookWaitS` to finish; the run is stored
    /// before this is called, so a dead callback never holds it up.
    static func publish(storage: Storage, run r: DispatchRunner.Result, builder b: SiteProblemBuilder, webhookWaitS: Double = 5) async throws {
        let notifier = WebhookNotifier()
        let out = try await OpenADRPublisher(storage: storage, notifier: notifier)
            .publish(runID: r.runID, plan: r.plan, site: b.site, exportPrice: { b.exportPrice(hour: $0) })
        print("openadr: \(out.eventsCreated) events created, \(out.eventsUpdated) superseded, \(out.programsCreated) programs created")
        let deliveries = await notifier.drain(timeoutS: webhookWaitS)
        if !deliveries.isEmpty {
            let failed = deliveries.filter { !$0.ok }.count
            print("openadr: \(deliveries.count - failed) callbacks delivered, \(failed) failed")
        }
    }
}
