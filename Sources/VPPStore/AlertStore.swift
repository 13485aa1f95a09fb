import Foundation
import VPPCore

/// A weather special report (기상특보) for one area: kind (`heat` for 폭염), level and the window it
/// is in force, [from, to) in UTC epoch seconds (imported and shown in KST).
public struct WeatherAlert: Sendable, Equatable, Codable {
    public var area: String
    /// `heat` (폭염); other KMA kinds are kept under their own name but do not raise the reserve.
    public var kind: String
    public var level: AlertLevel
    public var fromEpoch: Int64
    public var toEpoch: Int64
    /// Where it came from: `csv:<file>:<line>`, `kma:getWthrWrnList:<tmFc>` …
    public var source: String
    /// When KMA issued it [UTC epoch s], when known.
    public var issuedAt: Int64?

    enum CodingKeys: String, CodingKey {
        case area, kind, level, fromEpoch = "from_epoch", toEpoch = "to_epoch", source, issuedAt = "issued_at"
    }

    public init(area: String, kind: String, level: AlertLevel, fromEpoch: Int64, toEpoch: Int64, source: String, issuedAt: Int64? = nil) {
        self.area = area; self.kind = kind; self.level = level; self.fromEpoch = fromEpoch; self.toEpoch = toEpoch
        self.source = source; self.issuedAt = issuedAt
    }

    public var isHeat: Bool { kind == "heat" }
    public func overlaps(from: Int64, to: Int64) -> Bool { fromEpoch < to && toEpoch > from }
}

/// One slot where a plan could not hold a shelter's required reserve.
public struct ShelterShortfall: Sendable, Equatable, Codable {
    public var shelterID: String
    public var slotStart: Int64
    /// Energy the backing batteries had to hold at the end of the slot, and what the plan holds [Wh].
    public var requiredWh: Int64
    public var plannedWh: Int64
    /// `capacity`, `charging_power`, `import_and_pv` … (see Resilience's `ShortfallReason`).
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case shelterID = "shelter_id", slotStart = "slot_start", requiredWh = "required_wh", plannedWh = "planned_wh", reason
    }
    public init(shelterID: String, slotStart: Int64, requiredWh: Int64, plannedWh: Int64, reason: String) {
        self.shelterID = shelterID; self.slotStart = slotStart; self.requiredWh = requiredWh; self.plannedWh = plannedWh; self.reason = reason
    }
}

/// What a dispatch run did about the shelters' reserve: nothing to note, or a fallback to the
/// best achievable reserve with the slots it could not hold.
public struct ShelterOutcome: Sendable, Equatable, Codable {
    public var runID: Int64?
    public var recordedAt: Int64
    public var fallback: Bool
    public var note: String
    public var shortfalls: [ShelterShortfall]
    public init(runID: Int64?, recordedAt: Int64, fallback: Bool, note: String, shortfalls: [ShelterShortfall]) {
        self.runID = runID; self.recordedAt = recordedAt; self.fallback = fallback; self.note = note; self.shortfalls = shortfalls
    }
}

/// Weather alerts (KMA special reports) as imported or fetched, the raw KMA replies, and the
/// shelter-reserve outcome of dispatch runs (issue 17).
public protocol AlertStore: Sendable {
    /// Adds alerts; one already stored (same area, kind, level and window) is skipped.
    func putAlerts(_ alerts: [WeatherAlert], importedAt: Int64) async throws -> (inserted: Int, duplicates: Int)
    /// Alerts whose window overlaps [from, to), by start.
    func alerts(from: Int64, to: Int64) async throws -> [WeatherAlert]
    /// Raw KMA replies by request key (archived as received).
    func alertReply(key: String) async throws -> Data?
    func putAlertReply(key: String, fetchedAt: Int64, body: Data) async throws
    /// Records a run's shelter outcome; returns its id.
    @discardableResult
    func recordShelterOutcome(_ outcome: ShelterOutcome) async throws -> Int64
    /// The newest recorded outcome.
    func latestShelterOutcome() async throws -> ShelterOutcome?
}
