import Foundation
import PostgresNIO
import VPPCore
import VPPStore

/// The OpenADR 3 VTN objects (issue 13) on PostgreSQL, as the SQLite driver
/// (SQLiteStore+OpenADR.swift): each object's API JSON with the columns the API filters on,
/// targets in their own table. VEN report samples are battery telemetry (PostgresStore+Telemetry.swift).
extension PostgresStore: OpenADRStore {
    public func insertOpenADR(_ r: OpenADRObjectRecord) async throws {
        try await transaction("OpenADR write failed") { conn in try await self.insertObject(conn, r) }
    }

    public func updateOpenADR(_ r: OpenADRObjectRecord) async throws -> OpenADRObjectRecord {
        try await transaction("OpenADR write failed") { conn in
            guard let old = try await self.fetchObject(conn, kind: r.kind, id: r.id, lock: true) else {
                throw OpenADRStoreError(.notFound, "no \(r.kind.rawValue.lowercased()) with id \(r.id)")
            }
            var new = r
            new.createdAt = old.createdAt
            new.modificationNumber = old.modificationNumber + 1
            new.sourceKey = old.sourceKey
            try await self.updateObject(conn, new)
            return new
        }
    }

    public func deleteOpenADR(kind: OpenADRKind, id: String) async throws -> OpenADRObjectRecord? {
        try await transaction("OpenADR write failed") { conn in
            guard let old = try await self.fetchObject(conn, kind: kind, id: id, lock: true) else { return nil }
            if kind == .ven {
                try await self.exec(conn, "DELETE FROM openadr_object WHERE kind = 'RESOURCE' AND ven_id = \(id)")
            }
            try await self.exec(conn, "DELETE FROM openadr_object WHERE id = \(id)")
            return old
        }
    }

    public func openADRObject(kind: OpenADRKind, id: String) async throws -> OpenADRObjectRecord? {
        try await withConnection("database read failed") { conn in try await self.fetchObject(conn, kind: kind, id: id, lock: false) }
    }

    public func openADRObjects(_ q: OpenADRQuery) async throws -> [OpenADRObjectRecord] {
        // Nil members do not filter; an empty `targetsAny` matches no target (only untargeted objects
        // when `untargetedToo`).
        let filterTargets = q.targetsAny != nil
        let targets = q.targetsAny ?? []
        return try await rows("""
            SELECT o.*, \(unescaped: Self.targetsColumn) FROM openadr_object o
            WHERE o.kind = \(q.kind.rawValue)
              AND (\(q.programID)::TEXT IS NULL OR o.program_id = \(q.programID))
              AND (\(q.venID)::TEXT IS NULL OR o.ven_id = \(q.venID))
              AND (\(q.clientID)::TEXT IS NULL OR o.client_id = \(q.clientID))
              AND (\(q.name)::TEXT IS NULL OR o.name = \(q.name))
              AND (NOT \(filterTargets)
                   OR EXISTS (SELECT 1 FROM openadr_target t WHERE t.object_id = o.id AND t.target = ANY(\(targets)::TEXT[]))
                   OR (\(q.untargetedToo) AND NOT EXISTS (SELECT 1 FROM openadr_target t2 WHERE t2.object_id = o.id)))
            ORDER BY o.created_at, o.seq LIMIT \(Int64(max(0, q.limit))) OFFSET \(Int64(max(0, q.skip)))
            """).map(Self.openADRRecord)
    }

    public func publishOpenADR(_ items: [OpenADRObjectRecord],
                               makeBody: @Sendable (OpenADRObjectRecord) throws -> Data) async throws
        -> [(record: OpenADRObjectRecord, created: Bool)]
    {
        try await transaction("OpenADR publish failed, nothing published") { conn in
            var out: [(record: OpenADRObjectRecord, created: Bool)] = []
            for item in items {
                var r = item
                if let key = item.sourceKey,
                   let row = try await self.all(conn, """
                       SELECT o.*, \(unescaped: Self.targetsColumn) FROM openadr_object o WHERE source_key = \(key) FOR UPDATE
                       """).first {
                    let old = try Self.openADRRecord(row)
                    r.id = old.id; r.createdAt = old.createdAt; r.modificationNumber = old.modificationNumber + 1
                    r.body = try makeBody(r)
                    try await self.updateObject(conn, r)
                    out.append((r, false))
                } else {
                    r.body = try makeBody(r)
                    try await self.insertObject(conn, r)
                    out.append((r, true))
                }
            }
            return out
        }
    }

    // MARK: - Rows

    /// An object's targets as one array column, so a list is one query.
    static let targetsColumn = "ARRAY(SELECT t.target FROM openadr_target t WHERE t.object_id = o.id ORDER BY t.target) AS targets"

    private func insertObject(_ conn: PostgresConnection, _ r: OpenADRObjectRecord) async throws {
        if try await !all(conn, "SELECT 1 AS one FROM openadr_object WHERE id = \(r.id)").isEmpty {
            throw OpenADRStoreError(.conflict, "an object with id \(r.id) exists")
        }
        if let n = r.name, try await !all(conn, "SELECT 1 AS one FROM openadr_object WHERE kind = \(r.kind.rawValue) AND name = \(n)").isEmpty {
            throw OpenADRStoreError(.conflict, "a \(r.kind.rawValue.lowercased()) named \(n) exists")
        }
        let body = String(decoding: r.body, as: UTF8.self)
        try await exec(conn, """
            INSERT INTO openadr_object (id, kind, program_id, ven_id, client_id, name, body_json, created_at, modified_at,
                                        modification_number, source_key)
            VALUES (\(r.id), \(r.kind.rawValue), \(r.programID), \(r.venID), \(r.clientID), \(r.name), \(body),
                    \(r.createdAt), \(r.modifiedAt), \(Int64(r.modificationNumber)), \(r.sourceKey))
            """)
        try await insertTargets(conn, r)
    }

    private func updateObject(_ conn: PostgresConnection, _ r: OpenADRObjectRecord) async throws {
        if let n = r.name, try await !all(conn, """
            SELECT 1 AS one FROM openadr_object WHERE kind = \(r.kind.rawValue) AND name = \(n) AND id <> \(r.id)
            """).isEmpty {
            throw OpenADRStoreError(.conflict, "a \(r.kind.rawValue.lowercased()) named \(n) exists")
        }
        let body = String(decoding: r.body, as: UTF8.self)
        try await exec(conn, """
            UPDATE openadr_object SET program_id = \(r.programID), ven_id = \(r.venID), client_id = \(r.clientID), name = \(r.name),
              body_json = \(body), modified_at = \(r.modifiedAt), modification_number = \(Int64(r.modificationNumber))
            WHERE id = \(r.id)
            """)
        try await exec(conn, "DELETE FROM openadr_target WHERE object_id = \(r.id)")
        try await insertTargets(conn, r)
    }

    private func insertTargets(_ conn: PostgresConnection, _ r: OpenADRObjectRecord) async throws {
        let targets = Array(Set(r.targets)).sorted()
        guard !targets.isEmpty else { return }
        try await exec(conn, "INSERT INTO openadr_target (object_id, target) SELECT \(r.id), t FROM unnest(\(targets)::TEXT[]) AS t")
    }

    private func fetchObject(_ conn: PostgresConnection, kind: OpenADRKind, id: String, lock: Bool) async throws -> OpenADRObjectRecord? {
        guard let row = try await all(conn, """
            SELECT o.*, \(unescaped: Self.targetsColumn) FROM openadr_object o WHERE id = \(id) AND kind = \(kind.rawValue)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """).first else { return nil }
        return try Self.openADRRecord(row)
    }

    private static func openADRRecord(_ row: PostgresRandomAccessRow) throws -> OpenADRObjectRecord {
        let id: String = try row.v("id")
        let kindText: String = try row.v("kind")
        guard let kind = OpenADRKind(rawValue: kindText) else { throw VPPError(.internal, "openadr_object \(id): unknown kind \(kindText)") }
        let body: String = try row.v("body_json")
        return OpenADRObjectRecord(id: id, kind: kind, programID: try row.v("program_id"), venID: try row.v("ven_id"),
                                   clientID: try row.v("client_id"), name: try row.v("name"),
                                   targets: try row.v("targets", [String].self), body: Data(body.utf8),
                                   createdAt: try row.v("created_at"), modifiedAt: try row.v("modified_at"),
                                   modificationNumber: Int(try row.v("modification_number", Int64.self)),
                                   sourceKey: try row.v("source_key"))
    }
}
