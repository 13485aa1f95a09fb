import Dispatcher
import Foundation
import OpenADR
import VPPCore
import VPPStore

/// Publishes a successful dispatch run as OpenADR 3 events (issue 13); called by
/// `vpp dispatch run` after the run is stored (and by anything else that runs dispatch).
///
/// Per battery, one event (`sourceKey` `dispatch:<battery id>`) targeted to the battery (its VEN
/// resource), one interval per plan slot with two payloads from the enumerations
/// (event-interval-payloads.schema.yaml):
/// - `IMPORT_CAPACITY_LIMIT` [KW]: the planned charging power (power the battery may draw);
/// - `EXPORT_CAPACITY_LIMIT` [KW]: the planned discharging power (power it should feed).
/// Why these and not `DISPATCH_SETPOINT`: the enumerations define DISPATCH_SETPOINT as "the
/// absolute amount of consumption by a resource" with `minimum: 0`, so it cannot carry a
/// discharge; the capacity-limit pair carries both directions with non-negative values and the
/// plan never charges and discharges in the same slot. The event asks for reports of
/// `STORAGE_CHARGE_LEVEL` (PERCENT) and `DEMAND` (KW) — what dispatch reads back as telemetry.
///
/// Per program (dong or district), one price event (`price:<program>`): `PRICE` (TOU import
/// price) and `EXPORT_PRICE` (export value) [KRW per KWH] per slot, targeted to the batteries.
///
/// A new run updates these events in place — same id, `modificationDateTime` and the store's
/// modification number advanced, intervals replaced — so a VEN never sees two dispatch events
/// for one battery. A failed run publishes nothing: the previous events stay in force.
public struct OpenADRPublisher: Sendable {
    public let storage: Storage
    public let notifier: WebhookNotifier

    public init(storage: Storage, notifier: WebhookNotifier = WebhookNotifier()) {
        self.storage = storage; self.notifier = notifier
    }

    public struct Published: Sendable {
        public var programsCreated: Int
        public var eventsCreated: Int
        public var eventsUpdated: Int
        /// Event ids by battery id.
        public var batteryEvents: [String: String]
    }

    /// Program name of a dong (or of the district).
    public static func programName(site: SiteConfig, dong: String) -> String {
        (site.openadr ?? OpenADRProgramConfig()).programScope == .district ? "\(site.site.id)-storage" : "\(site.site.id)-\(dong)-storage"
    }

    /// Publishes `plan` of run `runID`. `exportPrice` gives the export value of an hour [KRW/kWh]
    /// (the dispatch builder's).
    public func publish(runID: Int64, plan: DispatchPlan, site: SiteConfig, exportPrice: (Int64) -> Double) async throws -> Published {
        let store = try storage.openADR()
        let cfg = site.openadr ?? OpenADRProgramConfig()
        let now = storage.clock.now()
        // Programs: created once, never touched by runs.
        var programIDs: [String: String] = [:]   // program name → id
        var created = 0
        let dongOfBattery = Dictionary(site.batteries.map { ($0.battery.id, $0.dong) }, uniquingKeysWith: { a, _ in a })
        for d in site.dongs where !d.batteries.isEmpty {
            let name = Self.programName(site: site, dong: d.code)
            if programIDs[name] != nil { continue }
            if let p = try await store.openADRObjects(OpenADRQuery(kind: .program, name: name, limit: 1)).first {
                programIDs[name] = p.id; continue
            }
            let batteries = cfg.programScope == .district ? site.batteries.map(\.battery.id) : d.batteries.map(\.id)
            let id = VTN.newID("prog")
            var p = Program(programName: name,
                            payloadDescriptors: [.event(.init(payloadType: "IMPORT_CAPACITY_LIMIT", units: "KW")),
                                                 .event(.init(payloadType: "EXPORT_CAPACITY_LIMIT", units: "KW")),
                                                 .event(.init(payloadType: "PRICE", units: "KWH", currency: cfg.priceCurrency)),
                                                 .event(.init(payloadType: "EXPORT_PRICE", units: "KWH", currency: cfg.priceCurrency)),
                                                 .report(.init(payloadType: "STORAGE_CHARGE_LEVEL", readingType: "DIRECT_READ", units: "PERCENT"))],
                            targets: batteries)
            p.id = id; p.objectType = .program
            p.createdDateTime = OADRTime.format(epochS: now); p.modificationDateTime = p.createdDateTime
            try await store.insertOpenADR(OpenADRObjectRecord(id: id, kind: .program, name: name, targets: batteries,
                                                              body: try VTN.encode(p), createdAt: now, modifiedAt: now))
            programIDs[name] = id
            created += 1
        }
        let step = Int64(plan.step.seconds)
        let period = IntervalPeriod(start: OADRTime.format(epochS: plan.startEpoch), duration: OADRTime.duration(seconds: step))
        var items: [(OpenADRObjectRecord, Event)] = []
        for b in plan.batteries {
            guard let dong = dongOfBattery[b.id], let pid = programIDs[Self.programName(site: site, dong: dong)] else { continue }
            let intervals = (0..<plan.slotCount).map { t in
                Interval(id: Int32(t), payloads: [
                    ValuesMap(type: "IMPORT_CAPACITY_LIMIT", values: [.number(Self.kw3(b.chargeKW[t]))]),
                    ValuesMap(type: "EXPORT_CAPACITY_LIMIT", values: [.number(Self.kw3(b.dischargeKW[t]))]),
                ])
            }
            let e = Event(programID: pid, eventName: "dispatch \(b.id) run \(runID)", priority: cfg.eventPriority, targets: [b.id],
                          reportDescriptors: [ReportDescriptor(payloadType: "STORAGE_CHARGE_LEVEL", readingType: "DIRECT_READ", units: "PERCENT")],
                          payloadDescriptors: [.init(payloadType: "IMPORT_CAPACITY_LIMIT", units: "KW"),
                                               .init(payloadType: "EXPORT_CAPACITY_LIMIT", units: "KW")],
                          intervalPeriod: period, intervals: intervals)
            items.append((OpenADRObjectRecord(id: VTN.newID("evt"), kind: .event, programID: pid, targets: [b.id], body: Data(),
                                              createdAt: now, modifiedAt: now, sourceKey: "dispatch:\(b.id)"), e))
        }
        for (name, pid) in programIDs.sorted(by: { $0.key < $1.key }) {
            let batteries = plan.batteries.map(\.id).filter { dongOfBattery[$0].map { Self.programName(site: site, dong: $0) } == name }
            guard !batteries.isEmpty else { continue }
            var intervals: [Interval] = []
            for t in 0..<plan.slotCount {
                let e = plan.slotStart(t)
                guard let rate = site.tariff(at: e)?.rate(at: e) else { continue }
                intervals.append(Interval(id: Int32(t), payloads: [
                    ValuesMap(type: "PRICE", values: [.number(rate.rateKRWPerKWh)]),
                    ValuesMap(type: "EXPORT_PRICE", values: [.number(exportPrice(Slot(containing: e, length: .hour).start))]),
                ]))
            }
            let ev = Event(programID: pid, eventName: "price \(name) run \(runID)", priority: cfg.eventPriority, targets: batteries,
                           payloadDescriptors: [.init(payloadType: "PRICE", units: "KWH", currency: cfg.priceCurrency),
                                                .init(payloadType: "EXPORT_PRICE", units: "KWH", currency: cfg.priceCurrency)],
                           intervalPeriod: period, intervals: intervals)
            items.append((OpenADRObjectRecord(id: VTN.newID("evt"), kind: .event, programID: pid, targets: batteries, body: Data(),
                                              createdAt: now, modifiedAt: now, sourceKey: "price:\(name)"), ev))
        }
        let events = Dictionary(items.map { ($0.0.sourceKey ?? "", $0.1) }, uniquingKeysWith: { a, _ in a })
        let stored = try await store.publishOpenADR(items.map(\.0)) { r in
            guard var e = events[r.sourceKey ?? ""] else { throw VPPError(.internal, "no event for \(r.sourceKey ?? "?")") }
            e.id = r.id; e.objectType = .event
            e.createdDateTime = OADRTime.format(epochS: r.createdAt); e.modificationDateTime = OADRTime.format(epochS: r.modifiedAt)
            return try VTN.encode(e)
        }
        var out = Published(programsCreated: created, eventsCreated: 0, eventsUpdated: 0, batteryEvents: [:])
        for (r, isNew) in stored {
            if isNew { out.eventsCreated += 1 } else { out.eventsUpdated += 1 }
            if let key = r.sourceKey, key.hasPrefix("dispatch:") { out.batteryEvents[String(key.dropFirst(9))] = r.id }
            await notifier.notify(store: store, kind: .event, operation: isNew ? .create : .update, record: r)
        }
        return out
    }

    /// kW to 3 decimals (W resolution), never -0.
    static func kw3(_ v: Double) -> Double { let r = (max(0, v) * 1000).rounded() / 1000; return r == 0 ? 0 : r }
}
