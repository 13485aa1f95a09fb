import Foundation
import VPPCore

/// What loading a site config changed.
public struct SiteLoadReport: Sendable, Equatable {
    public struct Change: Sendable, Equatable, CustomStringConvertible {
        public var entity: String, id: String, change: String, detail: String
        public var description: String { "\(change) \(entity) \(id)\(detail.isEmpty ? "" : ": \(detail)")" }
        public init(entity: String, id: String, change: String, detail: String) {
            self.entity = entity; self.id = id; self.change = change; self.detail = detail
        }
    }
    public var siteID: String
    public var changes: [Change]
    public var unchanged: Bool { changes.isEmpty }

    public init(siteID: String, changes: [Change]) {
        self.siteID = siteID
        self.changes = changes
    }
}

/// One row of `vpp site show`.
public struct DongSummary: Sendable, Equatable, Codable {
    public var code: String, nameKo: String, name: String
    public var households: Int
    public var pvKWp: Double
    public var miniSolarUnits: Int
    public var batteryKWh: Double
    public var batteryKW: Double
    public var meters: Int

    /// JSON names shared by `vpp site show --format json` and `GET /api/v1/dongs` (as its CSV header).
    enum CodingKeys: String, CodingKey {
        case code, nameKo = "name_ko", name, households, pvKWp = "pv_kwp", miniSolarUnits = "mini_solar_units"
        case batteryKWh = "battery_kwh", batteryKW = "battery_kw", meters
    }

    public init(code: String, nameKo: String, name: String, households: Int, pvKWp: Double, miniSolarUnits: Int, batteryKWh: Double, batteryKW: Double, meters: Int) {
        self.code = code; self.nameKo = nameKo; self.name = name
        self.households = households
        self.pvKWp = pvKWp
        self.miniSolarUnits = miniSolarUnits
        self.batteryKWh = batteryKWh
        self.batteryKW = batteryKW
        self.meters = meters
    }
}

public struct StoreInfo: Sendable, Codable {
    public var path: String
    public var schemaVersion: String
    public var migrationsApplied: [String]
    public var rowCounts: [String: Int]
    /// Database file plus WAL [bytes].
    public var fileBytes: Int64

    /// JSON names of `vpp db info --format json`.
    enum CodingKeys: String, CodingKey {
        case path, schemaVersion = "schema_version", migrationsApplied = "migrations_applied", rowCounts = "row_counts"
        case fileBytes = "file_bytes"
    }

    public init(path: String, schemaVersion: String, migrationsApplied: [String], rowCounts: [String: Int], fileBytes: Int64) {
        self.path = path
        self.schemaVersion = schemaVersion
        self.migrationsApplied = migrationsApplied
        self.rowCounts = rowCounts
        self.fileBytes = fileBytes
    }
}
