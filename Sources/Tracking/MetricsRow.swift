import VPPCore
import VPPStore
/// One row of a tracking report: a dong, a participant (apartment complex / meter group) or the
/// district, over one bucket (a day, a month, a year or the whole period).
///
/// Values are `nil` — null in JSON, empty in CSV, a break in charts — when the data behind them
/// cover less than the report's coverage threshold: a gap is never shown as 0.
/// Coverage % = metered seconds / seconds in the bucket (per dong; district: summed over dongs).
/// Generation needs generation coverage, consumption needs consumption coverage, and every
/// derived value (self-consumption, storage, import/export, RE100, tCO2) needs both.
public struct MetricsRow: Sendable, Equatable {
    public enum Level: String, Sendable, Codable { case dong, participant, district }

    public var level: Level
    /// 10-digit dong code; empty for the district row.
    public var dongCode: String
    /// Korean dong name, participant (complex) name, or the district's Korean name.
    public var name: String
    /// Meter asset id for participants; empty otherwise.
    public var participantID: String
    /// `2024-07-01`, `2024-07`, `2024` or the period label.
    public var bucket: String
    /// First instant of the bucket [UTC epoch s].
    public var bucketStart: Int64

    public var generationKWh: Double?
    public var consumptionKWh: Double?
    public var directPVKWh: Double?
    public var pvViaStorageKWh: Double?
    public var selfConsumedPVKWh: Double?
    public var renewableKWh: Double?
    public var chargedKWh: Double?
    public var dischargedKWh: Double?
    public var storageLossKWh: Double?
    public var importKWh: Double?
    public var exportKWh: Double?
    public var re100SharePct: Double?
    public var tco2eAvoided: Double?
    /// Emission factor behind `tco2eAvoided` [tCO2eq/MWh]; renewable-weighted when a bucket spans years.
    public var emissionFactor: Double?
    public var generationCoveragePct: Double?
    public var consumptionCoveragePct: Double?
    /// True when any value of the row is withheld for low coverage.
    public var gap: Bool
    /// Issue 12: metered and estimated (unmetered PV) generation; consumption estimated from
    /// monthly uploads and its share of consumption [%]; the renewable kWh, its share of the
    /// renewable (hence of the RE100 share) and the tCO2 that rest on an estimate.
    public var generationMeteredKWh: Double?
    public var generationEstimatedKWh: Double?
    public var consumptionFromMonthlyKWh: Double?
    public var consumptionFromMonthlySharePct: Double?
    public var renewableEstimatedKWh: Double?
    public var renewableEstimatedSharePct: Double?
    public var tco2eAvoidedEstimated: Double?

    /// Column names of the CSV and JSON schemas, in order (`vpp.tracking-report/2`). Changing
    /// them is a schema change: `TrackingSchemaTests` pins them.
    public static let textColumns = ["level", "dong_code", "name", "participant_id", "bucket"]
    public static let numericColumns = [
        "generation_kwh", "consumption_kwh", "direct_pv_kwh", "pv_via_storage_kwh", "self_consumed_pv_kwh",
        "renewable_kwh", "charged_kwh", "discharged_kwh", "storage_loss_kwh", "import_kwh", "export_kwh",
        "re100_share_pct", "tco2e_avoided", "emission_factor_tco2eq_per_mwh", "generation_coverage_pct",
        "consumption_coverage_pct",
        "generation_metered_kwh", "generation_estimated_kwh", "consumption_estimated_from_monthly_kwh",
        "consumption_estimated_from_monthly_share_pct", "renewable_estimated_kwh", "renewable_estimated_share_pct",
        "tco2e_avoided_estimated",
    ]
    public static let columns = textColumns + numericColumns + ["gap"]
    /// Decimal places each numeric column is written with (kWh to the Wh).
    public static let numericDecimals = [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 4, 4, 1, 1, 3, 3, 3, 2, 3, 2, 4]

    public var textValues: [String] { [level.rawValue, dongCode, name, participantID, bucket] }
    public var numericValues: [Double?] {
        [generationKWh, consumptionKWh, directPVKWh, pvViaStorageKWh, selfConsumedPVKWh, renewableKWh, chargedKWh,
         dischargedKWh, storageLossKWh, importKWh, exportKWh, re100SharePct, tco2eAvoided, emissionFactor,
         generationCoveragePct, consumptionCoveragePct, generationMeteredKWh, generationEstimatedKWh,
         consumptionFromMonthlyKWh, consumptionFromMonthlySharePct, renewableEstimatedKWh, renewableEstimatedSharePct,
         tco2eAvoidedEstimated]
    }

    public init(level: Level, dongCode: String, name: String, participantID: String = "", bucket: String,
                bucketStart: Int64) {
        self.level = level; self.dongCode = dongCode; self.name = name; self.participantID = participantID
        self.bucket = bucket; self.bucketStart = bucketStart; self.gap = true
    }

    /// Builds a dong or district row from summed energy.
    /// - Parameters:
    ///   - generationSeconds / consumptionSeconds: seconds that full coverage would meter
    ///     (bucket length × dongs; generationSeconds 0 when no dong in the row has PV).
    ///   - threshold: minimum coverage [0–1] for a value to be shown.
    ///   - fallbackFactor: the factor to name when nothing renewable was counted.
    public static func make(level: Level, dongCode: String, name: String, bucket: String, bucketStart: Int64,
                            totals t: EnergyTotals, generationSeconds: Int64, consumptionSeconds: Int64,
                            threshold: Double, fallbackFactor: Double?) -> MetricsRow {
        var row = MetricsRow(level: level, dongCode: dongCode, name: name, bucket: bucket, bucketStart: bucketStart)
        let genCov = generationSeconds > 0 ? Double(t.generationCoveredS) / Double(generationSeconds) : 1
        let consCov = consumptionSeconds > 0 ? Double(t.consumptionCoveredS) / Double(consumptionSeconds) : 0
        row.generationCoveragePct = roundTo(min(1, genCov) * 100, 1)
        row.consumptionCoveragePct = roundTo(min(1, consCov) * 100, 1)
        let genOK = genCov >= threshold - 1e-12, consOK = consCov >= threshold - 1e-12, both = genOK && consOK
        func kwh(_ wh: Double) -> Double { wh.rounded() / 1000 }
        if genOK {
            row.generationKWh = kwh(t.generation)
            row.generationEstimatedKWh = kwh(t.generationEstimated)
            row.generationMeteredKWh = kwh(t.generation - t.generationEstimated)
        }
        if consOK {
            row.consumptionKWh = kwh(t.consumption)
            row.consumptionFromMonthlyKWh = kwh(t.consumptionFromMonthly)
            row.consumptionFromMonthlySharePct = t.consumption > 0 ? roundTo(t.consumptionFromMonthly / t.consumption * 100, 2) : nil
        }
        if both {
            row.directPVKWh = kwh(t.directPV); row.pvViaStorageKWh = kwh(t.pvViaStorage)
            row.selfConsumedPVKWh = kwh(t.selfConsumedPV); row.renewableKWh = kwh(t.renewable)
            row.chargedKWh = kwh(t.charged); row.dischargedKWh = kwh(t.discharged); row.storageLossKWh = kwh(t.storageLoss)
            row.importKWh = kwh(t.imported); row.exportKWh = kwh(t.exported)
            row.re100SharePct = t.consumption > 0 ? roundTo(t.renewable / t.consumption * 100, 2) : nil
            row.tco2eAvoided = roundTo(t.tco2Avoided, 4)
            row.renewableEstimatedKWh = kwh(t.renewableEstimated)
            row.renewableEstimatedSharePct = t.renewable > 0 ? roundTo(t.renewableEstimated / t.renewable * 100, 2) : nil
            row.tco2eAvoidedEstimated = roundTo(t.tco2AvoidedEstimated, 4)
        }
        row.emissionFactor = t.renewable > 0 ? roundTo(t.tco2Avoided / (t.renewable / 1e6), 4) : fallbackFactor
        row.gap = !both
        return row
    }
}

/// Rounds to `digits` decimal places (half away from zero).
@inlinable func roundTo(_ v: Double, _ digits: Int) -> Double {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    return (v * p).rounded() / p
}
