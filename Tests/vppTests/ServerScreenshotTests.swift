import Foundation
import Testing
import VPPTestSupport

/// Runs scripts/screenshot-dashboard.sh (headless Chromium against `vpp serve` on 127.0.0.1) so
/// CI renders the dashboard and the upload page on every run (issue 7). The script itself skips
/// with a clear message when Chromium cannot be installed.
@Suite("ServerScreenshotTests")
struct ServerScreenshotTests {
    @Test func dashboardAndUploadPageRender() throws {
        let out = try TempDirectory.make()
        defer { TempDirectory.remove(out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["scripts/screenshot-dashboard.sh", out.path]
        p.currentDirectoryURL = Paths.packageRoot
        var env = ProcessInfo.processInfo.environment
        env["VPP_BIN"] = CLITests.binary.path
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        if text.contains("SKIPPED") { return }
        for name in ["dashboard.png", "upload.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 20_000, "\(name): \(size) bytes\n\(text)")
        }
    }
}
