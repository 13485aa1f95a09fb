import Foundation
import GRDB
import VPPCore
import VPPStore

/// SQL for the OpenADR 3 VTN objects (issue 13) and the VEN report samples.
extension SQLiteStore: OpenADRStore {
    public func insertOpenADR(_ r: OpenADRObjectRecord) async throws {
        try await write { db in try Self.insertObject(db, r) }
    }

    public func updateOpenADR(_ r: OpenADRObjectRecord) async throws -> OpenADRObjectRecord {
        try await write { db in
            guard let old = try Self.fetchObject(db, kind: r.kind, id: r.id) else {
                throw OpenADRStoreError(.notFound, "no \(r.kind.rawValue.lowercased()) with id \(r.id)")
            }
            var new = r
            new.createdAt = old.createdAt
            new.modificationNumber = old.modificationNumber + 1
            new.sourceKey = old.sourceKey
            try Self.updateObject(db, new)
            return new
        }
    }

    public func deleteOpenADR(kind: OpenADRKind, id: String) async throws -> OpenADRObjectRecord? {
        try await write { db in
            guard let old = try Self.fetchObject(db, kind: kind, id: id) else { return nil }
            if kind == .ven {
                try db.execute(sql: "DELETE FROM openadr_object WHERE kind = 'RESOURCE' AND ven_id = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM openadr_object WHERE id = ?", arguments: [id])
            return old
        }
    }

    public func openADRObject(kind: OpenADRKind, id: String) async throws -> OpenADRObjectRecord? {
        try await read { db in try Self.fetchObject(db, kind: kind, id: id) }
    }

    public func openADRObjects(_ q: OpenADRQuery) async throws -> [OpenADRObjectRecord] {
        try await read { db in
            var sql = "SELECT o.*, \(Self.targetsColumn) FROM openadr_object o WHERE o.kind = ?"
            var args: [(any DatabaseValueConvertible)?] = [q.kind.rawValue]
            if let v = q.programID { sql += " AND o.program_id = ?"; args.append(v) }
            if let v = q.venID { sql += " AND o.ven_id = ?"; args.append(v) }
            if let v = q.clientID { sql += " AND o.client_id = ?"; args.append(v) }
            if let v = q.name { sql += " AND o.name = ?"; args.append(v) }
            if let ts = q.targetsAny {
                var clause = ts.isEmpty ? "0" : "EXISTS (SELECT 1 FROM openadr_target t WHERE t.object_id = o.id AND t.target IN ("
                    + Array(repeating: "?", count: ts.count).joined(separator: ", ") + "))"
                for t in ts { args.append(t) }
                if q.untargetedToo { clause = "(\(clause) OR NOT EXISTS (SELECT 1 FROM openadr_target t2 WHERE t2.object_id = o.id))" }
                sql += " AND " + clause
            }
            sql += " ORDER BY o.created_at, o.rowid LIMIT ? OFFSET ?"
            args.append(q.limit); args.append(q.skip)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { try Self.record(db, $0) }
        }
    }

    public func publishOpenADR(_ items: [OpenADRObjectRecord],
                               makeBody: @Sendable (OpenADRObjectRecord) throws -> Data) async throws
        -> [(record: OpenADRObjectRecord, created: Bool)]
    {
        try await write { db in
            var out: [(record: OpenADRObjectRecord, created: Bool)] = []
            for item in items {
                var r = item
                if let key = item.sourceKey,
                   let row = try Row.fetchOne(db, sql: "SELECT o.*, \(Self.targetsColumn) FROM openadr_object o WHERE source_key = ?",
                                              arguments: [key]) {
                    let old = try Self.record(db, row)
                    r.id = old.id; r.createdAt = old.createdAt; r.modificationNumber = old.modificationNumber + 1
                    r.body = try makeBody(r)
                    try Self.updateObject(db, r)
                    out.append((r, false))
                } else {
                    r.body = try makeBody(r)
                    try Self.insertObject(db, r)
                    out.append((r, true))
                }
            }
            return out
        }
    }

    // MARK: - Rows

    /// An object's targets in one column (unit separator between them), so a list is one query.
    static let targetsColumn = "(SELECT group_concat(t.target, char(31)) FROM openadr_target t WHERE t.object_id = o.id) AS targets_joined"

    private static func insertObject(_ db: Database, _ r: OpenADRObjectRecord) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM openadr_object WHERE id = ?", arguments: [r.id]) == true {
            throw OpenADRStoreError(.conflict, "an object with id \(r.id) exists")
        }
        if let n = r.name, try Bool.fetchOne(db, sql: "SELECT 1 FROM openadr_object WHERE kind = ? AND name = ?",
                                             arguments: [r.kind.rawValue, n]) == true {
            throw OpenADRStoreError(.conflict, "a \(r.kind.rawValue.lowercased()) named \(n) exists")
        }
        try db.execute(sql: """
            INSERT INTO openadr_object (id, kind, program_id, ven_id, client_id, name, body_json, created_at, modified_at,
                                        modification_number, source_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [r.id, r.kind.rawValue, r.programID, r.venID, r.clientID, r.name, String(decoding: r.body, as: UTF8.self),
                             r.createdAt, r.modifiedAt, r.modificationNumber, r.sourceKey])
        try insertTargets(db, r)
    }

    private static func updateObject(_ db: Database, _ r: OpenADRObjectRecord) throws {
        if let n = r.name, try Bool.fetchOne(db, sql: "SELECT 1 FROM openadr_object WHERE kind = ? AND name = ? AND id <> ?",
                                             arguments: [r.kind.rawValue, n, r.id]) == true {
            throw OpenADRStoreError(.conflict, "a \(r.kind.rawValue.lowercased()) named \(n) exists")
        }
        try db.execute(sql: """
            UPDATE openadr_object SET program_id = ?, ven_id = ?, client_id = ?, name = ?, body_json = ?, modified_at = ?,
              modification_number = ? WHERE id = ?
            """, arguments: [r.programID, r.venID, r.clientID, r.name, String(decoding: r.body, as: UTF8.self), r.modifiedAt,
                             r.modificationNumber, r.id])
        try db.execute(sql: "DELETE FROM openadr_target WHERE object_id = ?", arguments: [r.id])
        try insertTargets(db, r)
    }

    private static func insertTargets(_ db: Database, _ r: OpenADRObjectRecord) throws {
        for t in Set(r.targets) {
            try db.execute(sql: "INSERT INTO openadr_target (object_id, target) VALUES (?, ?)", arguments: [r.id, t])
        }
    }

    private static func fetchObject(_ db: Database, kind: OpenADRKind, id: String) throws -> OpenADRObjectRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT o.*, \(Self.targetsColumn) FROM openadr_object o WHERE id = ? AND kind = ?",
                                         arguments: [id, kind.rawValue]) else {
            return nil
        }
        return try record(db, row)
    }

    private static func record(_ db: Database, _ row: Row) throws -> OpenADRObjectRecord {
        _ = db
        let id: String = row["id"]
        let kindText: String = row["kind"]
        guard let kind = OpenADRKind(rawValue: kindText) else { throw VPPError(.internal, "openadr_object \(id): unknown kind \(kindText)") }
        let joined: String? = row["targets_joined"]
        let targets = joined.map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: true).map(String.init).sorted() } ?? []
        let body: String = row["body_json"]
        return OpenADRObjectRecord(id: id, kind: kind, programID: row["program_id"], venID: row["ven_id"], clientID: row["client_id"],
                                   name: row["name"], targets: targets, body: Data(body.utf8), createdAt: row["created_at"],
                                   modifiedAt: row["modified_at"], modificationNumber: row["modification_number"],
                                   sourceKey: row["source_key"])
    }
}
