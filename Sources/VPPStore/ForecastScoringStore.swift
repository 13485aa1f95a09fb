import Foundation
import VPPCore

/// A stored forecast run with the span its values cover (what scoring "as issued" selects on).
public struct ForecastRunSpan: Sendable, Equatable {
    public var run: StoredForecastRun
    /// First slot start and end of the last slot over all its values [UTC epoch s].
    public var firstSlot: Int64
    public var endSlot: Int64
    public init(run: StoredForecastRun, firstSlot: Int64, endSlot: Int64) {
        self.run = run; self.firstSlot = firstSlot; self.endSlot = endSlot
    }

    /// Whether the run has values over all of [from, to).
    public func covers(from: Int64, to: Int64) -> Bool { firstSlot <= from && endSlot >= to }
}

/// The reads `vpp forecast score` needs (issue 11): runs by issue time with their spans, and a
/// run's values over a window. Kept apart from ForecastStore so that other drivers can add it later.
public protocol ForecastScoringStore: Sendable {
    /// Runs issued within [issuedFrom, issuedTo] (UTC epoch s, both inclusive) that hold values,
    /// ordered by issue time then id, each with the span of its values.
    func forecastRunSpans(issuedFrom: Int64, issuedTo: Int64) async throws -> [ForecastRunSpan]
    /// Values of one run with slot start in [from, to), optionally of one dong and/or quantity,
    /// ordered by dong, quantity, slot.
    func forecastValues(runID: Int64, from: Int64, to: Int64, dong: String?, quantity: String?) async throws -> [ForecastValue]
}

extension Storage {
    /// The store's scoring reads; a driver without them is an internal error, named.
    public func forecastScoring() throws -> any ForecastScoringStore {
        guard let s = scoring else { throw notSupported("forecast scoring") }
        return s
    }
}
