import VPPStoreSQLite
import VPPConfig
import Foundation
import VPPCore
import VPPStore

/// A fresh store on a temporary file with the real migrations applied.
public enum TestStore {
    /// Creates a store in a new temporary directory; the directory is removed by `cleanup`.
    public static func make(clock: any WallClock = FixedWallClock(KSTDateTime(year: 2024, month: 7, day: 1))) throws
        -> (store: SQLiteStore, directory: URL)
    {
        let dir = try TempDirectory.make()
        let store = try SQLiteStore(path: dir.appendingPathComponent("test.sqlite").path, clock: clock)
        return (store, dir)
    }
}

public enum TempDirectory {
    public static func make() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
    public static func remove(_ dir: URL) { try? FileManager.default.removeItem(at: dir) }
}

/// Paths to the package and to the real public data in `../shared/data`.
public enum Paths {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared/data` next to the package, or `$VPP_SHARED_DATA`.
    public static var sharedData: URL {
        if let p = ProcessInfo.processInfo.environment["VPP_SHARED_DATA"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }
    public static var hasSharedData: Bool { FileManager.default.fileExists(atPath: sharedData.path) }
    public static var seodaemunConfig: URL { packageRoot.appendingPathComponent("site-configs/seodaemun.toml") }
}

/// Builds small site configs for tests.
public enum SiteBuilder {
    public static func tiny(dongs: Int = 2, batteryKWh: Double = 100) -> SiteConfig {
        SiteConfig(
            site: SiteInfo(id: "test", name: "Test-gu", nameKo: "시험구", sigunguCode: "99999"),
            dongs: (0..<dongs).map { i in
                DongConfig(code: String(format: "99999%05d", i), nameKo: "시험\(i)동", name: "Test \(i)-dong",
                           latitudeDeg: 37.57, longitudeDeg: 126.94, households: 1000 * (i + 1),
                           pvFleets: [PVFleetConfig(id: "pv-\(i)", kind: .miniSolar, units: 100, unitW: 325, tiltDeg: 70, azimuthDeg: 180)],
                           meters: [MeterConfig(id: "meter-\(i)", complex: "시험아파트 \(i)")],
                           batteries: [BatteryConfig(id: "ess-\(i)", capacityKWh: batteryKWh, maxChargeKW: batteryKWh / 2,
                                                     maxDischargeKW: batteryKWh / 2)])
            },
            emissionFactors: [EmissionFactorEntry(year: 2023, label: "2023", tco2eqPerMWh: 0.4173)],
            targets: Targets(districtShare: 0.0324, districtShareBasis: "test"))
    }
}

/// Runs a program from the package root with extra environment and returns its exit status and
/// combined stdout + stderr (tests that drive scripts and the built `vpp`).
public enum ProcessRunner {
    public static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:])
        throws -> (status: Int32, output: String)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = Paths.packageRoot
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }
}

/// Runs a child process without blocking one of Swift's cooperative threads: the caller's task is
/// suspended until the child exits, and stdout and stderr are drained on threads of their own
/// (so a child that fills one pipe while the other is being read cannot hang the test, and a
/// long CLI run cannot starve the in-process servers other tests run meanwhile).
public enum ChildProcess {
    public struct Output: Sendable { public var status: Int32; public var stdout: Data; public var stderr: Data }

    /// Starts `p` (configured, without standardOutput/standardError set) and returns its exit
    /// status and everything it wrote to stdout and stderr.
    public static func run(_ p: Process) async throws -> Output {
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let exited = Exited()
        p.terminationHandler = { _ in exited.signal() }
        do {
            try p.run()
        } catch {
            p.terminationHandler = nil
            try? out.fileHandleForWriting.close(); try? err.fileHandleForWriting.close()
            try? out.fileHandleForReading.close(); try? err.fileHandleForReading.close()
            throw error
        }
        async let o = readToEnd(out.fileHandleForReading)
        async let e = readToEnd(err.fileHandleForReading)
        let (stdout, stderr) = await (o, e)
        await exited.wait()
        return Output(status: p.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Everything up to end of file, read on a dedicated thread.
    public static func readToEnd(_ h: FileHandle) async -> Data {
        await withCheckedContinuation { (c: CheckedContinuation<Data, Never>) in
            let t = Thread { c.resume(returning: h.readDataToEndOfFile()) }
            t.start()
        }
    }

    /// A one-shot event: `wait` returns once `signal` has been called (before or after).
    private final class Exited: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        private var waiter: CheckedContinuation<Void, Never>?
        func signal() {
            lock.lock(); done = true; let w = waiter; waiter = nil; lock.unlock()
            w?.resume()
        }
        func wait() async {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if done { lock.unlock(); c.resume() } else { waiter = c; lock.unlock() }
            }
        }
    }
}
