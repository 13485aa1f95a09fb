import Foundation
import GRDB
import VPPCore
import VPPStore

extension SQLiteStore: CityStore {
    /// Every loaded site (the `site` table), by id.
    public func loadedSites() async throws -> [LoadedSite] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, name_ko, sigungu_code, loaded_at FROM site ORDER BY id").map {
                LoadedSite(id: $0["id"], name: $0["name"], nameKo: $0["name_ko"], sigunguCode: $0["sigungu_code"], loadedAt: $0["loaded_at"])
            }
        }
    }
}
