import ArgumentParser
import Foundation
import VPPBenchmarks

/// `vpp bench city` — the city roll-up at scale (issue 14): SYNTHETIC districts drawn from a real
/// district's dongs, a year of SYNTHETIC hourly rollups each, `report --scope city` timed.
struct BenchCity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city", abstract: "Time the city report over N synthetic districts × a year of hourly rollups, and a district-month sync.")
    @Option(help: "Real site config the synthetic dongs are drawn from.") var site: String = "site-configs/seodaemun.toml"
    @Option(help: "Synthetic districts to generate (1–99).") var districts: Int = 25
    @Option(help: "Year to fill (KST).") var year: Int = 2024
    @Option(help: "Seed of the generator and the rollups.") var seed: UInt64 = 14
    @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
    @Option(help: "Also write the synthetic district configs (TOML, labelled SYNTHETIC) into this folder.") var configsOut: String?
    @Option(help: "Timed runs.") var iterations: Int = 7

    func validate() throws {
        guard (1...99).contains(districts) else { throw ValidationError("--districts must be 1…99") }
        guard (1...1000).contains(iterations) else { throw ValidationError("--iterations must be 1…1000") }
        guard (2000...2100).contains(year) else { throw ValidationError("--year must be 2000…2100") }
    }

    func run() async throws {
        for line in try await CityBenchmark.run(realConfigPath: site, districts: districts, year: year, seed: seed, directory: dir,
                                                configsOut: configsOut, iterations: iterations) { print(line) }
    }
}
