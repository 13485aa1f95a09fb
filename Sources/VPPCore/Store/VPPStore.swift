import Crypto
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode behind a GRDB `DatabasePool`.
///
/// All SQL lives in this folder (`VPPStore+<Concern>.swift`), so a server database can later
/// replace SQLite without touching the domain. Methods are named for intentions.
public final class VPPStore: Sendable {
    /// The GRDB writer/reader pool. Module-internal; other modules go through store methods.
    package let pool: DatabasePool
    public let path: String
    public let clock: any WallClock

    /// Opens (creating if needed) the store at `path` and migrates it to the current schema.
    public init(path: String, clock: any WallClock = SystemWallClock()) throws {
        self.path = path
        self.clock = clock
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw VPPError(.noInput, "cannot create the database folder \(dir): \(error.localizedDescription)")
            }
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try VPPMigrations.migrator.migrate(pool)
        } catch let e as DatabaseError {
            throw VPPError(.internal, "database \(path): \(e.message ?? e.description)")
        }
    }

    /// Default location: `$VPP_DB`, else `$XDG_DATA_HOME/vpp/vpp.sqlite`, else
    /// `~/.local/share/vpp/vpp.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["VPP_DB"], !p.isEmpty { return p }
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return base + "/vpp/vpp.sqlite"
    }

    /// Runs `body` in one write transaction; a thrown error rolls everything back.
    package func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let e as DatabaseError {
            throw VPPError(.internal, "database write failed: \(e.message ?? e.description)")
        }
    }

    package func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let e as DatabaseError {
            throw VPPError(.internal, "database read failed: \(e.message ?? e.description)")
        }
    }
}

/// Hex SHA-256 of bytes (upload identity, config fingerprints).
public func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
