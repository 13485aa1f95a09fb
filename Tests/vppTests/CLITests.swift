import Foundation
import Testing
import VPPBenchmarks
@testable import Ingestion
@testable import VPPAuth
@testable import VPPServer
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPTestSupport

/// End-to-end tests of the built `vpp` binary: stdout, stderr and exit codes.
@Suite("CLI")
struct CLITests {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static var binary: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for dir in candidates {
            let url = dir.appendingPathComponent("vpp")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("vpp")
    }

    /// Runs the built binary in `cwd` (default: the package root); `environment` entries are set,
    /// or removed when nil. The test's task waits without holding a cooperative thread
    /// (`ChildProcess`), so CLI runs do not starve the in-process servers of other tests.
    func run(_ args: [String], environment: [String: String?] = [:], cwd: URL = Paths.packageRoot) async throws -> Result {
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        p.currentDirectoryURL = cwd
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let r = try await ChildProcess.run(p)
        return Result(status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self), stderr: String(decoding: r.stderr, as: UTF8.self))
    }

    @Test func validateLoadShowInfo() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let db = dir.appendingPathComponent("cli.sqlite").path
        let v = try await run(["site", "validate", "site-configs/seodaemun.toml"])
        #expect(v.status == 0)
        #expect(v.stdout.contains("14 dongs"))
        let l1 = try await run(["site", "load", "--db", db, "site-configs/seodaemun.toml"])
        #expect(l1.status == 0)
        #expect(l1.stdout.contains("85 change(s)"))
        let l2 = try await run(["site", "load", "site-configs/seodaemun.toml"], environment: ["VPP_DB": db])   // $VPP_DB
        #expect(l2.status == 0)
        #expect(l2.stdout.contains("unchanged"))
        let show = try await run(["site", "show", "--db", db, "--format", "csv"])
        #expect(show.status == 0)
        let lines = show.stdout.split(separator: "\n")
        #expect(lines.count == 15)
        #expect(lines[0] == "code,dong,name,households,pv_kwp,mini_solar_units,battery_kwh,battery_kw,meters")
        #expect(lines[1].hasPrefix("1141052000,천연동,Cheonyeon-dong,7768,"))
        let json = try await run(["site", "show", "--db", db, "--format", "json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(decoded?.count == 14)
        let info = try await run(["db", "info", "--db", db])
        #expect(info.status == 0)
        #expect(info.stdout.contains("core-v1-schema"))
    }

    @Test func exitCodes() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        // 64: usage.
        let usage = try await run(["site", "frobnicate"])
        #expect(usage.status == 64)
        let badFormat = try await run(["site", "show", "--format", "xml", "--db", dir.appendingPathComponent("a.sqlite").path])
        #expect(badFormat.status == 64)
        // 65: bad data, one line naming file, line and key.
        let bad = dir.appendingPathComponent("bad.toml")
        let text = try String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)
            .replacingOccurrences(of: "soc_min_pct = 10", with: "soc_min_pct = 99")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        let r = try await run(["site", "validate", bad.path])
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("vpp: error: \(bad.path):"))
        #expect(r.stderr.contains("dong[0].battery[0].soc_min_pct"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        // 66: missing input.
        let missing = try await run(["site", "validate", dir.appendingPathComponent("nope.toml").path])
        #expect(missing.status == 66)
        let empty = try await run(["site", "show", "--db", dir.appendingPathComponent("empty.sqlite").path])
        #expect(empty.status == 66)
        #expect(empty.stderr.contains("no site loaded"))
    }

    @Test func demoRuns() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let r = try await run(["demo", "--db", dir.appendingPathComponent("demo.sqlite").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("서대문구"))
        // Every stage of the main job ran: ingest, forecast, dispatch (setpoints written), report.
        #expect(r.stdout.contains("== 3. forecast"))
        #expect(r.stdout.contains("PV for 14 dongs"))
        #expect(r.stdout.contains("== 4. dispatch run 1"))
        let setpoints = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("outbox").path)
        #expect(setpoints.filter { $0.hasSuffix(".json") }.count == 14)
        #expect(r.stdout.contains("emission factor used"))
    }
}
