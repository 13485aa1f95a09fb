import Foundation
import Testing
import VPPBenchmarks

/// The CPU accounting `vpp bench pg-ingest` prints beside wall times.
@Suite("Benchmarks: process CPU time")
struct ProcessCPUTests {
    /// A child that spins for a while shows up in the waited-for children's time.
    @Test func childCPUIsCounted() throws {
        let before = ProcessCPU.childrenSeconds()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let spent = ProcessCPU.childrenSeconds() - before
        #expect(spent > 0.01, "a 300,000-step shell loop used \(spent) s of CPU")
    }

    /// This process, found by its command name in /proc, has at least the CPU time getrusage
    /// reports for it (the clock-tick rounding aside), and a name nobody has gives 0.
    @Test func processesByName() throws {
        #if os(Linux)
        let comm = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var x = 0.0
        for i in 0..<3_000_000 { x += Double(i % 7) }   // some CPU time to see
        #expect(x > 0)
        let own = IngestBenchmark.cpuSeconds()
        let found = try #require(ProcessCPU.seconds(ofProcessesNamed: comm))
        #expect(found >= own - 0.05, "\(comm): /proc says \(found) s, getrusage \(own) s")
        #expect(ProcessCPU.seconds(ofProcessesNamed: "no-such-process-name") == 0)
        #endif
    }
}
