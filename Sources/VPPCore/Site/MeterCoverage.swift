/// What a meter measures (config key `covers` of a `[[dong.meter]]`) and the standard load
/// profile monthly uploads are spread with when a dong has no interval load of its own.
///
/// Coverage is named by portable keys, not by network topology:
/// - `{ kind = "households", complexes = ["A"] }` — the household meters of one complex summed
///   (an office's AMI export); `complexes` has exactly one name.
/// - `{ kind = "complex", complexes = ["A"] }` — the complex's bulk (main) meter.
/// - `{ kind = "feeder", complexes = ["A", "B"] }` — a feeder or substation meter over the named
///   complexes (and, with `building`, over one named building too).
/// - `{ kind = "building", building = "주민센터" }` — one non-residential building.
/// Without `covers`, a consumption meter covers the households of its own `complex`.
/// Two consumption meters whose coverage shares a premises must be related by `parent`
/// (one an ancestor of the other); `site validate` rejects them otherwise.
public enum MeterCoverKind: String, Sendable, Codable, CaseIterable {
    case households
    case complex
    case feeder
    case building
}

public struct MeterCovers: Sendable, Equatable, Codable {
    public var kind: MeterCoverKind
    /// Complex names (관리사무소 names as in `complex`) the meter covers.
    public var complexes: [String]
    /// A building the meter covers (kind `building`, or a feeder that also feeds one building).
    public var building: String?

    public init(kind: MeterCoverKind, complexes: [String] = [], building: String? = nil) {
        self.kind = kind; self.complexes = complexes; self.building = building
    }

    /// The premises keys covered: `complex:<name>` per complex, `building:<name>`.
    public var premises: Set<String> {
        var s = Set(complexes.map { "complex:" + $0 })
        if let building { s.insert("building:" + building) }
        return s
    }
}

extension MeterConfig {
    /// The premises this meter measures (see `MeterCovers`): its `covers`, else its own complex.
    public var coveredPremises: Set<String> { covers?.premises ?? ["complex:" + complex] }
}

/// A standard residential load shape (config table `[standard_load_profile]`): the relative
/// hourly load of a working day and of a weekend/holiday day, hour-beginning KST, in per-unit of
/// the mean working-day hour (so the two rows keep their relative level). Used to spread a
/// monthly upload over hours when the dong has no measured interval load.
public struct StandardLoadProfile: Sendable, Equatable, Codable {
    public var name: String
    /// The date the table was derived (`YYYY-MM-DD`).
    public var derivedOn: String
    public var source: String
    /// 24 values each, hour-beginning KST 0…23 [per unit of the mean working-day hour].
    public var workingDayPU: [Double]
    public var weekendPU: [Double]

    public init(name: String, derivedOn: String, source: String, workingDayPU: [Double], weekendPU: [Double]) {
        self.name = name; self.derivedOn = derivedOn; self.source = source
        self.workingDayPU = workingDayPU; self.weekendPU = weekendPU
    }

    /// The relative load of hour-of-day `hour` (0…23) on a working day or not.
    public func weight(hour: Int, workingDay: Bool) -> Double {
        let row = workingDay ? workingDayPU : weekendPU
        return row.indices.contains(hour) ? row[hour] : 0
    }
}
