import Foundation

// OpenADR 3.1.0 objects as typed Codable values, written from the specification's OpenAPI YAML
// (OpenADR Alliance, openadr3-3.1.0.yaml, `components/schemas`, Apache-2.0) and
// its enumeration schemas (`enumerations/*.schema.yaml`). JSON names are the specification's
// (camelCase); optional members are left out when nil (the YAML marks them nullable).
//
// One struct serves both the request (`programRequest`) and the server representation
// (`program` = `objectMetadata` + `programRequest`): the VTN fills `id`, `createdDateTime`,
// `modificationDateTime` and `objectType`; a request may leave them out.

/// `objectTypes`: the objects addressable through the API.
public enum ObjectType: String, Codable, Sendable, CaseIterable {
    case program = "PROGRAM", event = "EVENT", report = "REPORT", subscription = "SUBSCRIPTION", ven = "VEN", resource = "RESOURCE"
}

/// `intervalPeriod`: start (RFC 3339) and duration (ISO 8601) of intervals.
public struct IntervalPeriod: Codable, Sendable, Equatable {
    public var start: String?
    public var duration: String?
    public var randomizeStart: String?
    public init(start: String? = nil, duration: String? = nil, randomizeStart: String? = nil) {
        self.start = start; self.duration = duration; self.randomizeStart = randomizeStart
    }
}

/// `point`: a pair of floats.
public struct Point: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// One item of `valuesMap.values`: number, integer, string, boolean or point.
public enum Value: Codable, Sendable, Equatable {
    case integer(Int64)
    case number(Double)
    case string(String)
    case boolean(Bool)
    case point(Point)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .boolean(b); return }
        if let i = try? c.decode(Int64.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let p = try? c.decode(Point.self) { self = .point(p); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "a value is a number, string, boolean or {x, y} point")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .boolean(let b): try c.encode(b)
        case .point(let p): try c.encode(p)
        }
    }

    /// The value as a number, when it is one.
    public var double: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
}

/// `valuesMap`: a type (see the enumerations) and its values.
public struct ValuesMap: Codable, Sendable, Equatable {
    public var type: String
    public var values: [Value]
    public init(type: String, values: [Value]) { self.type = type; self.values = values }
}

/// `interval`: an id chosen by the client, an optional period, payloads.
public struct Interval: Codable, Sendable, Equatable {
    public var id: Int32
    public var intervalPeriod: IntervalPeriod?
    public var payloads: [ValuesMap]
    public init(id: Int32, intervalPeriod: IntervalPeriod? = nil, payloads: [ValuesMap]) {
        self.id = id; self.intervalPeriod = intervalPeriod; self.payloads = payloads
    }
}

/// `eventPayloadDescriptor`.
public struct EventPayloadDescriptor: Codable, Sendable, Equatable {
    public var objectType: String = "EVENT_PAYLOAD_DESCRIPTOR"
    public var payloadType: String
    public var units: String?
    public var currency: String?
    public init(payloadType: String, units: String? = nil, currency: String? = nil) {
        self.payloadType = payloadType; self.units = units; self.currency = currency
    }
}

/// `reportPayloadDescriptor`.
public struct ReportPayloadDescriptor: Codable, Sendable, Equatable {
    public var objectType: String = "REPORT_PAYLOAD_DESCRIPTOR"
    public var payloadType: String
    public var readingType: String?
    public var units: String?
    public var accuracy: Double?
    public var confidence: Int32?
    public init(payloadType: String, readingType: String? = nil, units: String? = nil) {
        self.payloadType = payloadType; self.readingType = readingType; self.units = units
    }
}

/// A program's payload descriptor: event or report kind (discriminated by `objectType`).
public enum PayloadDescriptor: Codable, Sendable, Equatable {
    case event(EventPayloadDescriptor)
    case report(ReportPayloadDescriptor)

    private enum Key: String, CodingKey { case objectType }
    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: Key.self).decodeIfPresent(String.self, forKey: .objectType)
        if kind == "REPORT_PAYLOAD_DESCRIPTOR" { self = .report(try ReportPayloadDescriptor(from: decoder)) }
        else { self = .event(try EventPayloadDescriptor(from: decoder)) }
    }
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .event(let e): try e.encode(to: encoder)
        case .report(let r): try r.encode(to: encoder)
        }
    }
}

/// `reportDescriptor`: a report the VTN asks the VEN for.
public struct ReportDescriptor: Codable, Sendable, Equatable {
    public var payloadType: String
    public var readingType: String?
    public var units: String?
    public var targets: [String]?
    public var aggregate: Bool?
    public var startInterval: Int32?
    public var numIntervals: Int32?
    public var historical: Bool?
    public var frequency: Int32?
    public var `repeat`: Int32?
    public init(payloadType: String, readingType: String? = nil, units: String? = nil) {
        self.payloadType = payloadType; self.readingType = readingType; self.units = units
    }
}

/// `programDescriptions` item.
public struct ProgramDescription: Codable, Sendable, Equatable {
    public var URL: String
    public init(URL: String) { self.URL = URL }
}

/// `program` / `programRequest`.
public struct Program: Codable, Sendable, Equatable {
    public var id: String?
    public var createdDateTime: String?
    public var modificationDateTime: String?
    public var objectType: ObjectType?
    public var programName: String
    public var intervalPeriod: IntervalPeriod?
    public var programDescriptions: [ProgramDescription]?
    public var payloadDescriptors: [PayloadDescriptor]?
    public var attributes: [ValuesMap]?
    public var targets: [String]?
    public init(programName: String, intervalPeriod: IntervalPeriod? = nil, payloadDescriptors: [PayloadDescriptor]? = nil,
                attributes: [ValuesMap]? = nil, targets: [String]? = nil) {
        self.programName = programName; self.intervalPeriod = intervalPeriod; self.payloadDescriptors = payloadDescriptors
        self.attributes = attributes; self.targets = targets
    }
}

/// `event` / `eventRequest`.
public struct Event: Codable, Sendable, Equatable {
    public var id: String?
    public var createdDateTime: String?
    public var modificationDateTime: String?
    public var objectType: ObjectType?
    public var programID: String
    public var eventName: String?
    public var duration: String?
    public var priority: Int?
    public var targets: [String]?
    public var reportDescriptors: [ReportDescriptor]?
    public var payloadDescriptors: [EventPayloadDescriptor]?
    public var intervalPeriod: IntervalPeriod?
    public var intervals: [Interval]
    public init(programID: String, eventName: String? = nil, priority: Int? = nil, targets: [String]? = nil,
                reportDescriptors: [ReportDescriptor]? = nil, payloadDescriptors: [EventPayloadDescriptor]? = nil,
                intervalPeriod: IntervalPeriod? = nil, intervals: [Interval]) {
        self.programID = programID; self.eventName = eventName; self.priority = priority; self.targets = targets
        self.reportDescriptors = reportDescriptors; self.payloadDescriptors = payloadDescriptors
        self.intervalPeriod = intervalPeriod; self.intervals = intervals
    }
}

/// `reportRequest.resources` item: one resource's report data.
public struct ReportResource: Codable, Sendable, Equatable {
    public var resourceName: String
    public var intervalPeriod: IntervalPeriod?
    public var intervals: [Interval]
    public init(resourceName: String, intervalPeriod: IntervalPeriod? = nil, intervals: [Interval]) {
        self.resourceName = resourceName; self.intervalPeriod = intervalPeriod; self.intervals = intervals
    }
}

/// `report` / `reportRequest`.
public struct Report: Codable, Sendable, Equatable {
    public var id: String?
    public var createdDateTime: String?
    public var modificationDateTime: String?
    public var objectType: ObjectType?
    public var programID: String?
    public var eventID: String
    public var clientName: String
    public var clientID: String?
    public var reportName: String?
    public var payloadDescriptors: [ReportPayloadDescriptor]?
    public var resources: [ReportResource]
    public init(eventID: String, clientName: String, reportName: String? = nil, payloadDescriptors: [ReportPayloadDescriptor]? = nil,
                resources: [ReportResource]) {
        self.eventID = eventID; self.clientName = clientName; self.reportName = reportName
        self.payloadDescriptors = payloadDescriptors; self.resources = resources
    }
}

/// `ven` (server representation = metadata + `BlVenRequest`) and both request forms
/// (`BlVenRequest`, `VenVenRequest`; `objectType` is their discriminator).
public struct Ven: Codable, Sendable, Equatable {
    public var id: String?
    public var createdDateTime: String?
    public var modificationDateTime: String?
    /// `VEN` in a response; `BL_VEN_REQUEST` or `VEN_VEN_REQUEST` in a request.
    public var objectType: String?
    public var clientID: String?
    public var venName: String
    public var targets: [String]?
    public var attributes: [ValuesMap]?
    public init(venName: String, clientID: String? = nil, targets: [String]? = nil, attributes: [ValuesMap]? = nil) {
        self.venName = venName; self.clientID = clientID; self.targets = targets; self.attributes = attributes
    }
}

/// `resource` (metadata + `BlResourceRequest`) and the request forms.
public struct Resource: Codable, Sendable, Equatable {
    public var id: String?
    public var createdDateTime: String?
    public var modificationDateTime: String?
    /// `RESOURCE` in a response; `BL_RESOURCE_REQUEST` or `VEN_RESOURCE_REQUEST` in a request.
    public var objectType: String?
    public var clientID: String?
    public var resourceName: String
    public var venID: String
    public var targets: [String]?
    public var attributes: [ValuesMap]?
    public init(resourceName: String, venID: String, clientID: String? = nil, targets: [String]? = nil, attributes: [ValuesMap]? = nil) {
        self.resourceName = resourceName; self.venID = venID; self.clientID = clientID; self.targets = targets; self.attributes = attributes
    }
}

/// `subscriptionRequest.objectOperations` item.
public struct ObjectOperation: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable { case read = "READ", create = "CREATE", update = "UPDATE", delete = "DELETE" }
    public var objects: [ObjectType]
    public var operations: [Operation]
    public var callbackUrl: String
    public var bearerToken: String?
    public init(objects: [ObjectType], operations: [Operation], callbackUrl: String, bearerToken: String? = nil) {
        self.objects = objects; self.operations = operations; self.callbackUrl = callbackUrl; self.bearerToken = bearerToken
    }
}

/// `subscription` / `subscriptionRequest`.
public struct Subscription: Codable, Sendable, Equatable {
    public var id: String?
    public var createdDateTime: String?
    public var modificationDateTime: String?
    public var objectType: ObjectType?
    public var clientName: String
    public var clientID: String?
    public var programID: String?
    public var objectOperations: [ObjectOperation]
    public var targets: [String]?
    public init(clientName: String, programID: String? = nil, objectOperations: [ObjectOperation], targets: [String]? = nil) {
        self.clientName = clientName; self.programID = programID; self.objectOperations = objectOperations; self.targets = targets
    }
}

/// `notification`: what a subscription's callback receives.
public struct Notification<Object: Codable & Sendable>: Codable, Sendable {
    public var objectType: ObjectType
    public var operation: ObjectOperation.Operation
    public var object: Object
    public var targets: [String]?
    public init(objectType: ObjectType, operation: ObjectOperation.Operation, object: Object, targets: [String]?) {
        self.objectType = objectType; self.operation = operation; self.object = object; self.targets = targets
    }
}

/// `problem` (RFC 7807, the specification's error body).
public struct Problem: Codable, Sendable, Equatable, Error {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var instance: String?
    public init(status: Int, title: String, detail: String, type: String = "about:blank", instance: String? = nil) {
        self.status = status; self.title = title; self.detail = detail; self.type = type; self.instance = instance
    }
}

/// `clientCredentialResponse` (snake_case per RFC 6749).
public struct ClientCredentialResponse: Codable, Sendable, Equatable {
    public var access_token: String
    public var token_type: String = "Bearer"
    public var expires_in: Int?
    public var scope: String?
    public init(accessToken: String, expiresInS: Int?, scope: String?) {
        access_token = accessToken; expires_in = expiresInS; self.scope = scope
    }
}

/// `authError` (RFC 6749 §5.2).
public struct AuthErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var error_description: String?
    public init(error: String, description: String?) { self.error = error; error_description = description }
}

/// `authServerInfo`.
public struct AuthServerInfo: Codable, Sendable, Equatable {
    public var tokenURL: String
    public init(tokenURL: String) { self.tokenURL = tokenURL }
}

/// `notifiersResponse`: webhooks only (no MQTT broker).
public struct NotifiersResponse: Codable, Sendable, Equatable {
    public var WEBHOOK: Bool = true
    public init() {}
}
