import Foundation
import VPPCore

// Issue 11 item 1: forecast weather archived per KMA grid cell with its issue (base) time, so that
// any past forecast can be recomputed and models trained on the weather that was forecast at the
// time, and the PV output history the training reads.

/// One archived forecast hour of one KMA grid cell as issued at `baseTime`.
public struct ArchivedWeatherHour: Sendable, Equatable, Codable {
    /// KMA grid cell (Lambert conformal conic, 5 km).
    public var nx: Int
    public var ny: Int
    /// Issue time: the KMA base date/time (KST) [UTC epoch s].
    public var baseTime: Int64
    /// Valid instant [UTC epoch s].
    public var validTime: Int64
    /// TMP [°C], REH [%], WSD [m/s], SKY code 1–4 (fractional when interpolated), PTY code 0–7, POP [%] (nil: unknown).
    public var temperatureC: Double
    public var humidityPct: Double
    public var windSpeedMS: Double
    public var sky: Double
    public var precipitationType: Int
    public var precipitationProbabilityPct: Double?

    public init(nx: Int, ny: Int, baseTime: Int64, validTime: Int64, temperatureC: Double, humidityPct: Double,
                windSpeedMS: Double, sky: Double, precipitationType: Int = 0, precipitationProbabilityPct: Double? = nil) {
        self.nx = nx; self.ny = ny; self.baseTime = baseTime; self.validTime = validTime; self.temperatureC = temperatureC
        self.humidityPct = humidityPct; self.windSpeedMS = windSpeedMS; self.sky = sky
        self.precipitationType = precipitationType; self.precipitationProbabilityPct = precipitationProbabilityPct
    }
}

/// A row of a weather file that was not archived (or a gap found in it), with the reason.
public struct WeatherRejectedRow: Sendable, Equatable, Codable {
    /// 1-based line of the file (item number for a KMA JSON reply).
    public var line: Int
    public var raw: String
    public var reason: String
    public init(line: Int, raw: String, reason: String) { self.line = line; self.raw = raw; self.reason = reason }
}

/// What one import did.
public struct WeatherImportReport: Sendable, Equatable {
    public var importID: Int64
    public var source: String
    /// Hours newly archived, hours already archived with the same values (a re-import), rows rejected.
    public var added: Int
    public var unchanged: Int
    public var rejected: [WeatherRejectedRow]
    public init(importID: Int64, source: String, added: Int, unchanged: Int, rejected: [WeatherRejectedRow]) {
        self.importID = importID; self.source = source; self.added = added; self.unchanged = unchanged; self.rejected = rejected
    }
}

/// One grid cell's archive contents.
public struct WeatherArchiveCell: Sendable, Equatable {
    public var nx: Int
    public var ny: Int
    public var issues: Int
    public var hours: Int
    public var firstBase: Int64
    public var lastBase: Int64
    public var firstValid: Int64
    public var lastValid: Int64
    public init(nx: Int, ny: Int, issues: Int, hours: Int, firstBase: Int64, lastBase: Int64, firstValid: Int64, lastValid: Int64) {
        self.nx = nx; self.ny = ny; self.issues = issues; self.hours = hours; self.firstBase = firstBase
        self.lastBase = lastBase; self.firstValid = firstValid; self.lastValid = lastValid
    }
}

/// Forecast weather by grid cell and issue time. `WeatherArchive` (the raw-reply cache) refines it.
public protocol WeatherForecastArchive: Sendable {
    /// Archives parsed hours in one transaction. Idempotent: an hour already archived for the same
    /// (cell, base time, valid time) with the same values counts as unchanged; with different
    /// values it is rejected ("duplicated base time"). `rejects` (found by the file's parser) are
    /// kept with the import's record.
    func archiveWeather(source: String, importedAt: Int64, hours: [ArchivedWeatherHour],
                        rejects: [WeatherRejectedRow]) async throws -> WeatherImportReport
    /// Every archived hour of a cell valid in [validFrom, validTo) issued at or before
    /// `issuedBefore`, ordered by valid time then base time.
    func archivedWeather(nx: Int, ny: Int, validFrom: Int64, validTo: Int64, issuedBefore: Int64) async throws -> [ArchivedWeatherHour]
    func weatherArchiveCells() async throws -> [WeatherArchiveCell]
    /// Rows kept as rejected by an import (the newest import when nil).
    func weatherImportRejects(importID: Int64?, limit: Int) async throws -> [WeatherRejectedRow]
}

/// Measured PV output per dong (the training input of `forecast train`).
public protocol GenerationHistory: Sendable {
    /// Metered generation of one dong per hour over [from, to) [hour-beginning UTC epoch s, Wh];
    /// hours without generation coverage are left out.
    func hourlyGeneration(dong: String, from: Int64, to: Int64) async throws -> [(hourStart: Int64, wh: Int64)]
}
