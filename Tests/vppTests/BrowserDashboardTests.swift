import Foundation
import Testing
import VPPBenchmarks
@testable import VPPServer
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// Browser checks of the dashboard (issue 16): scripts/browser-dashboard.py drives Debian's
/// chromium through chromium-driver (Selenium from a virtualenv made here from PyPI) against the
/// server on 127.0.0.1 over a temporary store with sample data: sign in, navigate periods, click a
/// dong on the map, open a battery, sign out, and an office user refused the operator pages.
/// Screenshots at 1280 px and 390 px wide go to `.build/screenshots/` in the package.
enum BrowserDashboard {
    static let venvDir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-selenium-4.51.0-venv").path
    static var python: String { venvDir + "/bin/python" }
    static let screenshots = Paths.packageRoot.appendingPathComponent(".build/screenshots")

    static func which(_ names: [String]) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/lib/chromium"]
        for d in dirs { for n in names where FileManager.default.isExecutableFile(atPath: d + "/" + n) { return d + "/" + n } }
        return nil
    }

    /// Chromium and its driver, or why the test cannot run (the only reason it skips).
    static let browser: (ready: Bool, why: String) = {
        guard let c = which(["chromium", "chromium-browser"]) else { return (false, "skipped: chromium is not installed (make install-test-debs)") }
        guard let d = which(["chromedriver"]) else { return (false, "skipped: chromium-driver is not installed (make install-test-debs)") }
        return (true, "\(c), \(d)")
    }()
}

@Suite(.serialized) struct BrowserDashboardTests {
    @Test(.enabled(if: BrowserDashboard.browser.ready, "skipped: chromium or chromium-driver cannot be found (make install-test-debs installs both)"))
    func sign_in_navigate_map_battery_sign_out_and_office_refusal() async throws {
        // Selenium in its own virtualenv, made once per machine.
        if OpenADRInterop.run(BrowserDashboard.python, ["-c", "import selenium"]).status != 0 {
            let v = OpenADRInterop.run("/usr/bin/env", ["python3", "-m", "venv", BrowserDashboard.venvDir])
            try #require(v.status == 0, "python3 -m venv failed: \(v.err)")
            let pip = OpenADRInterop.run(BrowserDashboard.venvDir + "/bin/pip", ["install", "--disable-pip-version-check", "-q", "selenium==4.51.0"])
            try #require(pip.status == 0, "pip could not install selenium==4.51.0: \(pip.err.suffix(400))")
        }
        let s = try await LiveServer.start { $0.requestTimeoutS = DashboardTests.slowMachineTimeoutS }
        defer { Task { await s.stop() } }
        // Sample data: 14 dongs × June–July 2024 of synthetic rollups (seeded), a dispatch plan
        // and battery telemetry for 2024-07-15, and one office upload with a reject.
        let site = try #require(try await s.store.loadedSiteConfig())
        let from = KSTDateTime(year: 2024, month: 6, day: 1).epochSeconds
        try await s.store.replaceRollups(SyntheticRollups.rows(dongs: site.dongs.map(\.code), from: from, hours: 61 * 24, seed: 16))
        let day = KSTDateTime(year: 2024, month: 7, day: 15).epochSeconds
        let run = try await s.store.startDispatchRun(startedAt: day - 3600, objective: "sample", horizonSeconds: 86_400, stepSeconds: 3600)
        var rows: [ScheduleRow] = [], samples: [TelemetrySample] = []
        for (_, bat) in site.batteries {
            let cap = bat.capacityKWh * 1000
            for h in 0..<24 {
                // Charge at midday, discharge in the evening: SoC between the reserve and the max.
                let pct = h < 10 ? 30.0 : (h < 16 ? 30 + Double(h - 9) * 10 : max(bat.reservePct, 90 - Double(h - 15) * 8))
                let charge = (10..<16).contains(h) ? 0.1 * cap : 0, discharge = h >= 16 ? 0.08 * cap : 0
                rows.append(ScheduleRow(batteryID: bat.id, slotStart: day + Int64(h) * 3600, durationSeconds: 3600,
                                        chargeW: charge, dischargeW: discharge, socWh: Int64(pct / 100 * cap)))
                samples.append(TelemetrySample(batteryID: bat.id, measuredAt: day + Int64(h) * 3600 + 600,
                                               soc: .pct(min(bat.socMaxPct, pct + Double(h % 3) - 1)), powerW: Int64(discharge - charge)))
            }
        }
        try await s.store.finishDispatchRun(id: run, finishedAt: day - 3500, status: "optimal", objectiveValue: 0, breakdownJSON: "{}",
                                            solveMs: 1, message: nil, schedule: rows)
        // The run's setpoint files, as `vpp dispatch run --outbox` records them (the battery page lists them).
        try await s.store.recordSetpointDeliveries(site.batteries.map { _, bat in
            SetpointDelivery(runID: run, batteryID: bat.id, path: "outbox/setpoints/\(bat.id).json", writtenAt: day - 3500, slots: 24,
                             firstSlotStart: day, lastSlotEnd: day + 86_400)
        })
        _ = try await s.store.appendTelemetry(samples, source: "browser-test", directory: try await s.store.assetDirectory(),
                                              receivedAt: day + 86_400, sha256: "browser-test-\(samples.count)")
        #expect(try await s.uploadRaw(ServerFixtures.monthlyCSV(rows: 8, bad: 1), query: "kind=monthly&month=2024-07", token: s.officeToken).status == 201)
        // Interval data for 2024-07-15 received now (the system clock): long after the day's end, so late.
        let late = "검침일시,계량기번호,사용량(kWh)\n" + (1...23).map { "2024-07-15 \($0 < 10 ? "0" : "")\($0):00,CHEONYEON-FEEDER,\(300 + $0).0\n" }.joined()
        #expect(try await s.uploadRaw(Array(late.utf8), query: "kind=interval", token: s.operatorToken).status == 201)
        try FileManager.default.createDirectory(at: BrowserDashboard.screenshots, withIntermediateDirectories: true)
        let r = OpenADRInterop.run(BrowserDashboard.python, [
            "scripts/browser-dashboard.py", "--base", "http://127.0.0.1:\(s.port)", "--operator", s.operatorToken, "--office", s.officeToken,
            "--dong", "1141058500", "--day", "2024-07-15", "--out", BrowserDashboard.screenshots.path,
        ], cwd: Paths.packageRoot)
        #expect(r.status == 0 && r.out.contains("browser: PASSED"), "\(r.out)\n\(r.err.suffix(2000))")
        for name in ["login-1280", "dashboard-1280", "dashboard-390", "dong-1280", "dong-390", "battery-1280", "battery-390", "city-1280", "city-390", "office-upload-390", "office-forbidden-390"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: BrowserDashboard.screenshots.appendingPathComponent(name + ".png").path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name).png: \(size) bytes")
        }
    }
}
