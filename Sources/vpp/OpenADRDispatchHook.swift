import Dispatcher
import Foundation
import OpenADR
import VPPCore
import VPPServer
import VPPStore

/// What `vpp dispatch run` does for OpenADR 3 (issue 13), in two calls from `DispatchCommand.Run`.
enum OpenADRDispatchHook {
    // VEN-reported SoC reaches `dispatch run` through the telemetry store's newest-SoC read
    // (`latestTelemetry`, which includes the OpenADR report samples) with its staleness limit.

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
