import Dispatcher
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OpenADR
import Testing
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport
@testable import VPPServer

/// A client of the VTN on a `LiveServer` that checks every response body against the
/// specification's schema for its path, method and status (OpenADRSchema).
struct VTNClient {
    let server: LiveServer
    let schema: OpenADRSchema

    init(_ server: LiveServer) throws {
        self.server = server
        schema = try OpenADRSchema.shared.get()
    }

    /// `template` is the specification's path (`/events/{eventID}`); `path` what is sent.
    func call(_ method: String, _ path: String, template: String? = nil, token: String?, body: (any Encodable)? = nil,
              raw: String? = nil) async throws -> HTTPReply {
        var h: [(String, String)] = []
        if let token { h.append(("Authorization", "Bearer \(token)")) }
        var bytes: [UInt8] = []
        if let body { bytes = Array(try JSONEncoder().encode(body)) } else if let raw { bytes = Array(raw.utf8) }
        if !bytes.isEmpty { h.append(("Content-Type", "application/json")) }
        let r = try await LoopbackHTTP.async(port: server.port, method: method, path: HTTPServer.openADRBase + path, headers: h, body: bytes)
        let t = template ?? String(path.split(separator: "?")[0])
        try schema.validate(path: t, method: method, status: r.status, body: r.body)
        return r
    }

    func decode<T: Decodable>(_ t: T.Type, _ r: HTTPReply) throws -> T { try JSONDecoder().decode(t, from: Data(r.body)) }
    func problem(_ r: HTTPReply) -> Problem? { try? decode(Problem.self, r) }
}

/// Issue 13: the OpenADR 3.1.0 VTN of `vpp serve`.
@Suite(.serialized) struct OpenADRTests {
    static let site = Result { try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path) }

    /// A 4-slot hourly plan solved for the Seodaemun site from nominal load (no PV) at `start`.
    static func plan(start: Int64) throws -> (DispatchPlan, SiteProblemBuilder) {
        let site = try Self.site.get()
        let b = SiteProblemBuilder(site: site)
        let series = site.dongs.map { _ in (load: [80.0, 120, 60, 90], pv: [0.0, 0, 0, 0]) }
        let p = try b.problem(start: start, step: .hour, slots: 4, series: series)
        return (try DispatchModel.solve(p), b)
    }

    static func venToken(_ s: LiveServer, _ name: String, _ batteries: [String]) async throws -> String {
        try await s.store.createToken(role: .ven, office: name, complexes: batteries).text
    }

    /// A SoC report on `event` for `resource`: one 15-minute interval from `start`.
    static func socReport(_ event: String, _ resource: String, soc: Double, units: String = "PERCENT", start: Int64,
                          demandKW: Double? = nil) -> Report {
        var payloads = [ValuesMap(type: "STORAGE_CHARGE_LEVEL", values: [.number(soc)])]
        var descriptors = [ReportPayloadDescriptor(payloadType: "STORAGE_CHARGE_LEVEL", readingType: "DIRECT_READ", units: units)]
        if let demandKW {
            payloads.append(ValuesMap(type: "DEMAND", values: [.number(demandKW)]))
            descriptors.append(ReportPayloadDescriptor(payloadType: "DEMAND", readingType: "MEAN", units: "KW"))
        }
        return Report(eventID: event, clientName: "controller", payloadDescriptors: descriptors, resources: [
            ReportResource(resourceName: resource, intervals: [
                Interval(id: 0, intervalPeriod: IntervalPeriod(start: OADRTime.format(epochS: start), duration: "PT15M"), payloads: payloads),
            ]),
        ])
    }

    @Test func programsPaginationConflictsAndProblems() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let ven = try await Self.venToken(s, "ven-cheonyeon", ["cheonyeon-ess"])
        for i in 0..<3 {
            let r = try await c.call("POST", "/programs", token: s.operatorToken,
                                     body: Program(programName: "p\(i)", targets: i == 2 ? ["cheonyeon-ess"] : (i == 1 ? ["bugahyeon-ess"] : nil)))
            #expect(r.status == 201)
            #expect(try c.decode(Program.self, r).objectType == .program)
        }
        let dup = try await c.call("POST", "/programs", token: s.operatorToken, body: Program(programName: "p0"))
        #expect(dup.status == 409)
        #expect(c.problem(dup)?.status == 409)
        let page = try await c.call("GET", "/programs?skip=1&limit=1", token: s.operatorToken)
        #expect(try c.decode([Program].self, page).map(\.programName) == ["p1"])
        let targeted = try await c.call("GET", "/programs?targets=cheonyeon-ess", token: s.operatorToken)
        #expect(try c.decode([Program].self, targeted).map(\.programName) == ["p2"])
        let tooMany = try await c.call("GET", "/programs?limit=51", token: s.operatorToken)
        #expect(tooMany.status == 400)
        #expect(c.problem(tooMany)?.detail.contains("limit") == true)
        let noToken = try await c.call("GET", "/programs", token: nil)
        #expect(noToken.status == 401)
        #expect(c.problem(noToken)?.title == "Unauthorized")
        // A VEN sees untargeted programs and those targeted to it (not p1, targeted elsewhere).
        let venList = try await c.call("GET", "/programs", token: ven)
        #expect(try c.decode([Program].self, venList).map(\.programName) == ["p0", "p2"])
        let venPost = try await c.call("POST", "/programs", token: ven, body: Program(programName: "mine"))
        #expect(venPost.status == 403)
        let office = try await c.call("GET", "/programs", token: s.officeToken)
        #expect(office.status == 403)
        let bad = try await c.call("POST", "/programs", token: s.operatorToken, raw: "{\"targets\": []}")
        #expect(bad.status == 400)
        #expect(c.problem(bad)?.detail.contains("programName") == true)
        #expect(c.schema.checked >= 10)
    }

    @Test func dispatchPublishesOneEventPerBatteryAndSupersedesIt() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let site = try Self.site.get()
        let start = Slot(containing: s.store.clock.now(), length: .hour).start
        let (plan, b) = try Self.plan(start: start)
        let pub = OpenADRPublisher(storage: s.store.storage)
        let first = try await pub.publish(runID: 1, plan: plan, site: site, exportPrice: { b.exportPrice(hour: $0) })
        #expect(first.programsCreated == 14)
        #expect(first.eventsCreated == 28)   // 14 batteries + 14 price events
        let second = try await pub.publish(runID: 2, plan: plan, site: site, exportPrice: { b.exportPrice(hour: $0) })
        #expect(second.eventsCreated == 0 && second.eventsUpdated == 28 && second.programsCreated == 0)
        #expect(second.batteryEvents == first.batteryEvents)
        var all: [Event] = []
        for skip in stride(from: 0, to: 100, by: 50) {
            all += try c.decode([Event].self, try await c.call("GET", "/events?skip=\(skip)&limit=50", token: s.operatorToken))
        }
        #expect(all.count == 28)
        #expect(Set(all.compactMap(\.id)).count == 28)
        let mine = try #require(all.first { $0.targets == ["cheonyeon-ess"] && $0.eventName?.hasPrefix("dispatch") == true })
        #expect(mine.eventName == "dispatch cheonyeon-ess run 2")
        #expect(mine.intervals.count == 4)
        #expect(mine.intervalPeriod?.duration == "PT1H")
        let bt = try #require(plan.batteries.first { $0.id == "cheonyeon-ess" })
        for (t, iv) in mine.intervals.enumerated() {
            let imp = iv.payloads.first { $0.type == "IMPORT_CAPACITY_LIMIT" }?.values.first?.double
            let exp = iv.payloads.first { $0.type == "EXPORT_CAPACITY_LIMIT" }?.values.first?.double
            #expect(abs((imp ?? -1) - bt.chargeKW[t]) < 0.001)
            #expect(abs((exp ?? -1) - bt.dischargeKW[t]) < 0.001)
        }
        let stored = try #require(try await s.store.openADRObject(kind: .event, id: mine.id ?? ""))
        #expect(stored.modificationNumber == 1)
        // The dong's price event carries the TOU import price and the export value per slot.
        let price = try #require(all.first { $0.eventName?.hasPrefix("price") == true && $0.targets == ["cheonyeon-ess"] })
        let p0 = try #require(price.intervals.first?.payloads)
        let tariff = try #require(site.tariff(at: start)?.rate(at: start)?.rateKRWPerKWh)
        #expect(p0.first { $0.type == "PRICE" }?.values.first?.double == tariff)
        #expect(p0.first { $0.type == "EXPORT_PRICE" }?.values.first?.double == b.exportPrice(hour: start))
        #expect(price.payloadDescriptors?.first?.currency == "KRW")
    }

    /// The auth matrix for VEN tokens: another VEN's events, reports, resources and VEN → 404
    /// (their existence is not revealed); writes outside its scope → 403.
    @Test func venTokenAuthMatrix() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let site = try Self.site.get()
        let now = s.store.clock.now()
        let (plan, b) = try Self.plan(start: Slot(containing: now, length: .hour).start - 4 * 3600)
        let pub = try await OpenADRPublisher(storage: s.store.storage).publish(runID: 1, plan: plan, site: site, exportPrice: { b.exportPrice(hour: $0) })
        let a = try await Self.venToken(s, "ven-a", ["cheonyeon-ess"])
        let bTok = try await Self.venToken(s, "ven-b", ["bugahyeon-ess"])
        let evA = try #require(pub.batteryEvents["cheonyeon-ess"]), evB = try #require(pub.batteryEvents["bugahyeon-ess"])

        let aEvents = try c.decode([Event].self, try await c.call("GET", "/events", token: a))
        #expect(aEvents.count == 2)   // its battery's dispatch event and its dong's price event
        // The plan started 4 h ago with 4 hourly slots: over, so not active.
        #expect(try c.decode([Event].self, try await c.call("GET", "/events?active=true", token: a)).isEmpty)
        #expect(try await c.call("GET", "/events?active=maybe", token: a).status == 400)
        #expect(aEvents.allSatisfy { $0.targets?.contains("cheonyeon-ess") == true })
        #expect(try await c.call("GET", "/events/\(evA)", template: "/events/{eventID}", token: a).status == 200)
        #expect(try await c.call("GET", "/events/\(evB)", template: "/events/{eventID}", token: a).status == 404)
        #expect(try c.decode([Event].self, try await c.call("GET", "/events?targets=bugahyeon-ess", token: a)).isEmpty)

        // Reports: B reports on its event; A can neither read it nor report on B's event or resource.
        let t0 = plan.startEpoch
        let rB = try await c.call("POST", "/reports", token: bTok, body: Self.socReport(evB, "bugahyeon-ess", soc: 0.4, start: t0))
        #expect(rB.status == 201)
        let repB = try #require(try c.decode(Report.self, rB).id)
        #expect(try await c.call("GET", "/reports/\(repB)", template: "/reports/{reportID}", token: a).status == 404)
        #expect(try c.decode([Report].self, try await c.call("GET", "/reports", token: a)).isEmpty)
        #expect(try c.decode([Report].self, try await c.call("GET", "/reports", token: s.operatorToken)).count == 1)
        #expect(try await c.call("POST", "/reports", token: a, body: Self.socReport(evB, "cheonyeon-ess", soc: 0.4, start: t0)).status == 409)
        let foreign = try await c.call("POST", "/reports", token: a, body: Self.socReport(evA, "bugahyeon-ess", soc: 0.4, start: t0))
        #expect(foreign.status == 403)
        #expect(c.problem(foreign)?.detail.contains("bugahyeon-ess is not one of this VEN's resources") == true)
        #expect(try await c.call("POST", "/reports", token: s.operatorToken, body: Self.socReport(evA, "cheonyeon-ess", soc: 0.4, start: t0)).status == 403)

        // VENs and resources: each VEN sees only itself and its own resources.
        #expect(try c.decode([Ven].self, try await c.call("GET", "/vens", token: a)).map(\.venName) == ["ven-a"])
        let venB = try #require(try c.decode([Ven].self, try await c.call("GET", "/vens", token: bTok)).first?.id)
        #expect(try await c.call("GET", "/vens/\(venB)", template: "/vens/{venID}", token: a).status == 404)
        let bRes = try c.decode([Resource].self, try await c.call("GET", "/resources", token: bTok))
        #expect(bRes.map(\.resourceName) == ["bugahyeon-ess"])
        let resB = try #require(bRes.first?.id)
        #expect(try await c.call("GET", "/resources/\(resB)", template: "/resources/{resourceID}", token: a).status == 404)
        #expect(try c.decode([Resource].self, try await c.call("GET", "/resources?venID=\(venB)", token: a)).isEmpty)
        #expect(try c.decode([Ven].self, try await c.call("GET", "/vens", token: s.operatorToken)).count == 2)
        // Updates: a VEN may not rename itself nor touch another VEN's resource; the BL may.
        let venA = try #require(try c.decode([Ven].self, try await c.call("GET", "/vens", token: a)).first)
        var renamed = venA; renamed.venName = "ven-a2"
        #expect(try await c.call("PUT", "/vens/\(venA.id ?? "")", template: "/vens/{venID}", token: a, body: renamed).status == 403)
        var resBody = try #require(bRes.first); resBody.attributes = [ValuesMap(type: "MAX_POWER_EXPORT", values: [.number(400)])]
        #expect(try await c.call("PUT", "/resources/\(resB)", template: "/resources/{resourceID}", token: a, body: resBody).status == 404)
        #expect(try await c.call("PUT", "/resources/\(resB)", template: "/resources/{resourceID}", token: s.operatorToken, body: resBody).status == 200)
        // A VEN may not add another VEN's battery as its resource.
        let steal = try await c.call("POST", "/resources", token: a, body: Resource(resourceName: "bugahyeon-ess", venID: venB))
        #expect(steal.status == 403)

        // Writes reserved to the business logic.
        #expect(try await c.call("POST", "/events", token: a, body: Event(programID: "x", intervals: [])).status == 403)
        #expect(try await c.call("DELETE", "/events/\(evA)", template: "/events/{eventID}", token: a).status == 403)
        #expect(try await c.call("DELETE", "/events/\(evB)", template: "/events/{eventID}", token: a).status == 404)
        #expect(try await c.call("DELETE", "/reports/\(repB)", template: "/reports/{reportID}", token: a).status == 404)
        // VEN tokens do not open the rest of the API.
        #expect(try await s.get("/api/v1/dongs", token: a).status == 403)
    }

    @Test func reportsBecomeTelemetryAndBadReportsAreRefusedWithAReason() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let site = try Self.site.get()
        let now = s.store.clock.now()
        let (plan, b) = try Self.plan(start: Slot(containing: now, length: .hour).start - 4 * 3600)
        let pub = try await OpenADRPublisher(storage: s.store.storage).publish(runID: 1, plan: plan, site: site, exportPrice: { b.exportPrice(hour: $0) })
        let a = try await Self.venToken(s, "ven-a", ["cheonyeon-ess"])
        let ev = try #require(pub.batteryEvents["cheonyeon-ess"])
        let cap = try #require(site.batteries.first { $0.battery.id == "cheonyeon-ess" }?.battery.capacityKWh)
        let t0 = now - 3600
        let ok = try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 0.5, start: t0, demandKW: 12.5))
        #expect(ok.status == 201)
        #expect(try c.decode(Report.self, ok).clientID != nil)
        // The report went through the telemetry ingest path: one upload of kind telemetry from this VEN.
        let sample = try #require(try await s.store.latestTelemetry(at: now, notBefore: nil)["cheonyeon-ess"])
        #expect(sample.socWh == Int64((0.5 * cap * 1000).rounded()))
        #expect(sample.measuredAt == t0 + 900)
        #expect(sample.powerW == -12_500)
        let up = try #require(try await s.store.upload(id: sample.uploadID))
        #expect(up.kind == "telemetry" && up.source == "openadr:ven-a" && up.rowsOK == 1)
        // A later, SoC-only reading replaces it as the newest; it measures no flow (power nil).
        #expect(try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 0.25, start: t0 + 900)).status == 201)
        let soc2 = try #require(try await s.store.latestTelemetry(at: now, notBefore: nil)["cheonyeon-ess"])
        #expect(soc2.socWh == Int64((0.25 * cap * 1000).rounded()) && soc2.powerW == nil)
        // A reading older than the newest stored one (and at no stored instant) is refused by the
        // telemetry checks: 400 naming why, the row kept as a reject of its upload.
        let late = try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 0.3, start: t0 - 1800))
        #expect(late.status == 400)
        #expect(c.problem(late)?.detail.contains("out of order") == true)
        let lateUpload = try #require(try await s.store.uploads().first { $0.source == "openadr:ven-a" && $0.rowsRejected == 1 })
        #expect(try await s.store.rejectedRows(uploadID: lateUpload.id).first?.reason.contains("older than the newest stored sample") == true)
        #expect(try await s.store.latestTelemetry(at: now, notBefore: nil)["cheonyeon-ess"]?.measuredAt == t0 + 1800)
        // STORAGE_CHARGE_LEVEL is a fraction of capacity: a kWh figure is refused, not guessed at.
        let kwh = try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 0.4, units: "KWH", start: t0))
        #expect(kwh.status == 400)
        #expect(c.problem(kwh)?.detail.contains("in KWH cannot be converted") == true)

        let volts = try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 230, units: "VOLTS", start: t0))
        #expect(volts.status == 400)
        #expect(c.problem(volts)?.detail.contains("in VOLTS cannot be converted") == true)
        let future = try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 0.5, start: now + 600))
        #expect(future.status == 400)
        #expect(c.problem(future)?.detail.contains("in the future") == true)
        let over = try await c.call("POST", "/reports", token: a, body: Self.socReport(ev, "cheonyeon-ess", soc: 1.5, start: t0))
        #expect(over.status == 400)
        #expect(c.problem(over)?.detail.contains("outside 0…1") == true)
        // Refused reports stored nothing.
        #expect(try c.decode([Report].self, try await c.call("GET", "/reports", token: a)).count == 2)
    }

    @Test func deadWebhookNeverBlocksPublishingAndRetriesAreBounded() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let site = try Self.site.get()
        let a = try await Self.venToken(s, "ven-a", ["cheonyeon-ess"])
        // A callback that accepts connections (the kernel's backlog) and never answers: every try
        // runs into its timeout, so each delivery takes at least 3 tries × 5 s.
        let silent = try CallbackReceiver(expecting: 0)
        let sub = try await c.call("POST", "/subscriptions", token: a, body: Subscription(clientName: "ven-a", objectOperations: [
            ObjectOperation(objects: [.event], operations: [.create, .update], callbackUrl: "http://127.0.0.1:\(silent.port)/callback", bearerToken: "x"),
        ]))
        #expect(sub.status == 201)
        var settings = WebhookNotifier.Settings()
        settings.timeoutS = 5; settings.backoffS = 0.05
        let notifier = WebhookNotifier(settings: settings)
        let (plan, b) = try Self.plan(start: Slot(containing: s.store.clock.now(), length: .hour).start)
        _ = try await OpenADRPublisher(storage: s.store.storage, notifier: notifier).publish(runID: 1, plan: plan, site: site,
                                                                                           exportPrice: { b.exportPrice(hour: $0) })
        // Publishing returned while both deliveries were still trying (no timing: a publish that
        // waited for its callbacks would find them finished).
        #expect(notifier.finishedCount == 0 && notifier.inFlight == 2)
        let deliveries = await notifier.drain(timeoutS: 60)
        // Only the VEN's two events (its battery's and its dong's price) match its subscription.
        #expect(deliveries.count == 2)
        #expect(deliveries.allSatisfy { !$0.ok && $0.tries == 3 })
        withExtendedLifetime(silent) {}
        let bad = try await c.call("POST", "/subscriptions", token: a, body: Subscription(clientName: "ven-a", objectOperations: [
            ObjectOperation(objects: [.event], operations: [.create], callbackUrl: "ftp://x"),
        ]))
        #expect(bad.status == 400)
    }

    /// A live callback receives the notification of each event (its body is a `notification`
    /// per the specification) with the subscription's bearer token.
    @Test func webhookDeliversNotificationsToALiveCallback() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let receiver = try CallbackReceiver(expecting: 2)
        let a = try await Self.venToken(s, "ven-a", ["cheonyeon-ess"])
        #expect(try await c.call("POST", "/subscriptions", token: a, body: Subscription(clientName: "ven-a", objectOperations: [
            ObjectOperation(objects: [.event], operations: [.create], callbackUrl: "http://127.0.0.1:\(receiver.port)/cb", bearerToken: "cb-secret"),
        ])).status == 201)
        let notifier = WebhookNotifier()
        let (plan, b) = try Self.plan(start: Slot(containing: s.store.clock.now(), length: .hour).start)
        _ = try await OpenADRPublisher(storage: s.store.storage, notifier: notifier).publish(runID: 1, plan: plan, site: try Self.site.get(),
                                                                                           exportPrice: { b.exportPrice(hour: $0) })
        let deliveries = await notifier.drain(timeoutS: 10)
        #expect(deliveries.count == 2 && deliveries.allSatisfy { $0.ok && $0.tries == 1 })
        let got = receiver.requests()
        #expect(got.count == 2)
        for r in got {
            #expect(r.head.lowercased().contains("authorization: bearer cb-secret"))
            var errors: [String] = []
            c.schema.check(try JSONDecoder().decode(OpenADRSchema.J.self, from: Data(r.body)), ["$ref": "#/components/schemas/notification"], "$", &errors)
            #expect(errors.isEmpty, "\(errors)")
            let n = try JSONDecoder().decode(Notification<Event>.self, from: Data(r.body))
            #expect(n.operation == .create && n.objectType == .event && n.object.targets?.contains("cheonyeon-ess") == true)
        }
    }

    @Test func clientCredentialsTokenEndpoint() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let (info, token) = try await s.store.createToken(role: .ven, office: "ven-a", complexes: ["cheonyeon-ess"])
        let server = try await c.call("GET", "/auth/server", token: nil)
        #expect(try c.decode(AuthServerInfo.self, server).tokenURL.hasSuffix("/openadr3/3.1.0/auth/token"))
        func form(_ id: String, _ secret: String) async throws -> HTTPReply {
            let body = "grant_type=client_credentials&client_id=\(id)&client_secret=\(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: HTTPServer.openADRBase + "/auth/token",
                                                 headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
            try c.schema.validate(path: "/auth/token", method: "POST", status: r.status, body: r.body)
            return r
        }
        let ok = try await form(info.keyID, token)
        #expect(ok.status == 200)
        #expect(try c.decode(ClientCredentialResponse.self, ok).access_token == token)
        #expect(try await form("0000000000000000", token).status == 401)
    }
}

/// A loopback HTTP server that answers 200 to `expecting` requests and keeps them (webhook tests).
final class CallbackReceiver: @unchecked Sendable {
    struct Received { var head: String; var body: [UInt8] }
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var got: [Received] = []

    init(expecting n: Int) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw POSIXErr(what: "socket") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) == 0 && listen(sock, 16) == 0 && getsockname(sock, $0, &len) == 0 }
        }
        guard ok else { close(sock); throw POSIXErr(what: "bind/listen") }
        fd = sock
        port = Int(UInt16(bigEndian: addr.sin_port))
        let fd = sock
        Thread.detachNewThread { [self] in
            for _ in 0..<n {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                var data: [UInt8] = []
                var buf = [UInt8](repeating: 0, count: 65536)
                var tv = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                // Reads the head, then Content-Length bytes of body.
                while true {
                    let k = recv(c, &buf, buf.count, 0)
                    if k <= 0 { break }
                    data.append(contentsOf: buf[0..<k])
                    if let end = MultipartFormFind.find([13, 10, 13, 10], in: data) {
                        let head = String(decoding: data[0..<end], as: UTF8.self)
                        let cl = head.lowercased().components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                        if data.count >= end + 4 + cl {
                            self.lock.lock(); self.got.append(Received(head: head, body: Array(data[(end + 4)..<(end + 4 + cl)]))); self.lock.unlock()
                            break
                        }
                    }
                }
                let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
                _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(c)
            }
        }
    }

    deinit { close(fd) }

    func requests() -> [Received] { lock.lock(); defer { lock.unlock() }; return got }
}
