import Foundation
import VPPCore
import VPPStore
import VPPStorePostgres
import VPPStoreSQLite

/// The one place the CLI and the server open a store (issue 14): `postgresql://…` (or
/// `postgres://…`) selects the PostgreSQL driver; anything else is a SQLite file path.
enum StoreOpener {
    static func open(_ location: String, clock: any WallClock = SystemWallClock()) throws -> Storage {
        if PostgresURL.isPostgres(location) {
            return try PostgresStore(url: location, clock: clock).storage
        }
        return try SQLiteStore(path: location, clock: clock).storage
    }
}
