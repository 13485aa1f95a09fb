import Foundation
import Testing
import VPPTestSupport

/// `vpp site validate` rejects overlapping meter coverage without a declared hierarchy (issue 12)
/// and accepts it once `parent` is declared: exit codes and the `file:line: key` message.
@Suite("CLI: meter hierarchy in site validate")
struct CountingCLITests {
    @Test func overlappingCoverageIsRejectedUntilAParentIsDeclared() async throws {
        let dir = try TempDirectory.make()
        defer { TempDirectory.remove(dir) }
        let base = try String(contentsOf: Paths.seodaemunConfig, encoding: .utf8)
        // The copy's [map] geojson is relative to its folder (issue 16).
        try FileManager.default.copyItem(at: Paths.seodaemunConfig.deletingLastPathComponent().appendingPathComponent("seodaemun_dongs_2021-04.geojson"),
                                         to: dir.appendingPathComponent("seodaemun_dongs_2021-04.geojson"))
        let feederLine = "id = \"cheonyeon-feeder\"\ncomplex = \"천연동 AMI feeder\"\n"
        let covers = "covers = { kind = \"feeder\", complexes = [\"천연동 공동주택 관리사무소 (placeholder)\"] }\n"
        #expect(base.contains(feederLine))
        let bad = dir.appendingPathComponent("overlap.toml")
        let badText = base.replacingOccurrences(of: feederLine, with: feederLine + covers)
        try badText.write(to: bad, atomically: true, encoding: .utf8)
        let lines = badText.split(separator: "\n", omittingEmptySubsequences: false)
        let coversLine = try #require(lines.firstIndex { $0.hasPrefix("covers = { kind = \"feeder\"") }) + 1
        let r = try await CLITests().run(["site", "validate", bad.path])
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("vpp: error: \(bad.path):\(coversLine): dong[0].meter[1].covers: meters cheonyeon-apt and cheonyeon-feeder both cover"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        // Declaring the apartment meter a child of the feeder makes the same coverage valid.
        let good = dir.appendingPathComponent("hierarchy.toml")
        let aptLine = "id = \"cheonyeon-apt\"\n"
        try badText.replacingOccurrences(of: aptLine, with: aptLine + "parent = \"cheonyeon-feeder\"\n")
            .write(to: good, atomically: true, encoding: .utf8)
        let ok = try await CLITests().run(["site", "validate", good.path])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
