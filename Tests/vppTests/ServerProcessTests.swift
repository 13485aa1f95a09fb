import Foundation
import Testing
import VPPBenchmarks
@testable import Ingestion
@testable import VPPAuth
@testable import VPPServer
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
import VPPTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `vpp serve` as a real process: SIGKILL during an upload leaves nothing behind; SIGTERM lets
/// the in-flight upload finish (issue 7).
@Suite("ServerProcessTests", .serialized)
struct ServerProcessTests {
    struct Proc {
        let process: Process
        let stderrPath: String
        let port: Int
        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    }

    func vpp(_ args: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = args
        p.currentDirectoryURL = Paths.packageRoot
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func serve(db: String, dir: URL, extra: [String] = []) throws -> Proc {
        let portFile = dir.appendingPathComponent("port-\(UUID().uuidString)").path
        let errPath = dir.appendingPathComponent("serve-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = ["serve", "--db", db, "--bind", "127.0.0.1:0", "--port-file", portFile] + extra
        p.currentDirectoryURL = Paths.packageRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(s.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return Proc(process: p, stderrPath: errPath, port: port)
            }
            usleep(50_000)
        }
        p.terminate()
        throw POSIXErr(what: "vpp serve did not start")
    }

    /// Polls the server's log without blocking a thread of the shared test pool (other tests,
    /// and the upload task this test waits on, need it).
    func waitFor(_ text: String, in proc: Proc, seconds: Double = 90) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if proc.stderr.contains(text) { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    func setUp() throws -> (dir: URL, db: String, token: String) {
        let dir = try TempDirectory.make()
        let db = dir.appendingPathComponent("serve.sqlite").path
        #expect(try vpp(["site", "load", "--db", db, "site-configs/seodaemun.toml"]).status == 0)
        let t = try vpp(["tokens", "create", "--db", db, "--operator"])
        #expect(t.status == 0)
        return (dir, db, t.out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func killDuringUploadLeavesNoPartialData() async throws {
        let (dir, db, token) = try setUp()
        defer { TempDirectory.remove(dir) }
        let bytes = ServerFixtures.intervalCSV(rows: 100_000)   // ~3 MiB: progress steps inside the transaction
        // 30 s at each progress step: the kill below lands inside the transaction even when a loaded
        // machine makes this test see the progress line late (a CI run under load saw it after the
        // 3 × 3 s of an earlier bound and the upload had committed); the kill ends the wait.
        let proc = try serve(db: db, dir: dir, extra: ["--debug-ingest-delay-ms", "30000"])
        let port = proc.port
        let upload = Task {
            try? await LoopbackHTTP.async(port: port, method: "POST", path: "/api/v1/uploads?kind=interval&complex=cheonyeon-feeder&convention=hour-beginning",
                                          headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(token)")], body: bytes)
        }
        // A wait for an event, not a timing: generous, since a loaded machine delays the server.
        #expect(await waitFor("ingest progress", in: proc, seconds: 300), "\(proc.stderr)")
        kill(proc.process.processIdentifier, SIGKILL)
        proc.process.waitUntilExit()
        let reply = await upload.value
        #expect(reply == nil || reply?.status != 201)
        // Nothing of the upload is in the store.
        let store = try SQLiteStore(path: db)
        let info = try await store.info()
        #expect(info.rowCounts["upload"] ?? 0 == 0)
        #expect(info.rowCounts["reading"] ?? 0 == 0)
        #expect(info.rowCounts["rollup_hourly"] ?? 0 == 0)
        #expect(info.rowCounts["rejected_row"] ?? 0 == 0)
        // The store is consistent: a restarted server ingests the same file whole.
        let again = try serve(db: db, dir: dir)
        defer { again.process.terminate(); again.process.waitUntilExit() }
        let r = try await LoopbackHTTP.async(port: again.port, method: "POST", path: "/api/v1/uploads?kind=interval&complex=cheonyeon-feeder&convention=hour-beginning",
                                             headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(token)")], body: bytes)
        #expect(r.status == 201, "\(r.text)")
        #expect(r.json?["rows_accepted"] as? Int == 100_000)
        await #expect(try store.info().rowCounts["reading"] == 100_000)
    }

    @Test func sigtermFinishesTheInFlightUpload() async throws {
        let (dir, db, token) = try setUp()
        defer { TempDirectory.remove(dir) }
        let bytes = ServerFixtures.intervalCSV(rows: 60_000)
        let proc = try serve(db: db, dir: dir, extra: ["--debug-ingest-delay-ms", "800"])
        let port = proc.port
        let upload = Task {
            try await LoopbackHTTP.async(port: port, method: "POST", path: "/api/v1/uploads?kind=interval&complex=cheonyeon-feeder&convention=hour-beginning",
                                         headers: [("Content-Type", "text/csv"), ("Authorization", "Bearer \(token)")], body: bytes)
        }
        // A wait for an event, not a timing: generous, since a loaded machine delays the server.
        #expect(await waitFor("ingest progress", in: proc, seconds: 300), "\(proc.stderr)")
        kill(proc.process.processIdentifier, SIGTERM)
        let reply = try await upload.value
        #expect(reply.status == 201, "\(reply.text)")
        proc.process.waitUntilExit()
        #expect(proc.process.terminationStatus == 0, "\(proc.stderr)")
        #expect(proc.stderr.contains("vpp serve: stopped"))
        await #expect(try SQLiteStore(path: db).info().rowCounts["reading"] == 60_000)
    }
}
