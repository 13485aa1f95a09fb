/// Level of a KMA heat-wave special report (폭염특보) as the shelter reserve sees it.
public enum AlertLevel: String, Sendable, Codable, CaseIterable, Comparable {
    /// No special report in force.
    case none
    /// 폭염주의보 (heat-wave advisory).
    case advisory
    /// 폭염경보 (heat-wave warning).
    case warning

    public var rank: Int { switch self { case .none: 0; case .advisory: 1; case .warning: 2 } }
    public static func < (a: AlertLevel, b: AlertLevel) -> Bool { a.rank < b.rank }
    public var nameKo: String { switch self { case .none: "없음"; case .advisory: "폭염주의보"; case .warning: "폭염경보" } }
}

/// A cooling shelter (무더위쉼터), e.g. in a dong community centre (동 주민센터), kept powered from
/// the batteries that back it when a heat-wave alert is in force (issue 17). Config table
/// `[[dong.shelter]]`.
public struct ShelterConfig: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Optional location [° WGS84].
    public var latitudeDeg: Double?
    public var longitudeDeg: Double?
    /// Load that must stay powered islanded: cooling, lights, pumps [kW] (measured or ESTIMATE).
    public var criticalLoadKW: Double
    /// Ids of the batteries (in the same dong) that back the shelter.
    public var batteryIDs: [String]
    /// Backup hours required per alert level [h]; a missing level needs 0 h.
    public var backupHours: [AlertLevel: Double]
    /// Hours before an alert window starts from which the reserve is already held [h].
    public var leadTimeH: Double

    public static let defaultLeadTimeH = 3.0

    public init(id: String, name: String, latitudeDeg: Double? = nil, longitudeDeg: Double? = nil, criticalLoadKW: Double,
                batteryIDs: [String], backupHours: [AlertLevel: Double], leadTimeH: Double = ShelterConfig.defaultLeadTimeH) {
        self.id = id; self.name = name; self.latitudeDeg = latitudeDeg; self.longitudeDeg = longitudeDeg
        self.criticalLoadKW = criticalLoadKW; self.batteryIDs = batteryIDs; self.backupHours = backupHours; self.leadTimeH = leadTimeH
    }

    /// Required backup hours at `level` [h].
    public func hours(at level: AlertLevel) -> Double { backupHours[level] ?? 0 }
    /// The most hours any level requires [h].
    public var maxBackupHours: Double { backupHours.values.max() ?? 0 }
    /// Energy at the load the shelter needs for `hours` islanded [kWh].
    public func loadEnergyKWh(hours: Double) -> Double { criticalLoadKW * hours }
}

extension DongConfig {
    /// The batteries of this dong that back `shelter`, in the shelter's order (unknown ids skipped).
    public func batteries(backing shelter: ShelterConfig) -> [BatteryConfig] {
        shelter.batteryIDs.compactMap { id in batteries.first { $0.id == id } }
    }

    /// Energy the backing batteries can deliver at the AC terminal from full to empty within their
    /// SoC window: Σ capacity × (SoC max − SoC min) × discharge efficiency [kWh] (the `site validate`
    /// check: it must cover load × the most backup hours).
    public func deliverableKWh(for shelter: ShelterConfig) -> Double {
        batteries(backing: shelter).reduce(0) { $0 + $1.capacityKWh * max(0, $1.socMaxPct - $1.socMinPct) / 100 * $1.dischargeEfficiency }
    }
}
