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

/// `vpp` — the district virtual power plant CLI. Argument parsing and wiring only; the work
/// happens in VPPCore, Forecast and Dispatcher.
@main
struct VPP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vpp",
        abstract: "District virtual power plant (가상발전소) for a Seoul district energy centre.",
        discussion: """
            Exit codes: 0 ok, 64 usage, 65 bad data, 66 missing input, 69 service unavailable,
            70 internal error, 75 try again later (e.g. another dispatch run holds the lock).
            """,
        subcommands: [
            SiteCommand.self, DBCommand.self, DemoCommand.self, BenchCommand.self,
            DispatchCommand.self,
            ForecastCommand.self, WeatherCommand.self,
            IngestCommand.self, UploadsCommand.self, ReportCommand.self,
            ServeCommand.self, TokensCommand.self,
            AlertsCommand.self, SimulateCommand.self,
            SyncCommand.self,
        ]
    )

    /// Runs the command and maps errors to one stderr line and an exit code.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CategorizedError {
            FileHandle.standardError.write(Data("vpp: error: \(error.description)\n".utf8))
            Foundation.exit(error.category.rawValue)
        } catch {
            // ArgumentParser errors (usage 64, --help 0, ExitCode) keep their own handling.
            exit(withError: error)
        }
    }
}

/// Options every command that touches the store takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The store: a SQLite database file, or postgresql://user@host:port/database for the PostgreSQL store (default: $VPP_DB, else ~/.local/share/vpp/vpp.sqlite).")
    var db: String?

    var databasePath: String { db ?? SQLiteStore.defaultPath() }

    /// The store the command works on (`StoreOpener`): PostgreSQL for a `postgresql://` URL,
    /// else the embedded SQLite file at `databasePath`.
    func openStore() throws -> Storage { try StoreOpener.open(databasePath) }
}

/// Output formats for commands that print tables.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
