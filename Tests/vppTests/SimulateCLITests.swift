import Foundation
import Testing
import VPPTestSupport

/// The loop through the built binary (issue 12): `dispatch run` → `simulate run` → `ingest --kind
/// telemetry` → the next `dispatch run` starts from telemetry; stale telemetry falls back with a warning.
@Suite("SimulateCLI")
struct SimulateCLITests {
    @Test func dispatch_simulate_ingest_dispatch() async throws {
        guard Paths.hasSharedData else { return }   // dispatch run reads the recorded profiles
        let cli = CLITests()
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = dir.appendingPathComponent("loop.sqlite").path
        func dispatch(_ at: String) async throws -> CLITests.Result {
            try await cli.run(["dispatch", "run", "--db", db, "--config", "site-configs/seodaemun.toml", "--outbox", dir.path + "/outbox",
                         "--lock", dir.path + "/lock", "--horizon", "24h", "--at", at])
        }
        #expect(try await cli.run(["site", "load", "--db", db, "site-configs/seodaemun.toml"]).status == 0)
        let r1 = try await dispatch("2026-07-06T00:05")
        #expect(r1.status == 0 && r1.stdout.contains("SoC from config initial SoC (14)"))

        let csv = dir.path + "/tel.csv"
        let sim = try await cli.run(["simulate", "run", "--db", db, "--from", "2026-07-06T00:00", "--to", "2026-07-06T03:00",
                               "--noise-pct", "5", "--seed", "7", "--out", csv])
        #expect(sim.status == 0 && sim.stdout.contains("168 telemetry samples of 14 batteries"))
        let ing = try await cli.run(["ingest", "--db", db, csv, "--kind", "telemetry", "--source", "ess-scada"])
        #expect(ing.status == 0 && ing.stdout.contains("168 ok, 0 rejected"))
        let r2 = try await dispatch("2026-07-06T03:07")
        #expect(r2.status == 0 && r2.stdout.contains("SoC from telemetry (14),"))

        // The setpoint files, straight into the store: 14 batteries × 3 hours of 15-min slots.
        let sim2 = try await cli.run(["simulate", "run", "--db", db, "--outbox", dir.path + "/outbox", "--from", "2026-07-06T03:00",
                                "--to", "2026-07-06T06:00"])
        #expect(sim2.status == 0 && sim2.stdout.contains("168 telemetry samples stored, 0 rejected"))
        let r3 = try await dispatch("2026-07-06T09:07")
        #expect(r3.status == 0 && r3.stdout.contains("previous run's planned SoC (14); warnings: newest telemetry of cheonyeon-ess is 187 min old"))
        let hist = try await cli.run(["dispatch", "history", "--db", db, "--format", "json"])
        #expect(hist.stdout.contains("older than telemetry_max_age_min 30"))

        let bad = try await cli.run(["simulate", "run", "--db", db, "--noise-pct", "60"])
        #expect(bad.status == 64)
        let token = try await cli.run(["tokens", "create", "--db", db, "--battery", "cheonyeon-ess"])
        #expect(token.status == 0 && token.stdout.hasPrefix("vpp_"))
    }
}
