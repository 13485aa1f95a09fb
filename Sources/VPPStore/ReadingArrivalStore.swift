import Foundation
import VPPCore

// When interval data arrived (issue 16, data completeness): every reading carries the id of the
// upload that wrote it (`reading.upload_id`), and every upload its `received_at`. Grouped per
// meter × KST day × upload, that tells which day's data came late and in which file. A corrected
// re-upload rewrites a reading's upload id, so this is when the data now stored arrived.

/// The readings of one meter and KST day that one upload brought.
public struct ReadingArrival: Sendable, Equatable {
    public var assetID: String
    /// KST midnight starting the day [UTC epoch s].
    public var dayStart: Int64
    /// The upload that wrote the readings; nil for readings stored without one (e.g. API writes).
    public var uploadID: Int64?
    /// The upload's `received_at` [UTC epoch s]; nil without an upload.
    public var receivedAt: Int64?
    /// Seconds of the day the readings cover (clipped at the query's end) and their count.
    public var coveredS: Int64
    public var rows: Int
    public init(assetID: String, dayStart: Int64, uploadID: Int64?, receivedAt: Int64?, coveredS: Int64, rows: Int) {
        self.assetID = assetID; self.dayStart = dayStart; self.uploadID = uploadID; self.receivedAt = receivedAt
        self.coveredS = coveredS; self.rows = rows
    }
}

/// Arrival of interval readings per meter, KST day and upload.
public protocol ReadingArrivalStore: Sendable {
    /// The readings of `assetIDs` with `slot_start` in [from, to), grouped by asset, KST day and
    /// upload, ordered by asset, day and upload id.
    func readingArrivals(assetIDs: [String], from: Int64, to: Int64) async throws -> [ReadingArrival]
}

extension Storage {
    /// The store's `ReadingArrivalStore`, or a clear error naming the store when its driver lacks one.
    public func readingArrivalStore() throws -> any ReadingArrivalStore {
        if let a = readings as? any ReadingArrivalStore { return a }
        throw VPPError(.unavailable, "the store at \(location) cannot tell when readings arrived (its driver has no ReadingArrivalStore)")
    }
}

/// Late arrival of one meter's day: data stored for the day that came in an upload received
/// more than the threshold after the day's end.
public struct LateArrival: Sendable, Equatable {
    public var assetID: String
    public var dayStart: Int64
    public var uploadID: Int64?
    public var receivedAt: Int64
    /// Hours after the day's end the upload arrived.
    public var hoursAfterDayEnd: Double
    public var coveredS: Int64
    public var rows: Int

    /// The late parts of `arrivals`: `receivedAt > dayStart + 86,400 s + lateAfterS`.
    public static func find(_ arrivals: [ReadingArrival], lateAfterS: Int64) -> [LateArrival] {
        arrivals.compactMap { a in
            guard let r = a.receivedAt else { return nil }
            let dayEnd = a.dayStart + 86_400
            guard r > dayEnd + lateAfterS else { return nil }
            return LateArrival(assetID: a.assetID, dayStart: a.dayStart, uploadID: a.uploadID, receivedAt: r,
                               hoursAfterDayEnd: Double(r - dayEnd) / 3600, coveredS: a.coveredS, rows: a.rows)
        }
    }
}
