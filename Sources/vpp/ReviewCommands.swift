import VPPBenchmarks
import VPPServer
import Dispatcher
import Forecast
import Tracking
import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPAuth
import ArgumentParser
import Foundation
import VPPCore
import VPPStore

extension ReviewDecision: ExpressibleByArgument {}

extension UploadsCommand {
    /// `vpp uploads review [ID] [--all]`: rows kept for an operator's decision.
    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rows kept for review (registers that went down with no usage, 호 typos, suspected unit switches).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Upload id (default: every upload).") var upload: Int64?
        @Flag(help: "Include resolved items.") var all = false
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table
        func run() async throws {
            let items = try await global.openStore().uploads.reviewItems(uploadID: upload, all: all, limit: 1000)
            if format == .json { print(try renderJSON(items)); return }
            if items.isEmpty { print(all ? "no review items" : "nothing open for review"); return }
            let headers = ["item", "upload", "line", "kind", "asset", "unit", "period", "state", "reason"]
            let rows = items.map { s in
                [String(s.id), String(s.uploadID), String(s.line), s.item.kind.rawValue, s.item.assetID, s.item.unit ?? "",
                 s.item.period?.description ?? "", s.state, s.item.reason]
            }
            print(renderTable(headers: headers, rows: rows, numeric: [0, 1, 2]))
            print("resolve with: vpp uploads resolve ITEM accept|reject [--note TEXT]")
        }
    }

    /// `vpp uploads resolve ITEM accept|reject`: the operator's decision, recorded with who and when.
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept or reject one review item (accepting a register wrap stores its usage).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Review item id (vpp uploads review).") var item: Int64
        @Argument(help: "accept or reject.") var decision: ReviewDecision
        @Option(help: "Who decides (default: $USER).") var by: String?
        @Option(help: "A note kept with the decision.") var note: String?
        func run() async throws {
            let actor = by ?? ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
            let s = try await global.openStore().uploads.resolveReview(id: item, decision: decision, by: actor, note: note)
            print("review item \(s.id) (upload \(s.uploadID), line \(s.line), \(s.item.kind.rawValue)) \(s.state) by \(actor)")
        }
    }
}
