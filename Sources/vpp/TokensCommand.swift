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

/// `vpp tokens`: API bearer tokens for offices and operators (issue 7).
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list and revoke API tokens; show the audit log.",
        subcommands: [Create.self, Revoke.self, List.self, Audit.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; it is printed once and only its salted hash is stored.", aliases: ["issue"])
        @OptionGroup var global: GlobalOptions
        @Option(help: "Office (관리사무소) name for an office token.") var office: String?
        @Option(parsing: .upToNextOption, help: "Meter id(s) of the complexes this office may upload for.") var complex: [String] = []
        @Flag(help: "An operator token (reads everything).") var `operator` = false
        @Option(parsing: .upToNextOption, help: "Battery id(s) a battery token may post telemetry for (a battery token).") var battery: [String] = []
        @Option(help: "Output format: text or json.") var format: String = "text"
        @Option(help: "Token role: ven (an OpenADR VEN, with --ven NAME --resource BATTERY-ID…); operator and office have their own flags.")
        var role: String?
        @Option(help: "VEN name of a --role ven token (its OpenADR venName).") var ven: String?
        @Option(parsing: .upToNextOption, help: "Battery id(s) a --role ven token's VEN controls (its OpenADR resources).") var resource: [String] = []

        func validate() throws {
            if let role {
                guard role == "ven" else { throw ValidationError("--role takes ven; use --operator, --office NAME --complex ID… or --battery ID… for the others") }
                guard let v = ven, !v.isEmpty, !resource.isEmpty else { throw ValidationError("--role ven needs --ven NAME and --resource BATTERY-ID…") }
                guard !`operator`, office == nil, complex.isEmpty, battery.isEmpty else {
                    throw ValidationError("--role ven takes no --operator, --office, --complex or --battery")
                }
                guard format == "text" || format == "json" else { throw ValidationError("--format text|json") }
                return
            }
            if ven != nil || !resource.isEmpty { throw ValidationError("--ven and --resource need --role ven") }
            let roles = [`operator`, office != nil, !battery.isEmpty].filter { $0 }.count
            if roles > 1 { throw ValidationError("give one of --operator, --office NAME --complex ID… or --battery ID…") }
            if roles == 0 { throw ValidationError("give --office NAME --complex ID…, --battery ID… or --operator") }
            guard format == "text" || format == "json" else { throw ValidationError("--format text|json") }
        }

        func run() async throws {
            let store = try global.openStore()
            let isVEN = role == "ven"
            let tokenRole: TokenRole = isVEN ? .ven : `operator` ? .operator : battery.isEmpty ? .office : .battery
            let (info, text) = try await store.auth.createToken(role: tokenRole, office: isVEN ? ven : office,
                                                                complexes: isVEN ? resource : tokenRole == .battery ? battery : complex,
                                                                actor: "cli")
            if format == "json" {
                print(try renderJSON(["token": text, "key_id": info.keyID, "role": info.role.rawValue, "office": info.office ?? "",
                                      "complexes": info.complexes.joined(separator: ",")]))
            } else {
                print(text)
                FileHandle.standardError.write(Data(
                    "vpp: created \(info.role.rawValue) token \(info.keyID)\(info.office.map { " for \($0)" } ?? "")\(info.complexes.isEmpty ? "" : " (\(info.role == .ven ? "resources" : "complexes") \(info.complexes.joined(separator: ", ")))"); it is shown only this once\n".utf8))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by key id (or the token itself).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key id (16 hex) or the full token.") var keyID: String
        func run() async throws {
            let info = try await global.openStore().auth.revokeToken(keyID: keyID, actor: "cli")
            print("revoked \(info.role.rawValue) token \(info.keyID)\(info.office.map { " (\($0))" } ?? "")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Output format: table or json.") var format: OutputFormat = .table
        func validate() throws { if format == .csv { throw ValidationError("--format table|json") } }
        func run() async throws {
            let tokens = try await global.openStore().auth.tokens()
            if format == .json { print(try renderJSON(tokens)); return }
            let rows = tokens.map { t in
                [t.keyID, t.role.rawValue, t.office ?? "", t.complexes.joined(separator: ","), KSTDateTime(epochSeconds: t.createdAt).description,
                 t.revokedAt.map { KSTDateTime(epochSeconds: $0).description } ?? ""]
            }
            print(renderTable(headers: ["key_id", "role", "office", "complexes", "created (KST)", "revoked (KST)"], rows: rows))
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the audit log of uploads and token actions, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many events.") var limit: Int = 50
        @Option(help: "Output format: table or json (the same payload as GET /api/v1/audit).") var format: OutputFormat = .table
        func validate() throws { if format == .csv { throw ValidationError("--format table|json") } }
        func run() async throws {
            let events = try await global.openStore().auth.auditLog(limit: limit)
            if format == .json { print(try renderJSON(AuditPayload(events: events))); return }
            let rows = events.map { e in
                [String(e.id ?? 0), KSTDateTime(epochSeconds: e.at).description, e.actor, e.action, e.target ?? "", e.outcome, String(e.detail.prefix(80))]
            }
            print(renderTable(headers: ["id", "at (KST)", "actor", "action", "target", "outcome", "detail"], rows: rows, numeric: [0]))
        }
    }
}
