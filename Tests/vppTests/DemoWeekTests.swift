import Foundation
import Testing
import VPPTestSupport

/// Issue 12, item 6: `vpp demo --week` runs 7 simulated days for all 14 dongs on exports derived
/// from ../shared/data and ends with a report whose district total has no gap, metered vs
/// estimated generation, plan vs actual per battery and a forecast-accuracy section.
@Suite("Demo week")
struct DemoWeekTests {
    @Test func weekOfOperationsEndsWithACompleteReport() async throws {
        guard Paths.hasSharedData else {
            print("DemoWeekTests: skipped, \(Paths.sharedData.path) is absent (the week's exports are derived from it)")
            return
        }
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let week = dir.appendingPathComponent("week").path
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["python3", Paths.packageRoot.appendingPathComponent("samples/make_week.py").path, week,
                          "--shared", Paths.sharedData.path]
        try make.run()
        make.waitUntilExit()
        #expect(make.terminationStatus == 0)
        let r = try await CLITests().run(["demo", "--db", dir.appendingPathComponent("demo.sqlite").path, "--week", week])
        #expect(r.status == 0, "\(r.stderr)")
        for day in 1...7 { #expect(r.stdout.contains("day \(day)/7 2022-08-0\(day):"), "\(r.stdout.prefix(3000))") }
        #expect(r.stdout.contains("14 PV groups retrained"))
        #expect(r.stdout.contains("the office's monthly upload for 2022-07"))
        let total = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("total ") && $0.contains("2022-08-01..2022-08-07") })
        #expect(!total.contains("gap"), "\(total)")
        #expect(r.stdout.contains("MWh metered +") && r.stdout.contains("estimated (unmetered PV)"))
        #expect(r.stdout.contains("battery-hours MEASURED"))
        #expect(r.stdout.contains("batteries: plan vs actual"))
        #expect(r.stdout.contains("Forecast accuracy") && r.stdout.contains("Load (NMAE"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
    }
}
