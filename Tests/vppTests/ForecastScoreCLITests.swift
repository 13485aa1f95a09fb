import Foundation
import Testing
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// `vpp forecast score` end to end: the built binary on a temporary store with readings ingested
/// by `vpp ingest` and forecast runs stored as `forecast run` stores them.
@Suite("CLI forecast score")
struct ForecastScoreCLITests {
    let cli = CLITests()

    @Test("Scores the on-time run against ingested PV; the late run is not used; no actuals said; bad deadline is usage")
    func scoreIngested() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = dir.appendingPathComponent("score.sqlite").path
        #expect(try await cli.run(["site", "load", "--db", db, "site-configs/seodaemun.toml"]).status == 0)
        let ingest = try await cli.run(["ingest", "--db", db, "--kind", "pv", "--source", "rooftop PV monitoring",
                                  "--map", "samples/pv-rooftops.map.toml", "samples/pv-rooftops-2022-07.csv"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let site = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        // The sample's three rooftop arrays (GIST buildings) are small against their dongs' kWp: score the
        // dong whose actual most often reaches 10 % of capacity on the day; a dong without a PV meter is the other.
        let rooftops: Set<String> = ["yeonhui-rooftop", "cheonyeon-rooftop", "sinchon-rooftop"]
        let meteredDongs = site.dongs.filter { $0.pvFleets.contains { rooftops.contains($0.id) } }
        let other = try #require(site.dongs.first { d in !meteredDongs.contains { $0.code == d.code } })
        let store = try SQLiteStore(path: db)
        let day = KSTDateTime(year: 2022, month: 7, day: 10).epochSeconds
        let rollups = try await store.hourlyRollups(dongCodes: meteredDongs.map(\.code), from: day, to: day + 86_400)
        func qualifying(_ d: DongConfig) -> Int {
            (rollups[d.code] ?? []).filter { $0.generationCoveredS >= 3600 && Double($0.generationWh) >= 100 * d.pvCapacity.kWp }.count
        }
        let metered = try #require(meteredDongs.max { qualifying($0) < qualifying($1) })
        let actual = rollups[metered.code] ?? []
        let gen = Dictionary(uniqueKeysWithValues: actual.filter { $0.generationCoveredS >= 3600 }.map { ($0.hourStart, $0.generationWh) })
        #expect(gen.values.contains { $0 > 0 })
        // Forecast: 120 % of the actual (each hour as four equal quarter-hours), for the metered dong and one without meters.
        func values(_ scale: Int64) -> [ForecastValue] {
            var v: [ForecastValue] = []
            for code in [metered.code, other.code] {
                for q in 0..<96 {
                    let t = day + Int64(q) * 900, h = t - t % 3600
                    v.append(ForecastValue(dongCode: code, quantity: "pv", slotStart: t, durationS: 900,
                                           value: WattHours((gen[h] ?? 0) * scale / 10 / 4)))
                }
            }
            return v
        }
        let onTime = try await store.insertForecastRun(issuedAt: day - 86_400 + 9 * 3600, kind: "day-ahead", horizonS: 86_400, stepS: 900,
                                                       model: "test", values: values(12))
        _ = try await store.insertForecastRun(issuedAt: day - 86_400 + 10 * 3600 + 60, kind: "day-ahead", horizonS: 86_400, stepS: 900,
                                              model: "late", values: values(0))
        // Expected KPX NMAE, computed here from the rollups and the stored quarter-hours.
        let capWh = metered.pvCapacity.kWp * 1000
        var sum = 0.0, n = 0
        for (h, a) in gen where Double(a) >= 0.1 * capWh {
            let f = (a * 12 / 10 / 4) * 4
            sum += abs(Double(f - a)) / capWh; n += 1
        }
        #expect(n > 0)
        let expected = sum / Double(n) * 100

        let json = try await cli.run(["forecast", "score", "--db", db, "--from", "2022-07-10", "--to", "2022-07-11", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let runs = try #require(obj["runs"] as? [[String: Any]])
        #expect(runs.count == 1 && (runs[0]["run_id"] as? NSNumber)?.int64Value == onTime)
        let pv = try #require(obj["pv"] as? [[String: Any]])
        let mine = try #require(pv.first { $0["dong"] as? String == metered.code })
        #expect(abs(((mine["nmae_pct"] as? NSNumber)?.doubleValue ?? -1) - expected) < 1e-9)
        #expect((mine["scored_hours"] as? NSNumber)?.intValue == n)
        let unmetered = try #require(pv.first { $0["dong"] as? String == other.code })
        #expect(unmetered["status"] as? String == "no actuals" && unmetered["nmae_pct"] is NSNull)
        // The district sums the dongs with actuals: here the metered one alone, with its capacity.
        let district = try #require(pv.first { $0["dong"] as? String == "district" })
        #expect(abs(((district["nmae_pct"] as? NSNumber)?.doubleValue ?? -1) - expected) < 1e-9)
        #expect(obj["district_pv_dongs"] as? [String] == [metered.code])

        let table = try await cli.run(["forecast", "score", "--db", db, "--from", "2022-07-10", "--to", "2022-07-12", "--quantity", "pv"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("no actuals") && table.stdout.contains("1 day(s) without a run issued by the deadline: 2022-07-11"))
        #expect(table.stdout.contains(String(format: "%.2f", expected)))
        let csv = try await cli.run(["forecast", "score", "--db", db, "--from", "2022-07-10", "--to", "2022-07-11", "--format", "csv", "--by", "day"])
        #expect(csv.status == 0 && csv.stdout.hasPrefix("period,dong,quantity,status,"))

        let bad = try await cli.run(["forecast", "score", "--db", db, "--issued-before", "25:00"])
        #expect(bad.status == 64 && bad.stderr.contains("--issued-before"))
    }
}
