import ArgumentParser
import Foundation
import VPPBenchmarks

/// `vpp bench train` — time of `forecast train` for one year × every dong of a site config.
struct BenchTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Time `forecast train` on one synthetic year for every dong of a site (use a release build).")
    @Option(help: "Site config.") var config: String = "site-configs/seodaemun.toml"
    @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
    func run() async throws {
        for l in try await TrainBenchmark.run(siteConfigPath: config, directory: dir) { print(l) }
    }
}
