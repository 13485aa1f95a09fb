import Foundation
import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
import ZIPFoundation
@testable import VPPCore

/// Seeded mutations of the real sample files (samples/, derived from shared/data): every mutated
/// file must end in a report or a categorised error, never a trap (which would kill this test
/// process), never a hang (the suite's time limit), never an internal error, and never more
/// accepted rows than the file has lines. Repeatable: the same seed gives the same files.
@Suite("Ingest fuzz (seeded mutations of the real samples)")
struct IngestFuzzTests {
    /// Mutations that found the crashes of issue 15: huge numbers, long digit runs, broken
    /// delimiters and quotes, random bytes, truncation, repeated lines.
    static let poison: [String] = [
        "99999999999999999999", "1e300", "-1e300", "inf", "NaN", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "0x7fffffff", "1" + String(repeating: "0", count: 40), "2022-07-01 99999999999999999999:00",
        "99999999-99-99", "\"", "\"\"", ",,,,,,,,", "\u{0}", "\u{FEFF}", "24:00", "2022-02-30 01:00", "１２３", "1,234,567.8",
        "ZZZZZZZZZZZZZZ1", "-0", "+5", ".", "e5", "1e", "1.2.3", String(repeating: "9", count: 400),
    ]

    struct Mutator {
        var rng: SplitMix64
        mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(max(1, n))) }

        mutating func mutate(_ input: [UInt8]) -> [UInt8] {
            var b = input
            for _ in 0...int(3) {
                guard !b.isEmpty else { return Array(IngestFuzzTests.poison[int(IngestFuzzTests.poison.count)].utf8) }
                switch int(7) {
                case 0: // replace a field-sized run with a poison value
                    let at = int(b.count), len = min(b.count - at, int(12))
                    b.replaceSubrange(at..<at + len, with: Array(IngestFuzzTests.poison[int(IngestFuzzTests.poison.count)].utf8))
                case 1: // flip bytes
                    for _ in 0...int(8) { b[int(b.count)] ^= UInt8(truncatingIfNeeded: rng.next()) }
                case 2: // delete a run
                    let at = int(b.count), len = min(b.count - at, int(64))
                    b.removeSubrange(at..<at + len)
                case 3: // duplicate a run (repeated lines)
                    let at = int(b.count), len = min(b.count - at, int(400))
                    b.insert(contentsOf: Array(b[at..<at + len]), at: int(b.count))
                case 4: // truncate
                    b.removeLast(int(b.count))
                case 5: // insert a long digit run
                    b.insert(contentsOf: Array(repeating: UInt8(ascii: "9"), count: 19 + int(30)), at: int(b.count))
                default: // random bytes
                    b.insert(contentsOf: (0..<int(16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: int(b.count))
                }
            }
            return b
        }
    }

    /// The first `lines` lines of a sample (the whole month is not needed to reach every branch).
    static func head(_ path: String, lines: Int) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var out: [UInt8] = [], n = 0
        for byte in data { out.append(byte); if byte == 10 { n += 1; if n == lines { break } } }
        return out
    }

    static func lineCount(_ b: [UInt8]) -> Int { b.reduce(1) { $0 + ($1 == 10 || $1 == 13 ? 1 : 0) } }

    func check(_ env: IngestEnv, path: String, kind: IngestKind, mapping: IngestMapping, lines: Int, case n: Int) async {
        do {
            var options = IngestOptions(kind: kind, source: "천연동 공동주택 관리사무소", mapping: mapping)
            options.workbookLimits = XLSXReader.Limits(maxPartBytes: 4 << 20, maxCells: 200_000, maxSharedStrings: 200_000)
            let r = try await Ingestor(storage: env.store.storage).ingest(file: path, options: options)
            #expect(r.rowsOK + r.rowsRejected <= lines, "case \(n): \(r.rowsOK) ok + \(r.rowsRejected) rejected from \(lines) lines")
        } catch let e as any CategorizedError {
            #expect(e.category != .internal, "case \(n): internal error \(e)")
        } catch {
            Issue.record("case \(n): uncategorised error \(error)")
        }
    }

    @Test("1,500 mutated CSV and XpERP files: no trap, no internal error, no rows from nowhere", .timeLimit(.minutes(5)))
    func csvMutations() async throws {
        let samples = IngestEnv.root + "/samples"
        let ami = try Self.head(samples + "/ami-feeders-2022-07.csv", lines: 120)
        let pv = try Self.head(samples + "/pv-rooftops-2022-07.csv", lines: 120)
        let cp949 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: IngestEnv.fixtures + "/ami-cp949.csv")))
        let xperp = Array("301,101,295,486,191\n301,102,652,754,102\n".utf8)
        let pvMap = try IngestMapping.load(path: samples + "/pv-rooftops.map.toml")
        var month = IngestMapping(); month.month = YearMonth(year: 2025, month: 8)
        // The samples name Seodaemun's meters; the CP949 fixture and the XpERP rows the test site's.
        let seodaemun = try await IngestEnv(site: IngestEnv.root + "/site-configs/seodaemun.toml")
        let testSite = try await IngestEnv()
        let inputs: [(String, [UInt8], IngestKind, IngestMapping, IngestEnv)] = [
            ("ami.csv", ami, .interval, IngestMapping(), seodaemun), ("pv.csv", pv, .pv, pvMap, seodaemun),
            ("cp949.csv", cp949, .interval, IngestMapping(), testSite), ("xperp.csv", xperp, .monthly, month, testSite),
        ]
        var m = Mutator(rng: SplitMix64(seed: 15))
        let started = Date()
        var ran = 0
        for n in 0..<1_500 {
            if n % 50 == 0 { await Task.yield() } // let other tests' tasks run on the shared pool
            let (name, bytes, kind, mapping, env) = inputs[n % inputs.count]
            let mutated = m.mutate(bytes)
            let path = try env.file("\(n)-\(name)", bytes: mutated)
            await check(env, path: path, kind: kind, mapping: mapping, lines: Self.lineCount(mutated), case: n)
            ran += 1
        }
        print("fuzz: \(ran) mutated CSV/XpERP files ingested in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test("1,000 mutated .xlsx workbooks (sheet XML and zip bytes): no trap, no internal error", .timeLimit(.minutes(5)))
    func xlsxMutations() async throws {
        let sample = IngestEnv.root + "/samples/yeonhui-apt-xperp-2025-08.xlsx"
        let archive = try Archive(url: URL(fileURLWithPath: sample), accessMode: .read)
        var parts: [(String, [UInt8])] = []
        for e in archive {
            var d = Data()
            _ = try archive.extract(e) { d.append($0) }
            parts.append((e.path, [UInt8](d)))
        }
        let zipBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sample)))
        var m = Mutator(rng: SplitMix64(seed: 1515))
        let env = try await IngestEnv()
        var month = IngestMapping(); month.month = YearMonth(year: 2025, month: 8)
        let started = Date()
        var ran = 0
        for n in 0..<1_000 {
            if n % 50 == 0 { await Task.yield() }
            let path = env.dir + "/\(n)-book.xlsx"
            if n % 3 == 0 {
                try Data(m.mutate(zipBytes)).write(to: URL(fileURLWithPath: path))
            } else {
                // Mutate one XML part (sheet or shared strings) and zip the workbook again.
                let target = parts.indices.filter { parts[$0].0.hasPrefix("xl/") }[m.int(parts.filter { $0.0.hasPrefix("xl/") }.count)]
                let out = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
                for (i, p) in parts.enumerated() {
                    let d = Data(i == target ? m.mutate(p.1) : p.1)
                    try out.addEntry(with: p.0, type: .file, uncompressedSize: Int64(d.count), compressionMethod: .deflate) { pos, size in
                        d.subdata(in: Int(pos)..<Int(pos) + size)
                    }
                }
            }
            if ProcessInfo.processInfo.environment["VPP_FUZZ_TRACE"] != nil { FileHandle.standardError.write(Data("fuzz case \(n) \(path)\n".utf8)) }
            await check(env, path: path, kind: .monthly, mapping: month, lines: 1_048_576, case: n)
            ran += 1
        }
        print("fuzz: \(ran) mutated workbooks ingested in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}
