import Foundation
import Testing
import VPPTestSupport

/// Issue 11, "done when": no product command reads ../shared/data. The built binary runs the
/// daily loop in a working directory whose `../shared` does not exist (site config and sample
/// exports passed by absolute path), and every command succeeds from the store alone.
@Suite("Product commands without ../shared")
struct NoSharedDataTests {
    static func run(_ args: [String], cwd: URL) async throws -> CLITests.Result {
        try await CLITests().run(args, environment: ["VPP_SHARED_DATA": nil], cwd: cwd)
    }

    @Test func dailyLoopRunsWithoutSharedData() async throws {
        let root = try TempDirectory.make()
        defer { TempDirectory.remove(root) }
        let cwd = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: cwd, withIntermediateDirectories: true)
        #expect(!FileManager.default.fileExists(atPath: cwd.appendingPathComponent("../shared").standardizedFileURL.path))
        let pkg = Paths.packageRoot
        let db = cwd.appendingPathComponent("d.sqlite").path
        let site = pkg.appendingPathComponent("site-configs/seodaemun.toml").path
        // The demo (site load, sample ingest, forecast, a dispatch run, report) from the store alone.
        let demo = try await Self.run(["demo", "--db", db, "--site", site, "--samples", pkg.appendingPathComponent("samples").path], cwd: cwd)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("load/PV slots by source"), "\(demo.stdout)")
        // dispatch plan: the stored forecast covers 2022-08-01 for every dong.
        let plan = try await Self.run(["dispatch", "plan", "--db", db, "--start", "2022-08-01", "--horizon", "24h", "--summary"], cwd: cwd)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("forecast run 1: 96"), "\(plan.stdout)")
        // Days after the forecast: load and PV from the metered dongs' own July readings, nominal
        // figures for the dongs with none.
        let later = try await Self.run(["dispatch", "plan", "--db", db, "--start", "2022-08-05", "--horizon", "24h", "--summary",
                                  "--format", "json"], cwd: cwd)
        #expect(later.status == 0, "\(later.stderr)")
        #expect(later.stdout.contains("\"load\" : \"own readings: 96\""), "\(later.stdout.suffix(3000))")
        #expect(later.stdout.contains("\"load\" : \"nominal (config): 96\""), "\(later.stdout.suffix(3000))")
        let run = try await Self.run(["dispatch", "run", "--db", db, "--at", "2022-08-01T01:00", "--horizon", "24h",
                                "--outbox", cwd.appendingPathComponent("outbox").path, "--lock", cwd.appendingPathComponent("lock").path], cwd: cwd)
        #expect(run.status == 0, "\(run.stderr)")
        // Three dongs have a load forecast (7+ days of metered load); all fourteen a PV forecast.
        #expect(run.stdout.contains("3 dongs (1141052000,1141058500,1141061500): load forecast run 1: 96; pv forecast run 1: 96"), "\(run.stdout)")
        let report = try await Self.run(["report", "--db", db, "--period", "2022-07"], cwd: cwd)
        #expect(report.status == 0, "\(report.stderr)")
        for r in [demo, plan, later, run, report] { #expect(!r.stderr.contains("shared"), "\(r.stderr)") }
    }
}
