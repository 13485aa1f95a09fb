import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import VPPCore
import VPPStore

/// The server store driver (issue 14): one PostgreSQL database behind postgres-nio (no ORM),
/// implementing the core store protocols of `VPPStore` (`PostgresStore+<Concern>.swift`) with the
/// semantics of the SQLite driver. Opening is lazy: `init` only parses the URL; the first call
/// connects and applies the migrations (`PostgresMigrations`), so a wrong password or a missing
/// database surfaces as a typed error at first use, naming host and database, never the password.
public final class PostgresStore: Sendable {
    public let url: PostgresURL
    public let clock: any WallClock
    /// Decoded site configs by id and fingerprint (`loadedSiteConfig`).
    let siteConfigs = SiteConfigCache()
    let pool: ConnectionPool
    let logger: Logger
    /// Benchmarks only: every reading checked and written one by one instead of the COPY path.
    let ingestRowByRow: Bool
    /// Rows per COPY batch of the ingest (tests use smaller batches to exercise files of several
    /// batches without building huge files).
    let ingestBatchRows: Int
    /// Measured with `vpp bench pg-ingest` (1M rows, idle machine): 200,000-row batches took
    /// 6.7–6.9 s against 7.4–7.7 s for 50,000 (fewer waits between batches); a batch is a few MB.
    public static let defaultIngestBatchRows = 200_000
    /// Dong-hours an ingest holds in memory before it moves them to a temporary table (about
    /// 20 MB; a district-year of 14 dongs is 123k). Tests set fewer.
    public static let defaultIngestRollupCap = 262_144
    let ingestRollupCap: Int

    /// `url`: `postgresql://user[:password]@host[:port]/database` (password also from `$PGPASSWORD`).
    public init(url: PostgresURL, clock: any WallClock = SystemWallClock(), ingestRowByRow: Bool = false,
                ingestBatchRows: Int = PostgresStore.defaultIngestBatchRows, ingestRollupCap: Int = PostgresStore.defaultIngestRollupCap) {
        self.ingestBatchRows = max(1, ingestBatchRows)
        self.ingestRollupCap = max(1, ingestRollupCap)
        self.url = url
        self.ingestRowByRow = ingestRowByRow
        self.clock = clock
        var l = Logger(label: "vpp.postgres")
        l.logLevel = .critical
        logger = l
        pool = ConnectionPool.shared(for: url, logger: l)
    }

    public convenience init(url text: String, clock: any WallClock = SystemWallClock(),
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.init(url: try PostgresURL(parsing: text, environment: environment), clock: clock)
    }

    /// This driver as the store the rest of vpp receives, every concern included (telemetry,
    /// alerts, OpenADR objects and forecast scoring: PostgresStore+<Concern>.swift).
    public var storage: Storage {
        var s = Storage(driver: self, clock: clock, location: url.redacted)
        s.telemetry = self; s.alerts = self; s.openADRObjects = self; s.scoring = self
        s.tryExclusiveLock = { name, sharedGuard in try await self.tryAdvisoryLock(name, sharedGuard: sharedGuard) }
        return s
    }

    /// Closes every pooled connection (the process may also just exit).
    public func close() async { await pool.closeAll() }

    // MARK: Running SQL

    /// Runs `body` on a pooled, migrated connection; errors are mapped to `CategorizedError`s.
    func withConnection<T: Sendable>(_ context: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let conn = try await pool.acquire(migrate: { c in try await PostgresMigrations.migrate(c, logger: self.logger) })
            do {
                let v = try await body(conn)
                await pool.release(conn)
                return v
            } catch {
                await pool.discard(conn, reusable: Self.connectionStillUsable(error))
                throw error
            }
        } catch {
            throw PostgresErrors.map(error, url: url, context: context)
        }
    }

    /// One transaction: BEGIN, `body`, COMMIT; anything thrown rolls back.
    func transaction<T: Sendable>(_ context: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection(context) { conn in
            try await conn.query("BEGIN", logger: logger)
            do {
                let v = try await body(conn)
                // A closed connection cannot commit (and postgres-nio would wait for a reply).
                if conn.isClosed {
                    throw VPPError(.temporary, "\(context): the connection to \(url.redacted) was dropped; nothing was committed, try again")
                }
                try await conn.query("COMMIT", logger: logger)
                return v
            } catch {
                if !conn.isClosed { _ = try? await conn.query("ROLLBACK", logger: logger) }
                throw error
            }
        }
    }

    /// Rows of a read query, each with columns addressable by name.
    func rows(_ q: PostgresQuery, _ context: String = "database read failed") async throws -> [PostgresRandomAccessRow] {
        try await withConnection(context) { conn in try await Self.rows(conn, q, logger: logger) }
    }

    static func rows(_ conn: PostgresConnection, _ q: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var out: [PostgresRandomAccessRow] = []
        for try await r in try await conn.query(q, logger: logger) { out.append(r.makeRandomAccess()) }
        return out
    }

    func exec(_ conn: PostgresConnection, _ q: PostgresQuery) async throws {
        try await conn.query(q, logger: logger)
    }

    func all(_ conn: PostgresConnection, _ q: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await Self.rows(conn, q, logger: logger)
    }

    private static func connectionStillUsable(_ error: Error) -> Bool {
        if let e = error as? PSQLError { return e.code == .server }
        return error is CategorizedError
    }
}

extension PostgresRandomAccessRow {
    /// The column `name` decoded as `T` (an absent column or a wrong type is an internal error).
    func v<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T {
        guard contains(name) else { throw VPPError(.internal, "PostgreSQL reply lacks column \(name)") }
        return try self[name].decode(T.self, context: .default)
    }
}

/// A `postgresql://` URL: where the store is, with the password kept out of every message.
public struct PostgresURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String

    /// Whether `text` selects the PostgreSQL driver (`postgresql://` or `postgres://`).
    public static func isPostgres(_ text: String) -> Bool {
        let l = text.lowercased()
        return l.hasPrefix("postgresql://") || l.hasPrefix("postgres://")
    }

    public init(user: String, password: String?, host: String, port: Int = 5432, database: String) {
        self.user = user; self.password = password; self.host = host; self.port = port; self.database = database
    }

    /// Parses `postgresql://user[:password]@host[:port]/database`; a missing password is taken
    /// from `$PGPASSWORD`, a missing user from `$PGUSER` (else `postgres`).
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgres(text), let c = URLComponents(string: text) else {
            throw VPPError(.usage, "not a PostgreSQL URL (expected postgresql://user@host:port/database)")
        }
        guard let host = c.host, !host.isEmpty else {
            throw VPPError(.usage, "PostgreSQL URL has no host (expected postgresql://user@host:port/database)")
        }
        let db = String(c.path.drop(while: { $0 == "/" }))
        guard !db.isEmpty, !db.contains("/") else {
            throw VPPError(.usage, "PostgreSQL URL names no database (expected postgresql://user@host:port/database)")
        }
        if let p = c.port, !(1...65535).contains(p) { throw VPPError(.usage, "PostgreSQL URL port \(p) is out of range 1–65535") }
        let user = c.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? environment["PGUSER"] ?? "postgres"
        let password = c.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
        self.init(user: user, password: password, host: host, port: c.port ?? 5432, database: db.removingPercentEncoding ?? db)
    }

    /// The URL without the password (for messages and `Storage.location`).
    public var redacted: String { "postgresql://\(user)@\(host):\(port)/\(database)" }

    /// The same server with another database (tests create and drop throw-away databases).
    public func with(database: String) -> PostgresURL {
        var u = self; u.database = database; return u
    }

    var configuration: PostgresConnection.Configuration {
        var c = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database,
                                                 tls: .disable)
        c.options.connectTimeout = .seconds(10)
        return c
    }
}

/// A small connection pool: idle connections are reused; a new one is opened when none is idle.
/// The first connection applies the migrations (once per process and store).
actor ConnectionPool {
    /// One pool per server, user and database for the life of the process: a connection must be
    /// closed before it is released (postgres-nio asserts it), and a CLI command drops its
    /// `Storage` without awaiting anything, so pooled connections live until `closeAll()` or exit.
    private static let registry = PoolRegistry()

    static func shared(for url: PostgresURL, logger: Logger) -> ConnectionPool {
        registry.pool(url.redacted + "#" + (url.password ?? "")) { ConnectionPool(url: url, logger: logger) }
    }

    let url: PostgresURL
    let logger: Logger
    private var idle: [PostgresConnection] = []
    private var migrated = false
    private var nextID = 0
    private let maxIdle = 8

    init(url: PostgresURL, logger: Logger) { self.url = url; self.logger = logger }

    func acquire(migrate: @Sendable (PostgresConnection) async throws -> Void) async throws -> PostgresConnection {
        while let c = idle.popLast() {
            if !c.isClosed { return c }
        }
        nextID += 1
        let conn = try await PostgresConnection.connect(configuration: url.configuration, id: nextID, logger: logger)
        if !migrated {
            do { try await migrate(conn) } catch {
                try? await conn.close()
                throw error
            }
            migrated = true
        }
        return conn
    }

    func release(_ c: PostgresConnection) async {
        if idle.count < maxIdle && !c.isClosed { idle.append(c) } else { try? await c.close() }
    }

    func discard(_ c: PostgresConnection, reusable: Bool) async {
        if reusable { await release(c) } else { try? await c.close() }
    }

    func closeAll() async {
        let all = idle
        idle = []
        for c in all { try? await c.close() }
    }
}

private final class PoolRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var pools: [String: ConnectionPool] = [:]

    func pool(_ key: String, make: () -> ConnectionPool) -> ConnectionPool {
        lock.lock()
        defer { lock.unlock() }
        if let p = pools[key] { return p }
        let p = make()
        pools[key] = p
        return p
    }
}

/// PostgreSQL failures as `CategorizedError`s: unreachable or dropped → `.temporary` (75, try
/// again); authentication failure or a missing database → `.unavailable` (69) naming host and
/// database; a conflict the server asks to retry (serialization, deadlock) → `.temporary`;
/// anything else `.internal` (70). The password never appears.
public enum PostgresErrors {
    public static func map(_ error: Error, url: PostgresURL, context: String) -> Error {
        if error is CategorizedError { return error }
        if let t = error as? PostgresTransactionError, let inner = t.closureError ?? t.commitError ?? t.beginError {
            return map(inner, url: url, context: context)
        }
        let place = "PostgreSQL at \(url.host):\(url.port), database \(url.database)"
        if let e = error as? PSQLError {
            switch e.code {
            case .connectionError:
                let why = e.underlying.map { " (\(describe($0)))" } ?? ""
                return VPPError(.temporary, "\(context): cannot connect to \(place)\(why); is the server running? try again")
            case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return VPPError(.temporary, "\(context): the connection to \(place) was dropped; nothing was committed, try again")
            case .server:
                let state = e.serverInfo?[.sqlState] ?? ""
                let message = e.serverInfo?[.message] ?? "server error"
                switch state {
                case "28P01", "28000":
                    return VPPError(.unavailable, "\(context): authentication failed for user \(url.user) at \(place)")
                case "3D000":
                    return VPPError(.unavailable, "\(context): database \(url.database) does not exist on \(url.host):\(url.port)")
                // 23505: a unique key written by a concurrent transaction first (every other duplicate is
                // prevented under a lock), so the retry sees it.
                case "40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300", "08006", "08001", "08004", "23505":
                    return VPPError(.temporary, "\(context): \(place) asks to try again (\(state): \(message))")
                default:
                    return VPPError(.internal, "\(context): \(message) (SQLSTATE \(state), \(place))")
                }
            case .authMechanismRequiresPassword:
                return VPPError(.unavailable, "\(context): \(place) requires a password for user \(url.user) (give it in the URL or $PGPASSWORD)")
            case .unsupportedAuthMechanism, .saslError:
                return VPPError(.unavailable, "\(context): authentication with \(place) failed for user \(url.user)")
            default:
                return VPPError(.internal, "\(context): \(e.code) talking to \(place)")
            }
        }
        if error is IOError || error is ChannelError || error is NIOConnectionError {
            return VPPError(.temporary, "\(context): cannot reach \(place) (\(describe(error))); try again")
        }
        if error is PostgresDecodingError {
            return VPPError(.internal, "\(context): unexpected reply from \(place) (\(describe(error)))")
        }
        // The caller's own errors (a reader's IngestError, AuthError, …) pass unchanged.
        return error
    }

    private static func describe(_ e: Error) -> String {
        if let io = e as? IOError { return io.description }
        return String(describing: e)
    }
}

// MARK: Throw-away databases (tests and benchmarks)

extension PostgresStore {
    /// Runs one statement on `url`'s database (no migrations): CREATE / DROP DATABASE for tests
    /// and benchmarks. `sql` must not come from input.
    static func admin(_ url: PostgresURL, _ sql: String) async throws {
        var l = Logger(label: "vpp.postgres.admin")
        l.logLevel = .critical
        do {
            let c = try await PostgresConnection.connect(configuration: url.configuration, id: 0, logger: l)
            do { try await c.query(PostgresQuery(unsafeSQL: sql), logger: l) } catch {
                try? await c.close()
                throw error
            }
            try await c.close()
        } catch {
            throw PostgresErrors.map(error, url: url, context: "database administration")
        }
    }

    /// Creates a new empty database `name` (lowercase letters, digits and `_` only) on the server of `url`.
    public static func createDatabase(_ name: String, on url: PostgresURL) async throws {
        try checkName(name)
        try await admin(url, "CREATE DATABASE \(name)")
    }

    /// Drops database `name` (closing its other sessions) on the server of `url`.
    public static func dropDatabase(_ name: String, on url: PostgresURL) async throws {
        try checkName(name)
        try await admin(url, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Ends every other session on database `name` (`pg_terminate_backend`): fault tests drop a
    /// connection mid-ingest with it.
    public static func terminateSessions(of name: String, on url: PostgresURL) async throws {
        try checkName(name)
        try await admin(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()")
    }

    private static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }) else {
            throw VPPError(.usage, "database name '\(name)' must be 1–63 lowercase letters, digits or _")
        }
    }
}

extension PostgresStore {
    /// For `vpp bench pg-ingest`: streams a file of COPY text rows into `reading` through this
    /// driver's connection alone (no parsing, no checks, no rollups), in `chunkBytes` pieces —
    /// what the driver's transport costs, next to the full ingest and `psql \copy`.
    public func benchRawCopy(file: String, chunkBytes: Int = 256 * 1024) async throws {
        guard let fh = FileHandle(forReadingAtPath: file) else { throw VPPError(.noInput, "\(file): cannot open") }
        defer { try? fh.close() }
        try await withConnection("raw COPY") { conn in
            try await conn.copyFrom(table: "reading", columns: ["asset_key", "slot_start", "duration_s", "energy_wh", "quality", "upload_id"],
                                    logger: logger) { w in
                while let d = try fh.read(upToCount: chunkBytes), !d.isEmpty {
                    try await w.write(ByteBuffer(bytes: d))
                }
            }
        }
    }
}
