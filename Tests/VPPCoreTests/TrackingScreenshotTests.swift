import Foundation
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPTestSupport

/// Runs scripts/screenshot-report.sh so CI (`make test`) renders the HTML tracking report in
/// headless Chromium on every run and checks the PNG (issue 6). Uses the `vpp` binary built next
/// to this test bundle (`swift build --build-tests` builds it); the script skips with a clear
/// message when Chromium cannot be installed or the shared data are absent.
@Suite("TrackingScreenshotTests")
struct TrackingScreenshotTests {
    static var vppBinary: URL? {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("vpp")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    @Test func htmlReportScreenshotIsNonTrivial() throws {
        guard let bin = Self.vppBinary else {
            print("skipped: no vpp binary next to the test bundle (\(CommandLine.arguments.first ?? "?")); run `swift build --build-tests`")
            return
        }
        let out = try TempDirectory.make()
        defer { TempDirectory.remove(out) }
        let (status, text) = try ProcessRunner.run("/bin/bash", ["scripts/screenshot-report.sh"], environment: [
            "VPP_BIN": bin.path, "OUT_DIR": out.path, "VPP_SHARED_DATA": Paths.sharedData.path,
        ])
        #expect(status == 0, "\(text)")
        if text.contains("SKIP screenshot-report") { print(text); return }
        let png = out.appendingPathComponent("report.png").path
        let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 60_000, "report.png: \(size) bytes\n\(text)")
        let html = try String(contentsOfFile: out.appendingPathComponent("report.html").path, encoding: .utf8)
        #expect(html.contains("천연동") && html.contains("0.4173 tCO2eq/MWh"))
    }
}
