import Foundation
import Testing
import VPPTestSupport

/// End-to-end: `vpp alerts import|show`, `vpp simulate outage` and `dispatch plan`'s `reserve_kwh`
/// against the built binary (issue 17).
@Suite("Resilience CLI")
struct ResilienceCLITests {
    let cli = CLITests()

    @Test func alerts_import_show_and_the_outage_drill() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = dir.appendingPathComponent("t.sqlite").path
        let csv = dir.appendingPathComponent("alerts.csv")
        try Data("""
            area,kind,level,from,to
            서대문구,heat,advisory,2026-08-03T12:00,2026-08-03T20:00
            서대문구,heat,hot,2026-08-03T12:00,2026-08-03T20:00

            """.utf8).write(to: csv)
        #expect(try await cli.run(["site", "load", "--db", db, "site-configs/seodaemun.toml"]).status == 0)
        let imp = try await cli.run(["alerts", "import", "--db", db, csv.path])
        #expect(imp.status == 0)
        #expect(imp.stdout.contains("1 new") && imp.stdout.contains("1 rejected"))
        #expect(imp.stderr.contains("\(csv.path):3: rejected"))
        let again = try await cli.run(["alerts", "import", "--db", db, csv.path])
        #expect(again.stdout.contains("0 new, 1 already stored"))
        let show = try await cli.run(["alerts", "show", "--db", db, "--from", "2026-08-01", "--to", "2026-08-05", "--format", "csv"])
        #expect(show.status == 0 && show.stdout.contains("서대문구,heat,advisory,2026-08-03 12:00,2026-08-03 20:00,yes"))

        // Hongje 1-dong's ESS at the config's initial SoC carries the 30 kW shelter ~7 h: the advisory in force (4 h) is met …
        let adv = try await cli.run(["simulate", "outage", "--db", db, "--dong", "1141062000", "--from", "2026-08-03T12:00", "--hours", "8"])
        #expect(adv.status == 0, "\(adv.stderr)")
        #expect(adv.stdout.contains("requirement: advisory") && adv.stdout.contains("MET"))
        // … a warning's 8 h is not (exit 65).
        let warn = try await cli.run(["simulate", "outage", "--db", db, "--dong", "1141062000", "--from", "2026-08-03T12:00", "--hours", "8",
                                "--level", "warning"])
        #expect(warn.status == 65 && warn.stdout.contains("NOT MET"))
        let unknown = try await cli.run(["simulate", "outage", "--db", db, "--dong", "0000000000", "--from", "2026-08-03T12:00", "--hours", "8"])
        #expect(unknown.status == 65 && unknown.stderr.contains("no dong 0000000000"))
    }

    @Test func validate_names_each_shelter_check() async throws {
        let r = try await cli.run(["site", "validate", "site-configs/seodaemun.toml"])
        #expect(r.status == 0 && r.stdout.contains("shelter hongje1-centre") && r.stdout.contains("kWh deliverable by hongje-1-ess"))
    }
}
