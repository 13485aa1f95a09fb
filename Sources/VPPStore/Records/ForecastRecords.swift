import Foundation
import VPPCore

/// One value of a forecast run to store.
public struct ForecastValue: Sendable, Equatable {
    public var dongCode: String
    /// "pv" or "load".
    public var quantity: String
    /// Slot start [UTC epoch s] and length [s].
    public var slotStart: Int64
    public var durationS: Int
    public var value: WattHours
    public init(dongCode: String, quantity: String, slotStart: Int64, durationS: Int, value: WattHours) {
        self.dongCode = dongCode; self.quantity = quantity; self.slotStart = slotStart; self.durationS = durationS
        self.value = value
    }
}

/// A stored, trained forecast model (e.g. the learned PV correction) with its training window.
public struct StoredForecastModel: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var trainedAt: Int64
    public var trainFrom: Int64
    public var trainTo: Int64
    public var paramsJSON: String

    public init(id: Int64, name: String, trainedAt: Int64, trainFrom: Int64, trainTo: Int64, paramsJSON: String) {
        self.id = id
        self.name = name
        self.trainedAt = trainedAt
        self.trainFrom = trainFrom
        self.trainTo = trainTo
        self.paramsJSON = paramsJSON
    }
}

/// A stored forecast run's header (API `run` of `/forecasts`, `vpp forecast show --format json`).
public struct StoredForecastRun: Sendable, Equatable, Codable {
    public var id: Int64
    /// UTC epoch s.
    public var issuedAt: Int64
    public var kind: String
    public var horizonS: Int64
    public var stepS: Int64
    public var model: String
    /// The model parameters as stored (not part of the JSON payloads).
    public var paramsJSON: String = "{}"

    /// JSON names.
    enum CodingKeys: String, CodingKey {
        case id, issuedAt = "issued_at", kind, horizonS = "horizon_s", stepS = "step_s", model
    }

    public init(id: Int64, issuedAt: Int64, kind: String, horizonS: Int64, stepS: Int64, model: String, paramsJSON: String = "{}") {
        self.id = id
        self.issuedAt = issuedAt
        self.kind = kind
        self.horizonS = horizonS
        self.stepS = stepS
        self.model = model
        self.paramsJSON = paramsJSON
    }
}
