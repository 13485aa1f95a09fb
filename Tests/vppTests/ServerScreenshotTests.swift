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

/// Runs scripts/screenshot-dashboard.sh (headless Chromium against `vpp serve` on 127.0.0.1) so
/// CI renders the dashboard and the upload page on every run (issue 7). The script itself skips
/// with a clear message when Chromium cannot be installed.
@Suite("ServerScreenshotTests")
struct ServerScreenshotTests {
    @Test func dashboardAndUploadPageRender() throws {
        let out = try TempDirectory.make()
        defer { TempDirectory.remove(out) }
        let (status, text) = try ProcessRunner.run("/bin/bash", ["scripts/screenshot-dashboard.sh", out.path],
                                                   environment: ["VPP_BIN": CLITests.binary.path])
        #expect(status == 0, "\(text)")
        if text.contains("SKIPPED") { return }
        for name in ["dashboard.png", "upload.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 20_000, "\(name): \(size) bytes\n\(text)")
        }
    }
}
