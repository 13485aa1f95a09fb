import Foundation
import VPPCore

// OpenADR 3 VTN objects (issue 13): programs, events, reports, VENs, resources, subscriptions.
// The driver keeps each object's JSON body as the API returns it plus the columns the API
// filters on (program, VEN, client, name, targets); the OpenADR target owns the typed models.

/// The object kinds of the VTN (OpenADR `objectTypes`).
public enum OpenADRKind: String, Sendable, CaseIterable, Codable {
    case program = "PROGRAM", event = "EVENT", report = "REPORT", subscription = "SUBSCRIPTION", ven = "VEN", resource = "RESOURCE"
}

/// One stored object.
public struct OpenADRObjectRecord: Sendable, Equatable {
    public var id: String
    public var kind: OpenADRKind
    /// `programID` of events, reports and subscriptions.
    public var programID: String?
    /// `venID` of resources; the owning VEN's id for reports and subscriptions made by a VEN.
    public var venID: String?
    /// `clientID` (the token key id of the client that owns it).
    public var clientID: String?
    /// The unique name within its kind: `programName`, `venName`, `<venID>/<resourceName>`; nil for others.
    public var name: String?
    public var targets: [String]
    /// The API JSON of the object (metadata included).
    public var body: Data
    /// [UTC epoch s].
    public var createdAt: Int64
    public var modifiedAt: Int64
    /// 0 on creation, +1 on every update (a dispatch run's event superseding the previous one).
    public var modificationNumber: Int
    /// What published it, for objects vpp owns (`dispatch:<battery>`, `price:<dong>`); nil for API-created ones.
    public var sourceKey: String?

    public init(id: String, kind: OpenADRKind, programID: String? = nil, venID: String? = nil, clientID: String? = nil,
                name: String? = nil, targets: [String] = [], body: Data, createdAt: Int64, modifiedAt: Int64,
                modificationNumber: Int = 0, sourceKey: String? = nil) {
        self.id = id; self.kind = kind; self.programID = programID; self.venID = venID; self.clientID = clientID
        self.name = name; self.targets = targets; self.body = body; self.createdAt = createdAt; self.modifiedAt = modifiedAt
        self.modificationNumber = modificationNumber; self.sourceKey = sourceKey
    }
}

/// What a list query filters on. Nil members do not filter; `targetsAny` keeps objects with at
/// least one of the given targets; `untargetedToo` also keeps objects without any target.
public struct OpenADRQuery: Sendable, Equatable {
    public var kind: OpenADRKind
    public var programID: String?
    public var venID: String?
    public var clientID: String?
    public var name: String?
    public var targetsAny: [String]?
    public var untargetedToo = false
    public var skip = 0
    public var limit = 50
    public init(kind: OpenADRKind, programID: String? = nil, venID: String? = nil, clientID: String? = nil, name: String? = nil,
                targetsAny: [String]? = nil, untargetedToo: Bool = false, skip: Int = 0, limit: Int = 50) {
        self.kind = kind; self.programID = programID; self.venID = venID; self.clientID = clientID; self.name = name
        self.targetsAny = targetsAny; self.untargetedToo = untargetedToo; self.skip = skip; self.limit = limit
    }
}

/// Why a write was refused (the API maps these to 409 / 404).
public struct OpenADRStoreError: CategorizedError, Equatable {
    public enum Reason: Equatable, Sendable { case conflict, notFound }
    public var reason: Reason
    public var message: String
    public init(_ reason: Reason, _ message: String) { self.reason = reason; self.message = message }
    public var category: ErrorCategory { reason == .conflict ? .usage : .noInput }
    public var description: String { message }
}

/// The VTN's objects.
public protocol OpenADRStore: Sendable {
    /// Stores a new object; `OpenADRStoreError.conflict` when its id or name is taken.
    func insertOpenADR(_ r: OpenADRObjectRecord) async throws
    /// Replaces an object's body and columns, bumping its modification number; `.notFound` when absent.
    func updateOpenADR(_ r: OpenADRObjectRecord) async throws -> OpenADRObjectRecord
    /// Deletes one object (a VEN takes its resources with it); returns what was deleted.
    func deleteOpenADR(kind: OpenADRKind, id: String) async throws -> OpenADRObjectRecord?
    func openADRObject(kind: OpenADRKind, id: String) async throws -> OpenADRObjectRecord?
    /// Objects matching `q`, oldest first (creation time, then insertion order), `skip`/`limit` applied.
    func openADRObjects(_ q: OpenADRQuery) async throws -> [OpenADRObjectRecord]
    /// Publishes objects vpp owns in ONE transaction: an object whose `sourceKey` is stored is
    /// updated in place (same id, modification number + 1, `body` rebuilt by `makeBody` with the
    /// kept id and creation time); others are inserted. Returns the stored records and whether each was created.
    func publishOpenADR(_ items: [OpenADRObjectRecord],
                        makeBody: @Sendable (OpenADRObjectRecord) throws -> Data) async throws -> [(record: OpenADRObjectRecord, created: Bool)]
}

extension Storage {
    /// The OpenADR objects of this storage's driver.
    public func openADR() throws -> any OpenADRStore {
        guard let s = openADRObjects else { throw notSupported("OpenADR objects") }
        return s
    }
}
