import Foundation
import Testing
@testable import VPPServer
import VPPStore
import VPPCore
import VPPTestSupport

/// The API payload types (VPPStore/API) against the OpenAPI document, and the CLI's JSON against
/// the API's for the same resource (issue 10, item 5).
@Suite("API payloads")
struct APIPayloadTests {
    static func object(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try APIJSON.encode(value).utf8), options: [.fragmentsAllowed])
    }

    static var document: [String: Any] {
        get throws { try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any]) }
    }

    /// Follows `$ref` and the first non-null branch of `oneOf`.
    static func resolve(_ schema: [String: Any], _ schemas: [String: Any]) -> [String: Any] {
        if let ref = schema["$ref"] as? String, let name = ref.split(separator: "/").last,
           let target = schemas[String(name)] as? [String: Any] {
            return resolve(target, schemas)
        }
        if let branches = schema["oneOf"] as? [[String: Any]],
           let first = branches.first(where: { ($0["type"] as? String) != "null" }) {
            return resolve(first, schemas)
        }
        return schema
    }

    /// Keys `value` has that `schema` does not document, at any depth ("path.key").
    static func undocumented(_ value: Any, _ schema: [String: Any], _ schemas: [String: Any], path: String) -> [String] {
        let s = resolve(schema, schemas)
        if let dict = value as? [String: Any], let props = s["properties"] as? [String: Any] {
            var out: [String] = []
            for (k, v) in dict {
                guard let p = props[k] as? [String: Any] else { out.append("\(path).\(k)"); continue }
                out += undocumented(v, p, schemas, path: "\(path).\(k)")
            }
            return out
        }
        if let array = value as? [Any], let items = s["items"] as? [String: Any] {
            return array.prefix(1).flatMap { undocumented($0, items, schemas, path: "\(path)[]") }
        }
        return []
    }

    @Test func openAPISchemasMatchThePayloadTypes() async throws {
        let components = try #require(try Self.document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let examples = OpenAPIDocument.schemaExamples
        #expect(Set(schemas.keys) == Set(examples.keys), "every schema has a payload type and every payload type a schema")
        for (name, values) in examples {
            let schema = try #require(schemas[name] as? [String: Any], "\(name)")
            let documented = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
            var sent = Set<String>()
            for value in values {
                let json = try Self.object(value)
                let keys = Set((json as? [String: Any] ?? [:]).keys)
                sent.formUnion(keys)
                // Nothing encoded that the document does not name, at any depth.
                #expect(Self.undocumented(json, schema, schemas, path: name) == [], "\(name)")
            }
            // Nothing documented that the type never sends.
            #expect(documented == sent, "\(name): documented \(documented.sorted()) vs encoded \(sent.sorted())")
        }
    }

    @Test func responsesReferenceTheSchemas() async throws {
        let paths = try #require(try Self.document["paths"] as? [String: Any])
        for path in ["/api/v1/dongs", "/api/v1/dongs/{code}/series", "/api/v1/forecasts", "/api/v1/schedules/latest", "/api/v1/audit",
                     "/api/v1/uploads/{id}", "/api/v1/uploads/{id}/rejects"] {
            let get = try #require((paths[path] as? [String: Any])?["get"] as? [String: Any], "\(path)")
            let ok = try #require((get["responses"] as? [String: Any])?["200"] as? [String: Any], "\(path)")
            let schema = ((ok["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
            let ref = schema?["$ref"] as? String ?? ""
            #expect(ref.hasPrefix("#/components/schemas/"), "\(path) names its payload schema")
            let schemas = (try Self.document["components"] as? [String: Any])?["schemas"] as? [String: Any]
            #expect(schemas?[String(ref.dropFirst("#/components/schemas/".count))] != nil, "\(path): \(ref) exists")
        }
    }

    @Test func oneNamingConvention() async throws {
        let dong = try #require(OpenAPIDocument.schemaExamples["Dong"]?.first)
        let keys = Set((try Self.object(dong) as? [String: Any] ?? [:]).keys)
        #expect(keys == ["code", "name_ko", "name", "households", "pv_kwp", "mini_solar_units", "battery_kwh", "battery_kw", "meters"])
        // Every encoded key of every payload is lower snake_case.
        for (name, values) in OpenAPIDocument.schemaExamples {
            for v in values {
                for k in (try Self.object(v) as? [String: Any] ?? [:]).keys {
                    #expect(k.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name).\(k)")
                }
            }
        }
    }

    /// `vpp site show --format json` and `GET /api/v1/dongs` give the same rows with the same keys.
    @Test func cliAndAPIDongsUseTheSameKeys() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let api = try await s.get("/api/v1/dongs", token: s.operatorToken)
        #expect(api.status == 200)
        let apiRows = try #require(api.json?["dongs"] as? [[String: Any]])
        let db = s.store.path
        let cli = try await CLITests().run(["site", "show", "--db", db, "--format", "json"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let cliRows = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [[String: Any]])
        #expect(cliRows.count == 14 && apiRows.count == 14)
        #expect(Set(cliRows[0].keys) == Set(apiRows[0].keys))
        #expect(cliRows[0]["pv_kwp"] != nil && apiRows[0]["pv_kwp"] != nil)
        #expect(cliRows.map { $0["code"] as? String } == apiRows.map { $0["code"] as? String })
        // The CSV header names the same columns ("dong" is the CSV's column for name_ko).
        let csv = try await CLITests().run(["site", "show", "--db", db, "--format", "csv"])
        let header = Set(csv.stdout.split(separator: "\n")[0].split(separator: ",").map(String.init))
        #expect(header.subtracting(["dong"]).isSubset(of: Set(apiRows[0].keys)))
    }

    /// `vpp tokens audit --format json` is the body of `GET /api/v1/audit`.
    @Test func cliAndAPIAuditUseTheSameKeys() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let api = try await s.get("/api/v1/audit?limit=5", token: s.operatorToken)
        let apiEvents = try #require(api.json?["events"] as? [[String: Any]])
        let cli = try await CLITests().run(["tokens", "audit", "--db", s.store.path, "--limit", "5", "--format", "json"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let cliObject = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        let cliEvents = try #require(cliObject["events"] as? [[String: Any]])
        #expect(!apiEvents.isEmpty && !cliEvents.isEmpty)
        #expect(Set(cliEvents.flatMap(\.keys)) == Set(apiEvents.flatMap(\.keys)))
    }

    /// `vpp uploads show ID --format json` is the body of `GET /api/v1/uploads/{id}/rejects`, and
    /// `vpp uploads list --format json` rows use the same names.
    @Test func cliAndAPIUploadUseTheSameKeys() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let form = LoopbackHTTP.multipart(fields: [("kind", "monthly"), ("month", "2025-08"), ("complex", "cheonyeon-apt")],
                                          fileName: "2025-08.csv", fileBytes: ServerFixtures.monthlyCSV(rows: 10, bad: 2))
        let up = try await LoopbackHTTP.async(port: s.port, method: "POST", path: "/api/v1/uploads",
                                              headers: [("Content-Type", form.contentType), ("Authorization", "Bearer \(s.officeToken)")],
                                              body: form.body)
        let id = try #require(up.json?["upload_id"] as? Int, "\(up.text)")
        let api = try await s.get("/api/v1/uploads/\(id)/rejects", token: s.operatorToken)
        let apiObject = try #require(api.json)
        let show = try await CLITests().run(["uploads", "show", String(id), "--db", s.store.path, "--format", "json"])
        #expect(show.status == 0, "\(show.stderr)")
        let cliObject = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(Set(cliObject.keys) == Set(apiObject.keys))
        let cliRejects = try #require(cliObject["rejects"] as? [[String: Any]])
        let apiRejects = try #require(apiObject["rejects"] as? [[String: Any]])
        #expect(cliRejects.count == 2 && Set(cliRejects[0].keys) == Set(apiRejects[0].keys))
        let list = try await CLITests().run(["uploads", "list", "--db", s.store.path, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first)
        #expect(Set(row.keys).isSubset(of: Set(apiObject.keys)), "\(row.keys.sorted()) vs \(apiObject.keys.sorted())")
        #expect(row["upload_id"] as? Int == id && row["rows_rejected"] as? Int == 2)
    }
}
