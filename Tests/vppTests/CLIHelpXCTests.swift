import Foundation
import XCTest

/// XCTest case (kept so `swift test` prints XCTest's summary too): `vpp --help` lists the
/// command groups operators rely on and exits 0.
final class CLIHelpXCTests: XCTestCase {
    func testHelpListsCommandGroupsAndExitsZero() throws {
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = ["--help"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        for group in ["site", "db", "demo", "bench"] {
            XCTAssertTrue(text.contains("  \(group)"), "help lacks \(group):\n\(text)")
        }
        XCTAssertTrue(text.contains("64 usage"))
    }
}
