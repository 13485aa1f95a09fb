import VPPBenchmarks
import VPPServer
import Dispatcher
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Foundation
import Forecast
import VPPCore
import VPPStore

/// `vpp bench …` — measured figures (run on a release build: `swift run -c release vpp bench …`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print measured figures (use a release build).",
        subcommands: [Store.self, Ingest.self, BenchForecast.self, BenchTrain.self, BenchScore.self, BenchDispatch.self, BenchReport.self,
                      BenchOpenADR.self, BenchCity.self, BenchPGIngest.self])

    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store insert throughput (readings rows/s).")
        @Option(help: "Rows to insert.") var rows: Int = 1_000_000
        @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
        func run() async throws {
            for line in try StoreBenchmark.run(rows: rows, directory: dir) { print(line) }
        }
    }
}

/// `vpp bench forecast` — the same figures as `vpp forecast bench`.
struct BenchForecast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast", abstract: "Forecast quality (Dangjin NMAE, GIST arrays, load) and 14-dong timing (use a release build).")
    @Option(help: "shared/data folder.") var data: String = "../shared/data"
    @Option(help: "Site config for the 14-dong timing run.") var config: String = "site-configs/seodaemun.toml"
    func run() async throws {
        for l in try await ForecastBenchmarks.run(dataDirectory: data, siteConfigPath: config) { print(l) }
    }
}
