import Foundation
import Testing
@testable import VPPServer
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport

/// `POST /api/v1/telemetry` and battery tokens (issue 12): a battery token writes only its own
/// batteries' telemetry; another battery's row refuses the whole file (403, nothing ingested);
/// office tokens post no telemetry; operators post for any battery.
@Suite("TelemetryAuthTests", .serialized)
struct TelemetryAuthTests {
    static func csv(_ rows: [(String, String, Double, Double)]) -> [UInt8] {
        Array((["battery_id,time_kst,soc_kwh,power_kw"] + rows.map { "\($0.0),\($0.1),\($0.2),\($0.3)" }).joined(separator: "\n").utf8)
    }

    func post(_ s: LiveServer, _ body: [UInt8], token: String, path: String = "/api/v1/telemetry") async throws -> HTTPReply {
        try await LoopbackHTTP.async(port: s.port, method: "POST", path: path,
                                     headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(token)")], body: body)
    }

    @Test func battery_token_writes_only_its_own_batteries() async throws {
        let s = try await LiveServer.start()
        defer { Task { await s.stop() } }
        let battery = try await s.store.createToken(role: .battery, office: nil, complexes: ["cheonyeon-ess"]).text

        let own = try await post(s, Self.csv([("cheonyeon-ess", "2024-07-01 10:00", 200, -50), ("cheonyeon-ess", "2024-07-01 10:15", 212, -50)]),
                                 token: battery)
        #expect(own.status == 201)
        #expect(own.json?["rows_accepted"] as? Int == 2 && own.json?["kind"] as? String == "telemetry")

        // Another battery's row, alone or mixed with its own: 403 and nothing ingested.
        let other = try await post(s, Self.csv([("bugahyeon-ess", "2024-07-01 10:00", 100, 0)]), token: battery)
        #expect(other.status == 403 && other.errorCode == "forbidden")
        let mixed = try await post(s, Self.csv([("cheonyeon-ess", "2024-07-01 10:30", 220, 0), ("bugahyeon-ess", "2024-07-01 10:30", 100, 0)]),
                                   token: battery)
        #expect(mixed.status == 403 && mixed.text.contains("bugahyeon-ess"))
        let stored = try await s.store.telemetrySeries(batteryIDs: [], from: 0, to: Int64.max)
        #expect(stored.map(\.batteryID) == ["cheonyeon-ess", "cheonyeon-ess"])

        // The generic upload route holds a battery token to the same scope, and to telemetry only.
        let viaUploads = try await post(s, Self.csv([("bugahyeon-ess", "2024-07-01 11:00", 100, 0)]), token: battery,
                                        path: "/api/v1/uploads?kind=telemetry")
        #expect(viaUploads.status == 403 && viaUploads.errorCode == "forbidden")
        let monthly = try await post(s, ServerFixtures.monthlyCSV(), token: battery, path: "/api/v1/uploads?kind=monthly&month=2025-08")
        #expect(monthly.status == 403 && monthly.errorCode == "forbidden")

        // Office tokens post no telemetry (this route or the upload route); operators post for any battery.
        let office = try await post(s, Self.csv([("cheonyeon-ess", "2024-07-01 11:00", 230, 0)]), token: s.officeToken)
        #expect(office.status == 403 && office.errorCode == "forbidden")
        let officeUpload = try await post(s, Self.csv([("cheonyeon-ess", "2024-07-01 11:00", 230, 0)]), token: s.officeToken,
                                          path: "/api/v1/uploads?kind=telemetry")
        #expect(officeUpload.status == 403)
        let op = try await post(s, Self.csv([("bugahyeon-ess", "2024-07-01 11:00", 100, 0)]), token: s.operatorToken)
        #expect(op.status == 201 && op.json?["rows_accepted"] as? Int == 1)

        // Bad rows are rejects with reasons (SoC above the 400 kWh capacity), the others land.
        let bad = try await post(s, Self.csv([("cheonyeon-ess", "2024-07-01 12:00", 401, 0), ("cheonyeon-ess", "2024-07-01 12:15", 240, 0)]),
                                 token: battery)
        #expect(bad.status == 201 && bad.json?["rows_rejected"] as? Int == 1)
        #expect(bad.text.contains("capacity_kwh of cheonyeon-ess"))

        let audit = try await s.store.auditLog(limit: 100)
        #expect(audit.contains { $0.action == "upload.denied" && $0.actor.hasPrefix("battery:cheonyeon-ess:") })
    }

    @Test func battery_tokens_name_known_batteries() async throws {
        let (store, dir) = try TestStore.make()
        defer { TempDirectory.remove(dir) }
        _ = try await store.loadSite(SiteBuilder.tiny())
        await #expect { _ = try await store.createToken(role: .battery, office: nil, complexes: ["meter-0"]) } throws: { e in
            (e as? AuthError)?.description.contains("unknown battery id(s) meter-0") == true
        }
        await #expect { _ = try await store.createToken(role: .battery, office: nil, complexes: []) } throws: { e in
            (e as? AuthError)?.description.contains("--battery") == true
        }
        let t = try await store.createToken(role: .battery, office: nil, complexes: ["ess-1", "ess-0"])
        #expect(t.info.role == .battery && t.info.complexes == ["ess-0", "ess-1"])
        let p = try await store.authenticate(token: t.text)
        #expect(p.role == .battery && p.complexes == ["ess-0", "ess-1"])
    }
}
