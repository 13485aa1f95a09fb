import Dispatcher
import Foundation
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
    func call(_ method: String, _ path: String, template: String? = nil, token: String?, json: Any? = nil) async throws -> HTTPReply {
        var h: [(String, String)] = []
        if let token { h.append(("Authorization", "Bearer \(token)")) }
        var body: [UInt8] = []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            h.append(("Content-Type", "application/json"))
        }
        let r = try await LoopbackHTTP.async(port: server.port, method: method, path: HTTPServer.openADRBase + path, headers: h, body: body)
        let t = template ?? String(path.split(separator: "?")[0])
        try schema.validate(path: t, method: method, status: r.status, body: r.body)
        return r
    }

    func array(_ r: HTTPReply) -> [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]]) ?? [] }
    func object(_ r: HTTPReply) -> [String: Any] { r.json ?? [:] }
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

    @Test func programsPaginationConflictsAndProblems() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let ven = try await Self.venToken(s, "ven-cheonyeon", ["cheonyeon-ess"])
        for i in 0..<3 {
            let r = try await c.call("POST", "/programs", token: s.operatorToken, json: ["programName": "p\(i)", "targets": i == 2 ? ["cheonyeon-ess"] : []])
            #expect(r.status == 201)
            #expect(c.object(r)["objectType"] as? String == "PROGRAM")
        }
        let dup = try await c.call("POST", "/programs", token: s.operatorToken, json: ["programName": "p0"])
        #expect(dup.status == 409)
        #expect(c.object(dup)["status"] as? Int == 409)
        let page = try await c.call("GET", "/programs?skip=1&limit=1", token: s.operatorToken)
        #expect(c.array(page).map { $0["programName"] as? String } == ["p1"])
        let tooMany = try await c.call("GET", "/programs?limit=51", token: s.operatorToken)
        #expect(tooMany.status == 400)
        #expect((c.object(tooMany)["detail"] as? String)?.contains("limit") == true)
        let noToken = try await c.call("GET", "/programs", token: nil)
        #expect(noToken.status == 401)
        #expect(c.object(noToken)["title"] as? String == "Unauthorized")
        // A VEN sees untargeted programs and those targeted to it; it may not create one.
        let venList = try await c.call("GET", "/programs", token: ven)
        #expect(c.array(venList).count == 3)
        let venPost = try await c.call("POST", "/programs", token: ven, json: ["programName": "mine"])
        #expect(venPost.status == 403)
        let office = try await c.call("GET", "/programs", token: s.officeToken)
        #expect(office.status == 403)
        let bad = try await c.call("POST", "/programs", token: s.operatorToken, json: ["targets": []])
        #expect(bad.status == 400)
        #expect((c.object(bad)["detail"] as? String)?.contains("programName") == true)
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
        var all: [[String: Any]] = []
        for skip in stride(from: 0, to: 100, by: 50) {
            all += c.array(try await c.call("GET", "/events?skip=\(skip)&limit=50", token: s.operatorToken))
        }
        #expect(all.count == 28)
        let mine = try #require(all.first { ($0["targets"] as? [String]) == ["cheonyeon-ess"] })
        #expect((mine["eventName"] as? String)?.hasSuffix("run 2") == true)
        let intervals = try #require(mine["intervals"] as? [[String: Any]])
        #expect(intervals.count == 4)
        let bt = try #require(plan.batteries.first { $0.id == "cheonyeon-ess" })
        for (t, iv) in intervals.enumerated() {
            let payloads = try #require(iv["payloads"] as? [[String: Any]])
            let imp = (payloads.first { $0["type"] as? String == "IMPORT_CAPACITY_LIMIT" }?["values"] as? [Double])?.first
            let exp = (payloads.first { $0["type"] as? String == "EXPORT_CAPACITY_LIMIT" }?["values"] as? [Double])?.first
            #expect(abs((imp ?? -1) - bt.chargeKW[t]) < 0.001)
            #expect(abs((exp ?? -1) - bt.dischargeKW[t]) < 0.001)
        }
        let stored = try #require(try await s.store.openADRObject(kind: .event, id: mine["id"] as? String ?? ""))
        #expect(stored.modificationNumber == 1)
        // The price event of the dong carries the TOU import price and the export value per slot.
        let price = try #require(all.first { ($0["eventName"] as? String)?.hasPrefix("price seodaemun-1141") == true && ($0["targets"] as? [String]) == ["cheonyeon-ess"] })
        let p0 = try #require((price["intervals"] as? [[String: Any]])?.first?["payloads"] as? [[String: Any]])
        let tariff = try #require(site.tariff(at: start)?.rate(at: start)?.rateKRWPerKWh)
        #expect((p0.first { $0["type"] as? String == "PRICE" }?["values"] as? [Double])?.first == tariff)
        #expect((p0.first { $0["type"] as? String == "EXPORT_PRICE" }?["values"] as? [Double])?.first == b.exportPrice(hour: start))
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

        let aEvents = c.array(try await c.call("GET", "/events", token: a))
        #expect(aEvents.count == 2)   // its battery's dispatch event and its dong's price event
        #expect(aEvents.allSatisfy { ($0["targets"] as? [String])?.contains("cheonyeon-ess") == true })
        #expect(try await c.call("GET", "/events/\(evA)", template: "/events/{eventID}", token: a).status == 200)
        #expect(try await c.call("GET", "/events/\(evB)", template: "/events/{eventID}", token: a).status == 404)
        // Asking for another VEN's targets yields nothing.
        #expect(c.array(try await c.call("GET", "/events?targets=bugahyeon-ess", token: a)).isEmpty)

        // Reports: B reports on its event; A cannot read it, nor report on B's event or resource.
        let start = plan.startEpoch
        func report(_ event: String, _ resource: String, soc: Double, units: String = "PERCENT", startS: Int64) -> [String: Any] {
            ["eventID": event, "clientName": "client", "payloadDescriptors": [["objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "STORAGE_CHARGE_LEVEL", "units": units]],
             "resources": [["resourceName": resource, "intervals": [["id": 0, "intervalPeriod": ["start": OADRTime.format(epochS: startS), "duration": "PT15M"],
                                                                     "payloads": [["type": "STORAGE_CHARGE_LEVEL", "values": [soc]]]]]]]]
        }
        let rB = try await c.call("POST", "/reports", token: bTok, json: report(evB, "bugahyeon-ess", soc: 0.4, startS: start))
        #expect(rB.status == 201)
        let repB = try #require(c.object(rB)["id"] as? String)
        #expect(try await c.call("GET", "/reports/\(repB)", template: "/reports/{reportID}", token: a).status == 404)
        #expect(c.array(try await c.call("GET", "/reports", token: a)).isEmpty)
        #expect(c.array(try await c.call("GET", "/reports", token: s.operatorToken)).count == 1)
        #expect(try await c.call("POST", "/reports", token: a, json: report(evB, "cheonyeon-ess", soc: 0.4, startS: start)).status == 409)
        let foreign = try await c.call("POST", "/reports", token: a, json: report(evA, "bugahyeon-ess", soc: 0.4, startS: start))
        #expect(foreign.status == 403)
        #expect((c.object(foreign)["detail"] as? String)?.contains("bugahyeon-ess is not one of this VEN's resources") == true)
        #expect(try await c.call("POST", "/reports", token: s.operatorToken, json: report(evA, "cheonyeon-ess", soc: 0.4, startS: start)).status == 403)

        // VENs and resources: each VEN sees only itself and its own resources.
        let aVens = c.array(try await c.call("GET", "/vens", token: a))
        #expect(aVens.map { $0["venName"] as? String } == ["ven-a"])
        let bVens = c.array(try await c.call("GET", "/vens", token: bTok))
        let venB = try #require(bVens.first?["id"] as? String)
        #expect(try await c.call("GET", "/vens/\(venB)", template: "/vens/{venID}", token: a).status == 404)
        let bRes = c.array(try await c.call("GET", "/resources", token: bTok))
        #expect(bRes.map { $0["resourceName"] as? String } == ["bugahyeon-ess"])
        let resB = try #require(bRes.first?["id"] as? String)
        #expect(try await c.call("GET", "/resources/\(resB)", template: "/resources/{resourceID}", token: a).status == 404)
        #expect(c.array(try await c.call("GET", "/resources?venID=\(venB)", token: a)).isEmpty)
        #expect(c.array(try await c.call("GET", "/vens", token: s.operatorToken)).count == 2)

        // Writes reserved to the business logic.
        #expect(try await c.call("POST", "/events", token: a, json: ["programID": "x", "intervals": []]).status == 403)
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
        func report(_ soc: Double, units: String, start: Int64, demandKW: Double? = nil) -> [String: Any] {
            var payloads: [[String: Any]] = [["type": "STORAGE_CHARGE_LEVEL", "values": [soc]]]
            var descriptors: [[String: Any]] = [["objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "STORAGE_CHARGE_LEVEL", "units": units]]
            if let demandKW {
                payloads.append(["type": "DEMAND", "values": [demandKW]])
                descriptors.append(["objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "DEMAND", "units": "KW", "readingType": "MEAN"])
            }
            return ["eventID": ev, "clientName": "ven-a", "payloadDescriptors": descriptors,
                    "resources": [["resourceName": "cheonyeon-ess", "intervals": [["id": 0, "intervalPeriod": ["start": OADRTime.format(epochS: start), "duration": "PT15M"],
                                                                                    "payloads": payloads]]]]]
        }
        let t0 = now - 3600
        let ok = try await c.call("POST", "/reports", token: a, json: report(0.5, units: "PERCENT", start: t0, demandKW: 12.5))
        #expect(ok.status == 201)
        #expect(c.object(ok)["clientID"] as? String != nil)
        let latest = try await s.store.latestVENTelemetry(at: now)
        let sample = try #require(latest["cheonyeon-ess"])
        #expect(sample.socWh == Int64((0.5 * cap * 1000).rounded()))
        #expect(sample.measuredAt == t0 + 900)
        #expect(sample.powerW == -12_500)
        // kWh is converted too.
        #expect(try await c.call("POST", "/reports", token: a, json: report(cap / 4, units: "KWH", start: t0 + 900)).status == 201)
        #expect(try await s.store.latestVENTelemetry(at: now)["cheonyeon-ess"]?.socWh == Int64((cap / 4 * 1000).rounded()))

        let volts = try await c.call("POST", "/reports", token: a, json: report(230, units: "VOLTS", start: t0))
        #expect(volts.status == 400)
        #expect((c.object(volts)["detail"] as? String)?.contains("in VOLTS cannot be converted") == true)
        let future = try await c.call("POST", "/reports", token: a, json: report(0.5, units: "PERCENT", start: now + 600))
        #expect(future.status == 400)
        #expect((c.object(future)["detail"] as? String)?.contains("in the future") == true)
        let over = try await c.call("POST", "/reports", token: a, json: report(1.5, units: "PERCENT", start: t0))
        #expect(over.status == 400)
        #expect((c.object(over)["detail"] as? String)?.contains("outside 0…1") == true)
        // Refused reports stored nothing.
        #expect(c.array(try await c.call("GET", "/reports", token: a)).count == 2)
    }

    @Test func deadWebhookNeverBlocksPublishingAndRetriesAreBounded() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let site = try Self.site.get()
        let a = try await Self.venToken(s, "ven-a", ["cheonyeon-ess"])
        // Port 9 on loopback: nothing listens (connection refused at once).
        let sub = try await c.call("POST", "/subscriptions", token: a, json: [
            "clientName": "ven-a",
            "objectOperations": [["objects": ["EVENT"], "operations": ["CREATE", "UPDATE"], "callbackUrl": "http://127.0.0.1:9/callback", "bearerToken": "x"]],
        ])
        #expect(sub.status == 201)
        var settings = WebhookNotifier.Settings()
        settings.timeoutS = 0.5; settings.backoffS = 0.05
        let notifier = WebhookNotifier(settings: settings)
        let (plan, b) = try Self.plan(start: Slot(containing: s.store.clock.now(), length: .hour).start)
        let t = Date()
        _ = try await OpenADRPublisher(storage: s.store.storage, notifier: notifier).publish(runID: 1, plan: plan, site: site,
                                                                                           exportPrice: { b.exportPrice(hour: $0) })
        let publishS = Date().timeIntervalSince(t)
        #expect(publishS < 2, "publishing waited \(publishS) s for callbacks")
        let deliveries = await notifier.drain(timeoutS: 10)
        // Only the VEN's two events (its battery and its dong's price) match its subscription.
        #expect(deliveries.count == 2)
        #expect(deliveries.allSatisfy { !$0.ok && $0.tries == 3 })
        // A subscription with a bad callback URL is refused.
        let bad = try await c.call("POST", "/subscriptions", token: a, json: [
            "clientName": "ven-a", "objectOperations": [["objects": ["EVENT"], "operations": ["CREATE"], "callbackUrl": "ftp://x"]],
        ])
        #expect(bad.status == 400)
    }

    @Test func clientCredentialsTokenEndpoint() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let c = try VTNClient(s)
        let (info, token) = try await s.store.createToken(role: .ven, office: "ven-a", complexes: ["cheonyeon-ess"])
        let server = try await c.call("GET", "/auth/server", token: nil)
        #expect((c.object(server)["tokenURL"] as? String)?.hasSuffix("/openadr3/3.1.0/auth/token") == true)
        func form(_ id: String, _ secret: String) async throws -> HTTPReply {
            let body = "grant_type=client_credentials&client_id=\(id)&client_secret=\(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            let r = try await LoopbackHTTP.async(port: s.port, method: "POST", path: HTTPServer.openADRBase + "/auth/token",
                                                 headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
            try c.schema.validate(path: "/auth/token", method: "POST", status: r.status, body: r.body)
            return r
        }
        let ok = try await form(info.keyID, token)
        #expect(ok.status == 200)
        #expect(ok.json?["access_token"] as? String == token)
        #expect(try await form("0000000000000000", token).status == 401)
    }
}
