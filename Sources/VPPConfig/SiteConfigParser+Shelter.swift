import VPPCore

extension SiteConfigParser {
    /// `[[dong.shelter]]` (issue 17): id, name, `critical_load_kw`, `batteries` (ids in the same
    /// dong), `backup_hours = { none = 0, advisory = 4, warning = 8 }` [h], optional
    /// `latitude_deg`, `longitude_deg`, `lead_time_h` (default 3). The backing batteries must be able
    /// to hold the load for the most hours at all: Σ capacity × (SoC max − SoC min) × η_discharge ≥
    /// load × hours, else an error naming the shelter.
    func parseShelter(_ s: TableReader, dong d: DongConfig) throws -> ShelterConfig {
        let id = try s.string("id")
        let name = try s.string("name")
        let load = try s.double("critical_load_kw", min: 0, max: 100_000)
        guard load > 0 else { throw s.ctx.error(s.path + ".critical_load_kw", .invalidValue("shelter \(id): critical_load_kw must be > 0")) }
        let ids = try s.optionalStrings("batteries") ?? []
        guard !ids.isEmpty else { throw s.ctx.error(s.path + ".batteries", .missingKey) }
        for b in ids where !d.batteries.contains(where: { $0.id == b }) {
            throw s.ctx.error(s.path + ".batteries", .invalidValue("shelter \(id): no battery \"\(b)\" in dong \(d.code) (\(d.batteries.map(\.id).joined(separator: ", ")))"))
        }
        guard Set(ids).count == ids.count else { throw s.ctx.error(s.path + ".batteries", .duplicate("battery id in shelter \(id)")) }
        let h = try s.table("backup_hours")
        var hours: [AlertLevel: Double] = [:]
        for level in AlertLevel.allCases {
            if let v = try h.optionalDouble(level.rawValue, min: 0, max: 168) { hours[level] = v }
        }
        try h.finish()
        let lead = try s.optionalDouble("lead_time_h", min: 0, max: 48) ?? ShelterConfig.defaultLeadTimeH
        let shelter = ShelterConfig(id: id, name: name, latitudeDeg: try s.optionalDouble("latitude_deg", min: -90, max: 90),
                                    longitudeDeg: try s.optionalDouble("longitude_deg", min: -180, max: 180),
                                    criticalLoadKW: load, batteryIDs: ids, backupHours: hours, leadTimeH: lead)
        try s.finish()
        let need = shelter.loadEnergyKWh(hours: shelter.maxBackupHours)
        let can = d.deliverableKWh(for: shelter)
        if need > can + 1e-9 {
            throw s.ctx.error(s.path + ".backup_hours", .invalidValue(
                "shelter \(id) (\(name)): its batteries deliver at most \(fmtNum(can, 1, trimZeros: true)) kWh (capacity × usable SoC × discharge efficiency), "
                    + "less than \(fmtNum(load, 1, trimZeros: true)) kW × \(fmtNum(shelter.maxBackupHours, 1, trimZeros: true)) h = \(fmtNum(need, 1, trimZeros: true)) kWh"))
        }
        return shelter
    }
}
