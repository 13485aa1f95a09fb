import ArgumentParser
import Foundation
import VPPCore

/// `vpp bench …` — measured figures (run on a release build: `swift run -c release vpp bench …`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print measured figures (use a release build).",
        subcommands: [Store.self, BenchReport.self, Ingest.self])

    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store insert throughput (readings rows/s).")
        @Option(help: "Rows to insert.") var rows: Int = 1_000_000
        @Option(help: "Scratch directory.") var dir: String = NSTemporaryDirectory()
        func run() async throws {
            for line in try StoreBenchmark.run(rows: rows, directory: dir) { print(line) }
        }
    }
}
