import Foundation
import Testing
import VPPTestSupport

/// `vpp weather import|show` and `vpp forecast train|run` end to end, run from a folder with no
/// ../shared next to it (product commands must not need the public data).
@Suite("CLI: weather archive and forecast train without ../shared")
struct WeatherTrainCLITests {
    func run(_ args: [String], in dir: URL) async throws -> CLITests.Result {
        try await CLITests().run(args, environment: ["VPP_SHARED_DATA": dir.appendingPathComponent("no-such-shared-data").path], cwd: dir)
    }

    @Test func importShowTrainRun() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        #expect(!FileManager.default.fileExists(atPath: dir.deletingLastPathComponent().appendingPathComponent("shared/data").path))
        let db = dir.appendingPathComponent("v.sqlite").path
        var lines = ["Forecast_time,Temperature,Humidity,WindSpeed,WindDirection,Cloud"]
        for h in 0..<72 { lines.append("2024-07-0\(1 + h / 24) \(h % 24):00,\(22 + h % 5),60,2,180,\(1 + h % 3)") }
        lines.append("2024-07-04 00:00,99,60,2,180,1")   // temperature out of range: rejected, kept
        let csv = dir.appendingPathComponent("fcst.csv")
        try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)

        let load = try await run(["site", "load", Paths.seodaemunConfig.path, "--db", db], in: dir)
        #expect(load.status == 0, "\(load.stderr)")
        let i1 = try await run(["weather", "import", csv.path, "--at", "37.57,126.94", "--db", db], in: dir)
        #expect(i1.status == 0, "\(i1.stderr)")
        #expect(i1.stdout.contains("72 hours archived, 0 already archived, 1 rows rejected"), "\(i1.stdout)")
        #expect(i1.stdout.contains("fcst.csv:74: temperature 99.0 is outside"), "\(i1.stdout)")
        let i2 = try await run(["weather", "import", csv.path, "--at", "37.57,126.94", "--db", db], in: dir)
        #expect(i2.stdout.contains("0 hours archived, 72 already archived"), "\(i2.stdout)")
        let show = try await run(["weather", "show", "--db", db], in: dir)
        #expect(show.status == 0 && show.stdout.contains("72"), "\(show.stdout)\(show.stderr)")
        let rej = try await run(["weather", "show", "--rejects", "0", "--db", db], in: dir)
        #expect(rej.status == 0 && rej.stdout.contains("temperature 99.0"), "\(rej.stdout)\(rej.stderr)")

        let train = try await run(["forecast", "train", "--until", "2024-07-04", "--window", "30d", "--db", db], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("no measured PV output"), "\(train.stdout)")

        let fc = try await run(["forecast", "run", "--weather-csv", csv.path, "--date", "2024-07-02", "--horizon", "24h", "--step", "1h", "--db", db], in: dir)
        #expect(fc.status == 0, "\(fc.stderr)")
        #expect(fc.stdout.contains("physical model (no trained model)"), "\(fc.stdout)")
        let bad = try await run(["forecast", "train", "--window", "0d", "--db", db], in: dir)
        #expect(bad.status == 64, "\(bad.stderr)")
    }
}
