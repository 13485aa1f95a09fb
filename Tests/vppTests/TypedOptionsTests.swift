import Foundation
import Testing
import VPPTestSupport
import VPPCore
@testable import vpp

/// `--horizon` and `--step` are one typed pair (`HorizonOptions`) shared by `forecast run` and
/// `dispatch plan|run`: the same syntax, the same limits (1 h to 14 days), checked in `validate()`.
struct TypedOptionsTests {
    let cli = CLITests()

    @Test(arguments: [["forecast", "run"], ["dispatch", "plan"], ["dispatch", "run"]])
    func horizonOutOfRangeIsAUsageError(_ command: [String]) async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = dir.appendingPathComponent("t.sqlite").path
        for bad in ["15d", "337h", "0h"] {
            let r = try await cli.run(command + ["--db", db, "--horizon", bad])
            #expect(r.status == 64, "\(command) --horizon \(bad): \(r.stderr)")
            #expect(r.stderr.contains("--horizon") && r.stderr.contains("1 h to 14 days"), "\(r.stderr)")
        }
        let junk = try await cli.run(command + ["--horizon", "two days"])
        #expect(junk.status == 64 && junk.stderr.contains("horizon"), "\(junk.stderr)")
        let step = try await cli.run(command + ["--step", "5m"])
        #expect(step.status == 64 && step.stderr.contains("step"), "\(step.stderr)")
    }

    @Test func bothCommandGroupsShareTheLimits() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        // 10 days is past forecast's old 7-day limit and within the shared 14: it passes validation
        // and the command fails later for its own reason (no site / no config), not with usage 64.
        let forecast = try await cli.run(["forecast", "run", "--db", dir.appendingPathComponent("empty.sqlite").path, "--horizon", "10d"])
        #expect(forecast.status != 64 && !forecast.stderr.contains("--horizon"), "\(forecast.stderr)")
        let dispatch = try await cli.run(["dispatch", "plan", "--db", dir.appendingPathComponent("empty.sqlite").path, "--config", dir.appendingPathComponent("missing.toml").path, "--horizon", "240h"])
        #expect(dispatch.status != 64 && !dispatch.stderr.contains("--horizon"), "\(dispatch.stderr)")
        // The help of both says which limits apply.
        for command in [["forecast", "run"], ["dispatch", "plan"], ["dispatch", "run"]] {
            let help = try await cli.run(command + ["--help"])
            #expect(help.status == 0)
            let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")   // help wraps lines
            #expect(words.contains("1 h to 14 days"), "\(command): \(help.stdout)")
        }
    }

    @Test func horizonAndStepParseOnce() {
        #expect(Horizon(argument: "48h")?.hours == 48 && Horizon(argument: "2D")?.hours == 48)
        #expect(Horizon(argument: "14d")?.slots(Step(.quarterHour)) == 14 * 96)
        #expect(Horizon(argument: "48") == nil && Horizon(argument: "h") == nil && Horizon(argument: "1.5d") == nil)
        #expect(throws: Never.self) { try Horizon(hours: 336).validate() }
        #expect(throws: (any Error).self) { try Horizon(hours: 337).validate() }
        #expect(Step(argument: "1h")?.length == .hour && Step(argument: "15min")?.length == .quarterHour && Step(argument: "5m") == nil)
    }
}
