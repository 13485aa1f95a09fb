import Foundation
import GRDB
import VPPAuth
import VPPCore
import VPPStore

/// The embedded store driver: one SQLite file in WAL mode behind a GRDB `DatabasePool`,
/// implementing every store protocol of `VPPStore` (`SQLiteStore+<Concern>.swift`). All SQL of vpp
/// lives in this folder; the rest of the code receives a `Storage` (`storage`).
public final class SQLiteStore: Sendable {
    /// The GRDB writer/reader pool. Module-internal; other modules go through store methods.
    package let pool: DatabasePool
    public let path: String
    public let clock: any WallClock
    /// Decoded site configs by id and fingerprint (`loadedSiteConfig`).
    let siteConfigs = SiteConfigCache()

    /// Opens (creating if needed) the store at `path` and migrates it to the current schema.
    /// A writer waits up to `busyTimeoutS` for another process's write lock, then fails with a
    /// `.temporary` error (exit 75, "try again").
    public init(path: String, clock: any WallClock = SystemWallClock(), busyTimeoutS: Double = 10) throws {
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
        config.busyMode = .timeout(busyTimeoutS)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try VPPMigrations.migrator.migrate(pool)
        } catch let e as DatabaseError {
            throw VPPError.database(e, "database \(path)")
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

    /// This driver as the store the rest of vpp receives.
    public var storage: Storage { Storage(driver: self, clock: clock, location: path) }

    /// Runs `body` in one write transaction; a thrown error rolls everything back.
    package func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let e as DatabaseError {
            throw VPPError.database(e, "database write failed")
        }
    }

    package func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let e as DatabaseError {
            throw VPPError.database(e, "database read failed")
        }
    }

    /// One write transaction whose body need not be `@Sendable` (the ingest body holds the
    /// reader's state); GRDB runs it on its writer queue while the caller waits.
    func writeBulk<T: Sendable>(_ body: (Database) throws -> T) async throws -> T {
        do {
            return try await withoutActuallyEscaping(body) { body in
                let unchecked = UncheckedBody(body)
                return try await pool.write { db in try unchecked.body(db) }
            }
        } catch let e as DatabaseError {
            throw VPPError.database(e, "database write failed, nothing ingested")
        }
    }

    /// Blocking forms, for tests and benchmarks that check the database directly.
    package func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let e as DatabaseError {
            throw VPPError.database(e, "database write failed")
        }
    }

    package func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let e as DatabaseError {
            throw VPPError.database(e, "database read failed")
        }
    }
}

extension VPPError {
    /// A database failure in the category that tells the caller what to do: SQLITE_BUSY or
    /// SQLITE_LOCKED (another process holds the lock past the busy timeout) is `.temporary`
    /// (exit 75, HTTP 503: try again); anything else is `.internal` (70).
    package static func database(_ e: DatabaseError, _ context: String) -> VPPError {
        database(code: e.resultCode, message: e.message ?? e.description, context)
    }

    /// The same for a raw SQLite result code (statements stepped without GRDB).
    package static func database(resultCode rc: Int32, message: String, _ context: String) -> VPPError {
        database(code: ResultCode(rawValue: rc).primaryResultCode, message: message, context)
    }

    private static func database(code: ResultCode, message: String, _ context: String) -> VPPError {
        switch code {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return VPPError(.temporary, "\(context): the database is busy (another ingest or writer holds the lock); try again")
        default:
            return VPPError(.internal, "\(context): \(message)")
        }
    }
}

extension SQLiteStore: SiteStore, ReadingStore, UploadStore, ForecastStore, WeatherArchive, DispatchStore, AuthStore {}

/// Carries a non-Sendable closure into GRDB's writer queue: the caller awaits the write, so the
/// closure never runs concurrently with the caller's use of the state it captures.
private struct UncheckedBody<T>: @unchecked Sendable {
    let body: (Database) throws -> T
    init(_ body: @escaping (Database) throws -> T) { self.body = body }
}
