import Foundation
import VPPCore

// Setpoint delivery by file outbox (issue 16): `vpp dispatch run` writes one JSON file per
// battery into the outbox (`SetpointWriter`); each file written is recorded here, so the battery
// page can say when its setpoints were delivered, next to the OpenADR events.

/// One setpoint file written for a battery by a dispatch run.
public struct SetpointDelivery: Sendable, Equatable, Codable {
    public var runID: Int64
    public var batteryID: String
    /// The file written (the outbox path as given to the run, then `<battery_id>.json`).
    public var path: String
    /// When the file was renamed into place [UTC epoch s].
    public var writtenAt: Int64
    /// Setpoint slots in the file, the first slot's start and the last slot's end [UTC epoch s].
    public var slots: Int
    public var firstSlotStart: Int64
    public var lastSlotEnd: Int64

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", batteryID = "battery_id", path, writtenAt = "written_at", slots
        case firstSlotStart = "first_slot_start", lastSlotEnd = "last_slot_end"
    }

    public init(runID: Int64, batteryID: String, path: String, writtenAt: Int64, slots: Int, firstSlotStart: Int64, lastSlotEnd: Int64) {
        self.runID = runID; self.batteryID = batteryID; self.path = path; self.writtenAt = writtenAt; self.slots = slots
        self.firstSlotStart = firstSlotStart; self.lastSlotEnd = lastSlotEnd
    }
}

/// Records and lists file-outbox setpoint deliveries.
public protocol SetpointDeliveryStore: Sendable {
    /// Records the files of one run (one transaction; a run's battery recorded twice keeps the newest).
    func recordSetpointDeliveries(_ deliveries: [SetpointDelivery]) async throws
    /// The deliveries to `batteryID` whose setpoints cover any of [from, to) (first slot start <
    /// `to` and last slot end > `from`), newest written first, at most `limit`.
    func setpointDeliveries(batteryID: String, from: Int64, to: Int64, limit: Int) async throws -> [SetpointDelivery]
    /// The newest delivery to `batteryID`, whenever it was written.
    func latestSetpointDelivery(batteryID: String) async throws -> SetpointDelivery?
}

extension Storage {
    /// The store's `SetpointDeliveryStore`, or a clear error naming the store when its driver lacks
    /// one (the PostgreSQL driver keeps no setpoint deliveries yet).
    public func setpointDeliveryStore() throws -> any SetpointDeliveryStore {
        if let s = dispatch as? any SetpointDeliveryStore { return s }
        throw VPPError(.unavailable, "the store at \(location) does not record file-outbox setpoint deliveries (its driver has no SetpointDeliveryStore)")
    }
}
