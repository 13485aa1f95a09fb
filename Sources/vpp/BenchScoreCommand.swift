import ArgumentParser
import Foundation
import VPPBenchmarks

/// `vpp bench score` — time of `forecast score` over one year × the site's dongs (registered in BenchCommand).
struct BenchScore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Time `forecast score` over one year × 14 dongs on synthetic runs and rollups (use a release build).")
    @Option(help: "Site config.") var site: String = "site-configs/seodaemun.toml"
    @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
    @Option(help: "Year to fill (KST).") var year: Int = 2024
    @Option(help: "Timed runs.") var iterations: Int = 5
    func validate() throws {
        guard (1...100).contains(iterations) else { throw ValidationError("--iterations must be within 1–100") }
        guard (2000...2100).contains(year) else { throw ValidationError("--year must be within 2000–2100") }
    }
    func run() async throws {
        for l in try await ScoreBenchmark.run(siteConfigPath: site, directory: dir, year: year, iterations: iterations) { print(l) }
    }
}
