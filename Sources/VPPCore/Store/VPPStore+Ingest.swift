import Foundation
import GRDB

extension VPPStore {
    /// The id of the upload that holds this idempotency key (`UploadKey.key`), if any.
    public func uploadID(idempotencyKey key: String) throws -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT id FROM upload WHERE idempotency_key = ?", arguments: [key]) }
    }

    /// Active assets of the loaded site(s), as ingestion resolves meter ids against them.
    public func assetDirectory() throws -> AssetDirectory {
        let rows: [(id: String, dong: String, kind: String, paramsJSON: String)] = try read { db in
            try Row.fetchAll(db, sql: "SELECT id, dong_code, kind, params_json FROM asset WHERE active = 1").map {
                (id: $0["id"], dong: $0["dong_code"], kind: $0["kind"], paramsJSON: $0["params_json"])
            }
        }
        let limits: [String: Double] = try read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT code, import_limit_kw FROM dong").map { ($0["code"], $0["import_limit_kw"]) },
                       uniquingKeysWith: { a, _ in a })
        }
        return AssetDirectory(rows: rows, dongImportLimitKW: limits)
    }

    /// Ingests one file (see `Ingestor`).
    public func ingest(file: String, options: IngestOptions) throws -> IngestReport {
        try Ingestor(store: self).ingest(file: file, options: options)
    }
}
