import Foundation
import Testing
@testable import Tracking
import VPPConfig
import VPPStore
@testable import VPPCore

/// Line (1-based) of the first line of `text` containing `needle` after the line containing `after`.
private func line(of needle: String, after: String? = nil, in text: String) -> Int? {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    var start = 0
    if let after, let i = lines.firstIndex(where: { $0.contains(after) }) { start = i }
    return lines[start...].firstIndex(where: { $0.contains(needle) }).map { $0 + 1 }
}

private func parseError(_ text: String) -> SiteConfigError? {
    do { _ = try SiteConfigParser().parse(text: text, file: "site.toml"); return nil } catch let e as SiteConfigError { return e } catch { return nil }
}

@Suite("Counting: meter coverage in the site config")
struct CountingConfigTests {
    @Test("the hand-computed site parses: covers, parent, standard profile")
    func parses() throws {
        let c = try SiteConfigParser().parse(text: CountingEnv.siteTOML(), file: "site.toml")
        let m = try #require(c.dong(code: CountingEnv.codeA)?.meters)
        #expect(m[0].covers == MeterCovers(kind: .feeder, complexes: ["가 apt"]))
        #expect(m[1].parent == "feeder-a"); #expect(m[1].coveredPremises == ["complex:가 apt"])
        #expect(c.standardLoadProfile?.weight(hour: 5, workingDay: false) == 2)
    }

    @Test("two meters covering the same complex without a hierarchy are rejected with file:line: key")
    func overlapWithoutHierarchy() throws {
        // A second meter of 나 apt in dong B, no parent.
        let text = CountingEnv.siteTOML(dongB: """

            [[dong.meter]]
            id = "apt-b-bulk"
            complex = "나 bulk"
            covers = { kind = "complex", complexes = ["나 apt"] }
            """)
        let e = try #require(parseError(text))
        #expect(e.key == "dong[1].meter[1].covers")
        #expect(e.line == line(of: "covers = { kind = \"complex\"", in: text))
        #expect(e.description.hasPrefix("site.toml:\(e.line ?? -1): dong[1].meter[1].covers: meters apt-b and apt-b-bulk both cover complex:나 apt"))
    }

    @Test("a feeder over two complexes and one complex's meter without parent: rejected; with parent: accepted")
    func feederOverTwo() throws {
        let bad = CountingEnv.siteTOML(dongB: """

            [[dong.meter]]
            id = "feeder-b"
            complex = "나 feeder"
            covers = { kind = "feeder", complexes = ["나 apt", "다 apt"] }
            """)
        let e = try #require(parseError(bad))
        #expect(e.key == "dong[1].meter[1].covers")
        #expect(e.line == line(of: "covers = { kind = \"feeder\", complexes = [\"나 apt\"", in: bad))
        // The same with apt-b declared as the feeder's child parses.
        let good = bad.replacingOccurrences(of: "complex = \"나 apt\"\nhouseholds = 50", with: "complex = \"나 apt\"\nhouseholds = 50\nparent = \"feeder-b\"")
        #expect(good != bad)
        #expect(parseError(good) == nil)
    }

    @Test("parent errors: unknown, loop, child covering more than its parent, bad covers kind")
    func parentErrors() throws {
        let unknown = CountingEnv.siteTOML().replacingOccurrences(of: "parent = \"feeder-a\"", with: "parent = \"nope\"")
        let e1 = try #require(parseError(unknown))
        #expect(e1.key == "dong[0].meter[1].parent"); #expect(e1.line == line(of: "parent = \"nope\"", in: unknown))
        let loop = CountingEnv.siteTOML().replacingOccurrences(of: "covers = { kind = \"feeder\", complexes = [\"가 apt\"] }",
                                                               with: "covers = { kind = \"feeder\", complexes = [\"가 apt\"] }\nparent = \"apt-a\"")
        let e2 = try #require(parseError(loop))
        #expect(e2.key.hasSuffix(".parent")); #expect(e2.description.contains("loops back") || e2.description.contains("does not cover"))
        let wider = CountingEnv.siteTOML(dongA: "covers = { kind = \"feeder\", complexes = [\"가 apt\", \"라 apt\"] }")
        let e3 = try #require(parseError(wider))
        #expect(e3.key == "dong[0].meter[1].parent"); #expect(e3.description.contains("complex:라 apt"))
        let kind = CountingEnv.siteTOML().replacingOccurrences(of: "kind = \"feeder\"", with: "kind = \"substation\"")
        let e4 = try #require(parseError(kind))
        #expect(e4.key == "dong[0].meter[0].covers.kind"); #expect(e4.line == line(of: "kind = \"substation\"", in: kind))
    }

    @Test("standard profile: 24 values per row, dated")
    func profileErrors() throws {
        let short = CountingEnv.siteTOML().replacingOccurrences(of: "weekend_pu = [2.0, ", with: "weekend_pu = [")
        let e = try #require(parseError(short))
        #expect(e.key == "standard_load_profile.weekend_pu"); #expect(e.line == line(of: "weekend_pu", in: short))
        let undated = CountingEnv.siteTOML().replacingOccurrences(of: "derived_on = \"2026-11-30\"", with: "derived_on = \"last summer\"")
        #expect(parseError(undated)?.key == "standard_load_profile.derived_on")
    }

    @Test("the shipped Seodaemun config still validates and carries the derived profile")
    func seodaemun() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try SiteConfigParser().parse(fileAt: root.appendingPathComponent("site-configs/seodaemun.toml").path)
        let p = try #require(c.standardLoadProfile)
        #expect(p.workingDayPU.count == 24 && p.weekendPU.count == 24)
        #expect(p.source.contains("gist-campus"))
    }
}

@Suite("Counting: meter hierarchy counts each kWh once")
struct MeterHierarchyTests {
    // Feeder F covers complexes A and B; meter MA (child) covers A.
    let feeder = MeterConfig(id: "F", complex: "feeder", covers: MeterCovers(kind: .feeder, complexes: ["A", "B"]))
    let ma = MeterConfig(id: "MA", complex: "A", parent: "F")
    let h: Int64 = 1_754_000_000 - 1_754_000_000 % 3600

    func data(_ f: (Int64, Int64)?, _ a: (Int64, Int64)?) -> [String: [Int64: AssetHour]] {
        var d: [String: [Int64: AssetHour]] = [:]
        if let f { d["F"] = [h: AssetHour(wh: f.0, coveredS: f.1)] }
        if let a { d["MA"] = [h: AssetHour(wh: a.0, coveredS: a.1)] }
        return d
    }

    @Test("feeder and child both with data: child + (feeder − child); the rollup's sum loses the child once")
    func both() {
        let t = MeterTree(meters: [feeder, ma])
        // F 10 kWh (A + B), MA 4 kWh: counted 4 + 6 = 10; rollup summed 14 → 4 removed.
        #expect(t.counted(hour: h, data: data((10_000, 3600), (4_000, 3600))) == 10_000)
        #expect(t.doubleCounted(hour: h, data: data((10_000, 3600), (4_000, 3600))) == 4_000)
    }

    @Test("only the child has data: the child; only the feeder: the feeder")
    func one() {
        let t = MeterTree(meters: [feeder, ma])
        #expect(t.counted(hour: h, data: data(nil, (4_000, 3600))) == 4_000)
        #expect(t.counted(hour: h, data: data((10_000, 3600), nil)) == 10_000)
        #expect(t.doubleCounted(hour: h, data: data((10_000, 3600), nil)) == 0)
    }

    @Test("children above their parent: the rest is not negative")
    func negativeRest() {
        let t = MeterTree(meters: [feeder, ma])
        #expect(t.counted(hour: h, data: data((3_000, 3600), (4_000, 3600))) == 4_000)
    }

    @Test("a child covering all of its parent for the whole hour: the parent adds nothing; for part of the hour it adds the rest")
    func fullCoverage() {
        let f1 = MeterConfig(id: "F", complex: "feeder", covers: MeterCovers(kind: .feeder, complexes: ["A"]))
        let t = MeterTree(meters: [f1, ma])
        #expect(t.counted(hour: h, data: data((10_000, 3600), (6_000, 3600))) == 6_000)
        #expect(t.counted(hour: h, data: data((10_000, 3600), (3_000, 1800))) == 10_000)
    }
}
