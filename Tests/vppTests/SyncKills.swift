import Foundation
import VPPCore

/// kill -9 of `vpp sync` at seeded random points (issue 14). How long a whole sync takes depends
/// on the machine and its load, so fixed delays can all come after the first run has finished
/// (seen on an idle machine: no kill landed), leaving the later runs nothing to be killed in. So
/// the tests run in rounds, each on a fresh city store, with delays drawn from [window/10, window)
/// ms and a window that halves from round to round until a round's kills hit runs at work.
enum SyncKills {
    struct Round {
        var killedMidway = 0
        /// Kills after which the target's rollup watermark had moved (batches committed before the kill).
        var killedAfterCommits = 0
        var delays: [UInt64] = []
    }

    /// `times` runs of `vpp <arguments>`, each killed after its seeded delay if still running.
    /// `watermark` (when given) reads the target's rollup watermark after each run.
    static func round(_ arguments: [String], times: Int, window: UInt64, rng: inout SplitMix64,
                      watermark: (() async throws -> Int64)? = nil) async throws -> Round {
        var r = Round()
        var mark = try await watermark?() ?? 0
        for _ in 0..<times {
            let p = Process()
            p.executableURL = CLITests.binary
            p.arguments = arguments
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let delay = window / 10 + rng.next() % max(1, window - window / 10)
            r.delays.append(delay)
            try await Task.sleep(nanoseconds: delay * 1_000_000)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            let now = try await watermark?() ?? 0
            if p.terminationReason == .uncaughtSignal {
                r.killedMidway += 1
                if now > mark { r.killedAfterCommits += 1 }
            }
            mark = now
        }
        return r
    }
}
