import Foundation
import VPPCore
import VPPStore
import VPPAuth

/// The OpenADR 3.1.0 VTN's operations, independent of HTTP: the routes parse, call these with
/// the authenticated principal, and answer with the typed result or the thrown `Problem`.
///
/// Roles (issue 13): an `operator` token is the business logic (BL: programs, events, VENs,
/// resources, all reads); a `ven` token is one VEN whose targets are its name and its resources
/// (battery ids). A VEN reads programs targeted to it or to no one, events targeted to it, and
/// only its own VEN, resources, reports and subscriptions; it writes only its own reports,
/// subscriptions and resources. Other objects are 404 to it (their existence is not revealed);
/// a write outside its scope is 403. Office and battery tokens get 403.
public struct VTN: Sendable {
    public let storage: Storage
    public let store: any OpenADRStore
    public let notifier: WebhookNotifier

    public init(storage: Storage, notifier: WebhookNotifier = WebhookNotifier()) throws {
        self.storage = storage
        self.store = try storage.openADR()
        self.notifier = notifier
    }

    /// Largest `limit` the specification allows.
    public static let maxLimit = 50

    public enum Caller: Sendable {
        case businessLogic(Principal)
        case ven(VENScope)
    }

    /// What a VEN token may see.
    public struct VENScope: Sendable {
        public var principal: Principal
        public var venID: String
        public var venName: String
        public var resources: [String]
        /// Its name and resources.
        public var targets: [String] { [venName] + resources }
    }

    // MARK: - Caller

    /// The caller of a request; a VEN seen for the first time is registered with its resources
    /// (`clientID` = the token's key id).
    public func caller(_ p: Principal) async throws -> Caller {
        switch p.role {
        case .operator: return .businessLogic(p)
        case .ven:
            guard let name = p.office else { throw Problem.forbidden("this VEN token names no VEN") }
            let now = storage.clock.now()
            if let v = try await store.openADRObjects(OpenADRQuery(kind: .ven, name: name, limit: 1)).first {
                return .ven(VENScope(principal: p, venID: v.id, venName: name, resources: p.complexes))
            }
            let venID = Self.newID("ven")
            var ven = Ven(venName: name, clientID: p.keyID, targets: [name])
            stamp(&ven.id, &ven.createdDateTime, &ven.modificationDateTime, id: venID, created: now, modified: now)
            ven.objectType = "VEN"
            do {
                try await store.insertOpenADR(OpenADRObjectRecord(id: venID, kind: .ven, clientID: p.keyID, name: name, targets: [name],
                                                                  body: try Self.encode(ven), createdAt: now, modifiedAt: now))
            } catch let e as OpenADRStoreError where e.reason == .conflict {
                // Registered by a concurrent request of the same VEN.
                guard let v = try await store.openADRObjects(OpenADRQuery(kind: .ven, name: name, limit: 1)).first else { throw e }
                return .ven(VENScope(principal: p, venID: v.id, venName: name, resources: p.complexes))
            }
            for r in p.complexes {
                let rid = Self.newID("res")
                var res = Resource(resourceName: r, venID: venID, clientID: p.keyID, targets: [r])
                stamp(&res.id, &res.createdDateTime, &res.modificationDateTime, id: rid, created: now, modified: now)
                res.objectType = "RESOURCE"
                try await store.insertOpenADR(OpenADRObjectRecord(id: rid, kind: .resource, venID: venID, clientID: p.keyID,
                                                                  name: "\(venID)/\(r)", targets: [r], body: try Self.encode(res),
                                                                  createdAt: now, modifiedAt: now))
            }
            return .ven(VENScope(principal: p, venID: venID, venName: name, resources: p.complexes))
        default:   // office tokens (and issue 12's battery tokens)
            throw Problem.forbidden("an \(p.role.rawValue) token may not use the OpenADR API; use an operator (business logic) or ven token")
        }
    }

    // MARK: - Generic reads

    /// Pagination of a list request: `skip` ≥ 0, `limit` 0…50 (default 50).
    public struct Page: Sendable {
        public var skip = 0
        public var limit = VTN.maxLimit
        public init(skip: Int = 0, limit: Int = VTN.maxLimit) { self.skip = skip; self.limit = limit }
    }

    func list<T: Decodable>(_ q: OpenADRQuery, as: T.Type) async throws -> [T] {
        if q.limit == 0 { return [] }
        return try await store.openADRObjects(q).map { try Self.decode(T.self, $0.body) }
    }

    // MARK: - Programs

    public func programs(_ c: Caller, targets: [String]?, name: String? = nil, page: Page) async throws -> [Program] {
        var q = OpenADRQuery(kind: .program, name: name, skip: page.skip, limit: page.limit)
        switch c {
        case .businessLogic: q.targetsAny = targets
        case .ven(let v):
            q.targetsAny = targets.map { Array(Set($0).intersection(v.targets)) } ?? v.targets
            q.untargetedToo = targets == nil
        }
        return try await list(q, as: Program.self)
    }

    public func program(_ c: Caller, id: String) async throws -> Program {
        guard let r = try await store.openADRObject(kind: .program, id: id), visible(r, to: c, untargetedToo: true) else {
            throw Problem.notFound("program \(id)")
        }
        return try Self.decode(Program.self, r.body)
    }

    public func createProgram(_ c: Caller, _ req: Program) async throws -> Program {
        try requireBL(c, "create programs")
        try Self.checkName(req.programName, "programName")
        let now = storage.clock.now()
        var p = req
        stamp(&p.id, &p.createdDateTime, &p.modificationDateTime, id: Self.newID("prog"), created: now, modified: now)
        p.objectType = .program
        try await insert(OpenADRObjectRecord(id: p.id ?? "", kind: .program, name: p.programName, targets: p.targets ?? [],
                                             body: try Self.encode(p), createdAt: now, modifiedAt: now))
        return p
    }

    public func updateProgram(_ c: Caller, id: String, _ req: Program) async throws -> Program {
        try requireBL(c, "update programs")
        try Self.checkName(req.programName, "programName")
        guard let old = try await store.openADRObject(kind: .program, id: id) else { throw Problem.notFound("program \(id)") }
        let now = storage.clock.now()
        var p = req
        stamp(&p.id, &p.createdDateTime, &p.modificationDateTime, id: id, created: old.createdAt, modified: now)
        p.objectType = .program
        _ = try await update(OpenADRObjectRecord(id: id, kind: .program, name: p.programName, targets: p.targets ?? [],
                                                 body: try Self.encode(p), createdAt: old.createdAt, modifiedAt: now))
        return p
    }

    // MARK: - Events

    public func events(_ c: Caller, programID: String?, targets: [String]?, page: Page) async throws -> [Event] {
        try await list(eventsQuery(c, programID: programID, targets: targets, page: page), as: Event.self)
    }

    /// `events` as the JSON array of the stored bodies (the hot path of VENs polling: no decode
    /// and re-encode).
    /// `active`: leave out events whose last interval has ended (pagination then applies to
    /// what is left).
    public func eventsJSON(_ c: Caller, programID: String?, targets: [String]?, active: Bool = false, page: Page) async throws -> Data {
        var q = eventsQuery(c, programID: programID, targets: targets, page: page)
        if q.limit == 0 { return Self.jsonArray([]) }
        guard active else { return Self.jsonArray(try await store.openADRObjects(q).map(\.body)) }
        q.skip = 0; q.limit = Int.max / 2
        let now = storage.clock.now()
        let live = try await store.openADRObjects(q).filter { r in
            guard let e = try? Self.decode(Event.self, r.body), let end = Self.end(of: e) else { return true }
            return end > now
        }
        return Self.jsonArray(live.dropFirst(page.skip).prefix(page.limit).map(\.body))
    }

    /// When an event's last interval ends [UTC epoch s]; nil when its intervals carry no times.
    static func end(of e: Event) -> Int64? {
        var start = e.intervalPeriod?.start.flatMap(OADRTime.parse)
        let defaultS = e.intervalPeriod?.duration.flatMap(OADRTime.seconds(ofDuration:))
        var end: Int64?
        for iv in e.intervals {
            if let s = iv.intervalPeriod?.start.flatMap(OADRTime.parse) { start = s }
            guard let s = start, let d = iv.intervalPeriod?.duration.flatMap(OADRTime.seconds(ofDuration:)) ?? defaultS else { continue }
            end = max(end ?? s + d, s + d)
            start = s + d   // intervals without their own start follow on
        }
        return end
    }

    func eventsQuery(_ c: Caller, programID: String?, targets: [String]?, page: Page) -> OpenADRQuery {
        var q = OpenADRQuery(kind: .event, programID: programID, skip: page.skip, limit: page.limit)
        switch c {
        case .businessLogic: q.targetsAny = targets
        case .ven(let v): q.targetsAny = targets.map { Array(Set($0).intersection(v.targets)) } ?? v.targets
        }
        return q
    }

    static func jsonArray(_ bodies: [Data]) -> Data {
        var out = Data("[".utf8)
        for (i, b) in bodies.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(b)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public func event(_ c: Caller, id: String) async throws -> Event {
        guard let r = try await store.openADRObject(kind: .event, id: id), visible(r, to: c, untargetedToo: false) else {
            throw Problem.notFound("event \(id)")
        }
        return try Self.decode(Event.self, r.body)
    }

    public func createEvent(_ c: Caller, _ req: Event) async throws -> Event {
        try requireBL(c, "create events")
        try await checkEvent(req)
        let now = storage.clock.now()
        var e = req
        stamp(&e.id, &e.createdDateTime, &e.modificationDateTime, id: Self.newID("evt"), created: now, modified: now)
        e.objectType = .event
        let r = OpenADRObjectRecord(id: e.id ?? "", kind: .event, programID: e.programID, targets: e.targets ?? [],
                                    body: try Self.encode(e), createdAt: now, modifiedAt: now)
        try await insert(r)
        await notifier.notify(store: store, kind: .event, operation: .create, record: r)
        return e
    }

    public func updateEvent(_ c: Caller, id: String, _ req: Event) async throws -> Event {
        try requireBL(c, "update events")
        try await checkEvent(req)
        guard let old = try await store.openADRObject(kind: .event, id: id) else { throw Problem.notFound("event \(id)") }
        let now = storage.clock.now()
        var e = req
        stamp(&e.id, &e.createdDateTime, &e.modificationDateTime, id: id, created: old.createdAt, modified: now)
        e.objectType = .event
        let r = try await update(OpenADRObjectRecord(id: id, kind: .event, programID: e.programID, targets: e.targets ?? [],
                                                     body: try Self.encode(e), createdAt: old.createdAt, modifiedAt: now))
        await notifier.notify(store: store, kind: .event, operation: .update, record: r)
        return e
    }

    func checkEvent(_ e: Event) async throws {
        guard try await store.openADRObject(kind: .program, id: e.programID) != nil else {
            throw Problem.conflict("programID \(e.programID) names no program")
        }
        if let p = e.priority, p < 0 { throw Problem.badRequest("priority must be ≥ 0") }
        for iv in e.intervals {
            if let d = iv.intervalPeriod?.duration, OADRTime.seconds(ofDuration: d) == nil {
                throw Problem.badRequest("interval \(iv.id): duration '\(d)' is not an ISO 8601 duration")
            }
            if let s = iv.intervalPeriod?.start, OADRTime.parse(s) == nil {
                throw Problem.badRequest("interval \(iv.id): start '\(s)' is not an RFC 3339 date-time with an offset")
            }
        }
    }

    // MARK: - Reports

    public func reports(_ c: Caller, programID: String?, eventID: String?, clientName: String?, page: Page) async throws -> [Report] {
        var q = OpenADRQuery(kind: .report, programID: programID, name: nil, skip: page.skip, limit: page.limit)
        if case .ven(let v) = c { q.venID = v.venID }
        var out = try await list(OpenADRQuery(kind: .report, programID: q.programID, venID: q.venID, skip: 0, limit: Int.max / 2),
                                 as: Report.self)
        if let eventID { out = out.filter { $0.eventID == eventID } }
        if let clientName { out = out.filter { $0.clientName == clientName } }
        return Array(out.dropFirst(page.skip).prefix(page.limit))
    }

    public func report(_ c: Caller, id: String) async throws -> Report {
        guard let r = try await store.openADRObject(kind: .report, id: id), owned(r, by: c) else { throw Problem.notFound("report \(id)") }
        return try Self.decode(Report.self, r.body)
    }

    /// A VEN's report: checked (its resources, units vpp converts, no interval in the future),
    /// stored, and its SoC readings appended as battery telemetry.
    public func createReport(_ c: Caller, _ req: Report) async throws -> Report {
        guard case .ven(let v) = c else { throw Problem.forbidden("reports are written by VENs (write_reports); use a ven token") }
        let now = storage.clock.now()
        let id = Self.newID("rep")
        let (rep, samples) = try await checkedReport(v, req, id: id, created: now, now: now)
        try await appendTelemetry(samples, v, reportID: id, now: now)
        try await insert(OpenADRObjectRecord(id: id, kind: .report, programID: rep.programID, venID: v.venID, clientID: v.principal.keyID,
                                             body: try Self.encode(rep), createdAt: now, modifiedAt: now))
        return rep
    }

    public func updateReport(_ c: Caller, id: String, _ req: Report) async throws -> Report {
        guard case .ven(let v) = c else { throw Problem.forbidden("reports are written by VENs (write_reports); use a ven token") }
        guard let old = try await store.openADRObject(kind: .report, id: id), owned(old, by: c) else { throw Problem.notFound("report \(id)") }
        let now = storage.clock.now()
        let (rep, samples) = try await checkedReport(v, req, id: id, created: old.createdAt, now: now)
        try await appendTelemetry(samples, v, reportID: id, now: now)
        _ = try await update(OpenADRObjectRecord(id: id, kind: .report, programID: rep.programID, venID: v.venID, clientID: v.principal.keyID,
                                                 body: try Self.encode(rep), createdAt: old.createdAt, modifiedAt: now))
        return rep
    }

    /// A report's readings go into battery telemetry through the same store path as `vpp ingest
    /// --kind telemetry` (one upload record of source `openadr:<ven>`, every sample checked
    /// against the battery: SoC within capacity, power within its limits, not older than what is
    /// stored). A sample the checks refuse is kept as a rejected row of that upload and the report
    /// is refused with the reasons (400) and not stored as an object, so the VEN learns of it; the
    /// readings that passed stay stored as telemetry (a corrected report re-sent for the same
    /// instants replaces them). A report re-sent unchanged is a duplicate upload and stores nothing twice.
    func appendTelemetry(_ samples: [TelemetrySample], _ v: VENScope, reportID: String, now: Int64) async throws {
        guard !samples.isEmpty else { return }
        let text = TelemetryCSV.csv(samples)
        let r = try await storage.uploads.appendTelemetry(samples, source: "openadr:\(v.venName)", directory: try await storage.sites.assetDirectory(),
                                                          receivedAt: now, sha256: sha256Hex(Data(text.utf8)))
        if r.rejected > 0 {
            let reasons = r.rejects.prefix(5).map { "line \($0.line): \($0.reason)" }.joined(separator: "; ")
            throw Problem.badRequest("report \(reportID): \(r.rejected) of \(samples.count) readings refused as battery telemetry (upload \(r.uploadID.map(String.init) ?? "-")): \(reasons)")
        }
    }

    func checkedReport(_ v: VENScope, _ req: Report, id: String, created: Int64, now: Int64) async throws -> (Report, [TelemetrySample]) {
        try Self.checkName(req.clientName, "clientName")
        guard let evt = try await store.openADRObject(kind: .event, id: req.eventID), visible(evt, to: .ven(v), untargetedToo: false) else {
            // POST /reports documents no 404: a report on an event this VEN cannot see is a foreign-key conflict.
            throw Problem.conflict("eventID \(req.eventID) names no event targeted to this VEN")
        }
        var capacity: [String: Int64] = [:]
        for site in try await storage.allSiteConfigs() {   // every district's batteries (battery ids are unique across sites)
            for b in site.batteries where b.battery.capacityKWh.isFinite && b.battery.capacityKWh >= 0 && b.battery.capacityKWh < 1e9 {
                capacity[b.battery.id] = Int64((b.battery.capacityKWh * 1000).rounded())
            }
        }
        let samples: [TelemetrySample]
        do {
            samples = try ReportTelemetry.samples(req, reportID: id, resources: Set(v.resources), capacityWh: capacity, now: now)
        } catch let r as ReportTelemetry.Refusal {
            throw r.forbidden ? Problem.forbidden(r.detail) : Problem.badRequest(r.detail)
        }
        var rep = req
        stamp(&rep.id, &rep.createdDateTime, &rep.modificationDateTime, id: id, created: created, modified: now)
        rep.objectType = .report
        rep.clientID = v.principal.keyID
        rep.programID = evt.programID
        return (rep, samples)
    }

    // MARK: - VENs and resources

    public func vens(_ c: Caller, targets: [String]?, name: String? = nil, page: Page) async throws -> [Ven] {
        switch c {
        case .businessLogic:
            return try await list(OpenADRQuery(kind: .ven, name: name, targetsAny: targets, skip: page.skip, limit: page.limit), as: Ven.self)
        case .ven(let v):
            guard page.skip == 0, let r = try await store.openADRObject(kind: .ven, id: v.venID) else { return [] }
            return [try Self.decode(Ven.self, r.body)]
        }
    }

    public func ven(_ c: Caller, id: String) async throws -> Ven {
        if case .ven(let v) = c, v.venID != id { throw Problem.notFound("ven \(id)") }
        guard let r = try await store.openADRObject(kind: .ven, id: id) else { throw Problem.notFound("ven \(id)") }
        return try Self.decode(Ven.self, r.body)
    }

    public func createVen(_ c: Caller, _ req: Ven) async throws -> Ven {
        try requireBL(c, "create VENs (a VEN is registered with its first request)")
        try Self.checkName(req.venName, "venName")
        guard let client = req.clientID, !client.isEmpty else { throw Problem.badRequest("clientID is required (BL_VEN_REQUEST)") }
        let now = storage.clock.now()
        var v = req
        stamp(&v.id, &v.createdDateTime, &v.modificationDateTime, id: Self.newID("ven"), created: now, modified: now)
        v.objectType = "VEN"
        do {
            try await store.insertOpenADR(OpenADRObjectRecord(id: v.id ?? "", kind: .ven, clientID: client, name: v.venName,
                                                              targets: v.targets ?? [], body: try Self.encode(v), createdAt: now, modifiedAt: now))
        } catch let e as OpenADRStoreError {
            // POST /vens documents no 409: a taken venName is a bad request.
            throw Problem.badRequest(e.message)
        }
        return v
    }

    /// PUT /vens/{id}: the business logic, or the VEN itself (its name and attributes; its
    /// client id and targets stay what its token gave it).
    public func updateVen(_ c: Caller, id: String, _ req: Ven) async throws -> Ven {
        try Self.checkName(req.venName, "venName")
        guard let old = try await store.openADRObject(kind: .ven, id: id), owned(old, by: c) else { throw Problem.notFound("ven \(id)") }
        let before = try Self.decode(Ven.self, old.body)
        var v = req
        if case .ven = c {
            guard req.venName == before.venName else { throw Problem.forbidden("a VEN's name is its token's; ask the operator for a new token") }
            v.clientID = before.clientID; v.targets = before.targets
        }
        let now = storage.clock.now()
        stamp(&v.id, &v.createdDateTime, &v.modificationDateTime, id: id, created: old.createdAt, modified: now)
        v.objectType = "VEN"
        _ = try await update(OpenADRObjectRecord(id: id, kind: .ven, clientID: v.clientID, name: v.venName, targets: v.targets ?? [],
                                                 body: try Self.encode(v), createdAt: old.createdAt, modifiedAt: now))
        return v
    }

    /// PUT /resources/{id}: the business logic, or the owning VEN (attributes only).
    public func updateResource(_ c: Caller, id: String, _ req: Resource) async throws -> Resource {
        try Self.checkName(req.resourceName, "resourceName")
        guard let old = try await store.openADRObject(kind: .resource, id: id), owned(old, by: c) else { throw Problem.notFound("resource \(id)") }
        let before = try Self.decode(Resource.self, old.body)
        var r = req
        if case .ven = c {
            guard req.resourceName == before.resourceName, req.venID == before.venID else {
                throw Problem.forbidden("a VEN may change only its resource's attributes")
            }
            r.clientID = before.clientID; r.targets = before.targets
        }
        guard try await store.openADRObject(kind: .ven, id: r.venID) != nil else { throw Problem.conflict("venID \(r.venID) names no VEN") }
        let now = storage.clock.now()
        stamp(&r.id, &r.createdDateTime, &r.modificationDateTime, id: id, created: old.createdAt, modified: now)
        r.objectType = "RESOURCE"
        _ = try await update(OpenADRObjectRecord(id: id, kind: .resource, venID: r.venID, clientID: r.clientID, name: "\(r.venID)/\(r.resourceName)",
                                                 targets: r.targets ?? [r.resourceName], body: try Self.encode(r), createdAt: old.createdAt,
                                                 modifiedAt: now))
        return r
    }

    /// PUT /subscriptions/{id}: its owner (or the business logic).
    public func updateSubscription(_ c: Caller, id: String, _ req: Subscription) async throws -> Subscription {
        guard let old = try await store.openADRObject(kind: .subscription, id: id), owned(old, by: c) else {
            throw Problem.notFound("subscription \(id)")
        }
        try await checkSubscription(req)
        let before = try Self.decode(Subscription.self, old.body)
        let now = storage.clock.now()
        var s = req
        stamp(&s.id, &s.createdDateTime, &s.modificationDateTime, id: id, created: old.createdAt, modified: now)
        s.objectType = .subscription
        s.clientID = before.clientID
        _ = try await update(OpenADRObjectRecord(id: id, kind: .subscription, programID: s.programID, venID: old.venID, clientID: s.clientID,
                                                 targets: s.targets ?? [], body: try Self.encode(s), createdAt: old.createdAt, modifiedAt: now))
        return s
    }

    public func resources(_ c: Caller, venID: String?, targets: [String]?, page: Page) async throws -> [Resource] {
        var q = OpenADRQuery(kind: .resource, venID: venID, targetsAny: targets, skip: page.skip, limit: page.limit)
        if case .ven(let v) = c {
            if let venID, venID != v.venID { return [] }
            q.venID = v.venID
        }
        return try await list(q, as: Resource.self)
    }

    public func resource(_ c: Caller, id: String) async throws -> Resource {
        guard let r = try await store.openADRObject(kind: .resource, id: id), owned(r, by: c) else { throw Problem.notFound("resource \(id)") }
        return try Self.decode(Resource.self, r.body)
    }

    public func createResource(_ c: Caller, _ req: Resource) async throws -> Resource {
        try Self.checkName(req.resourceName, "resourceName")
        if case .ven(let v) = c {
            guard req.venID == v.venID else { throw Problem.forbidden("a VEN may add resources only to itself (venID \(v.venID))") }
            guard v.resources.contains(req.resourceName) else {
                throw Problem.forbidden("resource \(req.resourceName) is not in this VEN token's scope (\(v.resources.joined(separator: ", ")))")
            }
        }
        guard try await store.openADRObject(kind: .ven, id: req.venID) != nil else { throw Problem.conflict("venID \(req.venID) names no VEN") }
        let now = storage.clock.now()
        var r = req
        stamp(&r.id, &r.createdDateTime, &r.modificationDateTime, id: Self.newID("res"), created: now, modified: now)
        r.objectType = "RESOURCE"
        if case .ven(let v) = c { r.clientID = v.principal.keyID }
        try await insert(OpenADRObjectRecord(id: r.id ?? "", kind: .resource, venID: r.venID, clientID: r.clientID,
                                             name: "\(r.venID)/\(r.resourceName)", targets: r.targets ?? [r.resourceName],
                                             body: try Self.encode(r), createdAt: now, modifiedAt: now))
        return r
    }

    // MARK: - Subscriptions

    public func subscriptions(_ c: Caller, programID: String?, clientName: String?, page: Page) async throws -> [Subscription] {
        var q = OpenADRQuery(kind: .subscription, programID: programID, skip: 0, limit: Int.max / 2)
        if case .ven(let v) = c { q.venID = v.venID }
        var out = try await list(q, as: Subscription.self)
        if let clientName { out = out.filter { $0.clientName == clientName } }
        return Array(out.dropFirst(page.skip).prefix(page.limit))
    }

    public func subscription(_ c: Caller, id: String) async throws -> Subscription {
        guard let r = try await store.openADRObject(kind: .subscription, id: id), owned(r, by: c) else {
            throw Problem.notFound("subscription \(id)")
        }
        return try Self.decode(Subscription.self, r.body)
    }

    func checkSubscription(_ req: Subscription) async throws {
        try Self.checkName(req.clientName, "clientName")
        for op in req.objectOperations {
            guard let u = URL(string: op.callbackUrl), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https", u.host != nil else {
                throw Problem.badRequest("callbackUrl '\(op.callbackUrl)' is not an http(s) URL")
            }
        }
        if let pid = req.programID, try await store.openADRObject(kind: .program, id: pid) == nil {
            throw Problem.conflict("programID \(pid) names no program")
        }
    }

    public func createSubscription(_ c: Caller, _ req: Subscription) async throws -> Subscription {
        try await checkSubscription(req)
        let now = storage.clock.now()
        var s = req
        stamp(&s.id, &s.createdDateTime, &s.modificationDateTime, id: Self.newID("sub"), created: now, modified: now)
        s.objectType = .subscription
        var venID: String?
        switch c {
        case .businessLogic(let p): s.clientID = p.keyID
        case .ven(let v): s.clientID = v.principal.keyID; venID = v.venID
        }
        try await insert(OpenADRObjectRecord(id: s.id ?? "", kind: .subscription, programID: s.programID, venID: venID, clientID: s.clientID,
                                             targets: s.targets ?? [], body: try Self.encode(s), createdAt: now, modifiedAt: now))
        return s
    }

    // MARK: - Delete

    public func delete(_ c: Caller, kind: OpenADRKind, id: String) async throws -> Data {
        guard let r = try await store.openADRObject(kind: kind, id: id) else { throw Problem.notFound("\(kind.rawValue.lowercased()) \(id)") }
        switch (c, kind) {
        case (.businessLogic, _): break
        case (.ven, .report), (.ven, .subscription), (.ven, .resource):
            guard owned(r, by: c) else { throw Problem.notFound("\(kind.rawValue.lowercased()) \(id)") }
        case (.ven, _):
            if visible(r, to: c, untargetedToo: kind == .program) || (kind == .ven && owned(r, by: c)) {
                throw Problem.forbidden("a VEN may not delete \(kind.rawValue.lowercased())s")
            }
            throw Problem.notFound("\(kind.rawValue.lowercased()) \(id)")
        }
        guard let gone = try await store.deleteOpenADR(kind: kind, id: id) else { throw Problem.notFound("\(kind.rawValue.lowercased()) \(id)") }
        if kind == .event { await notifier.notify(store: store, kind: .event, operation: .delete, record: gone) }
        return gone.body
    }

    // MARK: - Helpers

    func requireBL(_ c: Caller, _ what: String) throws {
        guard case .businessLogic = c else { throw Problem.forbidden("only the business logic (an operator token) may \(what)") }
    }

    func visible(_ r: OpenADRObjectRecord, to c: Caller, untargetedToo: Bool) -> Bool {
        switch c {
        case .businessLogic: return true
        case .ven(let v): return (untargetedToo && r.targets.isEmpty) || !Set(r.targets).isDisjoint(with: v.targets)
        }
    }

    func owned(_ r: OpenADRObjectRecord, by c: Caller) -> Bool {
        switch c {
        case .businessLogic: return true
        case .ven(let v): return r.venID == v.venID || (r.kind == .ven && r.id == v.venID)
        }
    }

    func insert(_ r: OpenADRObjectRecord) async throws {
        do { try await store.insertOpenADR(r) } catch let e as OpenADRStoreError { throw Problem.from(e) }
    }

    func update(_ r: OpenADRObjectRecord) async throws -> OpenADRObjectRecord {
        do { return try await store.updateOpenADR(r) } catch let e as OpenADRStoreError { throw Problem.from(e) }
    }

    func stamp(_ id: inout String?, _ created: inout String?, _ modified: inout String?, id newID: String, created c: Int64, modified m: Int64) {
        id = newID
        created = OADRTime.format(epochS: c)
        modified = OADRTime.format(epochS: m)
    }

    static func checkName(_ s: String, _ field: String) throws {
        guard (1...128).contains(s.count) else { throw Problem.badRequest("\(field) must be 1…128 characters") }
    }

    /// A URL-safe id (`objectID`: `^[a-zA-Z0-9_-]*$`, ≤ 128).
    public static func newID(_ prefix: String) -> String {
        var g = SystemRandomNumberGenerator()
        return prefix + "-" + String(g.next() & 0xFFFF_FFFF_FFFF, radix: 16)
    }

    public static func encode<T: Encodable>(_ v: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(v)
    }

    static func decode<T: Decodable>(_ t: T.Type, _ d: Data) throws -> T {
        do { return try JSONDecoder().decode(t, from: d) } catch {
            throw VPPError(.internal, "stored OpenADR object does not decode as \(T.self): \(error)")
        }
    }
}

extension Problem {
    public static func badRequest(_ detail: String) -> Problem { Problem(status: 400, title: "Bad Request", detail: detail) }
    public static func unauthorized(_ detail: String) -> Problem { Problem(status: 401, title: "Unauthorized", detail: detail) }
    public static func forbidden(_ detail: String) -> Problem { Problem(status: 403, title: "Forbidden", detail: detail) }
    public static func notFound(_ what: String) -> Problem { Problem(status: 404, title: "Not Found", detail: "\(what) not found") }
    public static func conflict(_ detail: String) -> Problem { Problem(status: 409, title: "Conflict", detail: detail) }
    static func from(_ e: OpenADRStoreError) -> Problem {
        e.reason == .conflict ? .conflict(e.message) : .notFound(e.message)
    }
}
