import VPPCore

// Meter coverage and hierarchy (`covers`, `parent`) and the standard load profile table: the
// config side of "count everything once" (issue 12).
extension SiteConfigParser {
    /// `covers = { kind = "feeder", complexes = ["A", "B"], building = "…" }` of one meter.
    func parseCovers(_ m: TableReader) throws -> MeterCovers? {
        guard let c = try m.optionalTable("covers") else { return nil }
        let kindText = try c.string("kind")
        guard let kind = MeterCoverKind(rawValue: kindText) else {
            throw c.ctx.error(c.path + ".kind", .invalidValue("unknown coverage kind \"\(kindText)\" (one of \(MeterCoverKind.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        let complexes = try c.optionalStrings("complexes") ?? []
        let building = try c.optionalString("building")
        try c.finish()
        if let i = complexes.firstIndex(where: { $0.isEmpty }) {
            throw c.ctx.error(c.path + ".complexes", .invalidValue("complex name \(i + 1) is empty"))
        }
        if Set(complexes).count != complexes.count {
            throw c.ctx.error(c.path + ".complexes", .duplicate("complex name in the list"))
        }
        switch kind {
        case .households, .complex:
            guard complexes.count == 1, building == nil else {
                throw c.ctx.error(c.path + ".complexes", .invalidValue("kind \"\(kind.rawValue)\" covers exactly one complex (complexes = [\"name\"]) and no building"))
            }
        case .feeder:
            guard !complexes.isEmpty || building != nil else {
                throw c.ctx.error(c.path + ".complexes", .invalidValue("a feeder must name the complexes (and/or the building) it covers"))
            }
        case .building:
            guard let building, !building.isEmpty, complexes.isEmpty else {
                throw c.ctx.error(c.path + ".building", .invalidValue("kind \"building\" needs building = \"name\" and no complexes"))
            }
        }
        return MeterCovers(kind: kind, complexes: complexes, building: building)
    }

    /// Parents exist in the same dong, are consumption meters, form no cycle and cover at least
    /// what their children cover; two consumption meters that share a premises are related by
    /// `parent` (one is an ancestor of the other). Errors name the meter's `covers` or `parent` key.
    func validateMeterHierarchy(_ d: DongConfig, path: String, ctx: Context) throws {
        let meters = d.meters
        var index: [String: Int] = [:]
        for (i, m) in meters.enumerated() { index[m.id] = i }
        func key(_ i: Int, _ k: String) -> String { "\(path).meter[\(i)].\(k)" }
        for (i, m) in meters.enumerated() {
            if m.role != .consumption {
                if m.covers != nil || m.parent != nil {
                    throw ctx.error(key(i, m.covers != nil ? "covers" : "parent"),
                                    .invalidValue("coverage and parent apply to consumption meters only (meter \(m.id) has role \(m.role.rawValue))"))
                }
                continue
            }
            guard let p = m.parent else { continue }
            guard let pi = index[p] else {
                throw ctx.error(key(i, "parent"), .invalidValue("meter \(m.id): parent \"\(p)\" is not a meter of dong \(d.code)"))
            }
            guard meters[pi].role == .consumption else {
                throw ctx.error(key(i, "parent"), .invalidValue("meter \(m.id): parent \"\(p)\" is not a consumption meter"))
            }
            // Cycle: walk up at most meters.count steps.
            var seen: Set<String> = [m.id]
            var cur: String? = p
            while let c = cur {
                guard seen.insert(c).inserted else {
                    throw ctx.error(key(i, "parent"), .invalidValue("meter \(m.id): parent chain loops back (\(seen.sorted().joined(separator: ", ")))"))
                }
                cur = index[c].flatMap { meters[$0].parent }
            }
            let missing = m.coveredPremises.subtracting(meters[pi].coveredPremises)
            if !missing.isEmpty {
                throw ctx.error(key(i, "parent"), .invalidValue("meter \(m.id) covers \(missing.sorted().joined(separator: ", ")), which its parent \(p) does not cover"))
            }
        }
        func ancestors(_ i: Int) -> Set<Int> {
            var out = Set<Int>(), cur = meters[i].parent.flatMap { index[$0] }
            while let c = cur, out.insert(c).inserted { cur = meters[c].parent.flatMap { index[$0] } }
            return out
        }
        let consumption = meters.indices.filter { meters[$0].role == .consumption }
        for (a, i) in consumption.enumerated() {
            for j in consumption[(a + 1)...] {
                let shared = meters[i].coveredPremises.intersection(meters[j].coveredPremises)
                guard !shared.isEmpty else { continue }
                if ancestors(i).contains(j) || ancestors(j).contains(i) { continue }
                let which = meters[j].covers != nil ? "covers" : "complex"
                throw ctx.error(key(j, which), .invalidValue(
                    "meters \(meters[i].id) and \(meters[j].id) both cover \(shared.sorted().joined(separator: ", ")) and neither is the parent of the other: "
                    + "declare the hierarchy (parent = \"…\") so each kWh is counted once"))
            }
        }
    }

    /// `[standard_load_profile]`: name, derived_on, source, working_day_pu and weekend_pu (24 values each).
    func parseStandardLoadProfile(_ t: TableReader) throws -> StandardLoadProfile {
        let derived = try t.string("derived_on")
        guard KSTDateTime.parse(derived) != nil else {
            throw t.ctx.error(t.path + ".derived_on", .invalidValue("not a date (YYYY-MM-DD): \"\(derived)\""))
        }
        func row(_ k: String) throws -> [Double] {
            guard let v = try t.optionalDoubles(k) else { throw t.ctx.error(t.path + "." + k, .missingKey) }
            guard v.count == 24 else {
                throw t.ctx.error(t.path + "." + k, .invalidValue("needs 24 hourly values (hour-beginning KST 0–23), got \(v.count)"))
            }
            if let bad = v.first(where: { $0 < 0 || $0 > 100 }) {
                throw t.ctx.error(t.path + "." + k, .invalidValue("per-unit values must be within 0–100, got \(bad)"))
            }
            guard v.reduce(0, +) > 0 else { throw t.ctx.error(t.path + "." + k, .invalidValue("all 24 values are 0")) }
            return v
        }
        let p = StandardLoadProfile(name: try t.string("name"), derivedOn: derived, source: try t.string("source"),
                                    workingDayPU: try row("working_day_pu"), weekendPU: try row("weekend_pu"))
        try t.finish()
        return p
    }
}
