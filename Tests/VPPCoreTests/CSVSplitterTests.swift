import Testing
@testable import Ingestion
import VPPCore
import VPPStore

/// The one CSV splitter (VPPCore/Support/CSV.swift) and the upload reader registry.
@Suite struct CSVSplitterTests {
    private func rows(_ text: String) -> [(Int, [String])] {
        var out: [(Int, [String])] = []
        CSVRecords.forEach(Array(text.utf8)) { line, row in out.append((line, (0..<row.count).map { row.string($0) })) }
        return out
    }

    @Test func quotes_blanks_and_line_ends() {
        let r = rows("a, b ,\"c,d\"\r\n\n\"say \"\"hi\"\"\",,x\n")
        #expect(r.count == 2)
        #expect(r[0].0 == 1 && r[0].1 == ["a", "b", "c,d"])
        // The blank line 2 is skipped but counted.
        #expect(r[1].0 == 3 && r[1].1 == ["say \"hi\"", "", "x"])
    }

    @Test func raw_field_bytes_and_escapes() {
        var sp = CSVFieldSplitter(delimiter: 59)
        let bytes = Array("1;\"2\"\"\";;".utf8)
        bytes.withUnsafeBufferPointer { p in
            sp.split(p)
            #expect(sp.count == 4)
            #expect(String(decoding: sp.field(0, in: p), as: UTF8.self) == "1")
            #expect(sp.isEscaped(1) && sp.string(1, in: p) == "2\"")
            #expect(sp.isEmpty(2) && sp.isEmpty(3) && sp.isEmpty(9))
        }
    }

    @Test(arguments: [("a,b;c;d", UInt8(59)), ("a\tb\tc", UInt8(9)), ("\"a;b\",c", UInt8(44)), ("abc", UInt8(44))])
    func delimiter_detection(_ text: String, _ expected: UInt8) {
        let d = Array(text.utf8).withUnsafeBufferPointer { detectDelimiter($0) }
        #expect(d == expected)
    }

    @Test func every_kind_has_a_reader() {
        for kind in IngestKind.allCases { #expect(UploadReaders.registry[kind] != nil) }
        #expect(UploadReaders.registry[.monthly] is MonthlyERPReader.Type)
        #expect(UploadReaders.registry[.pv] is IntervalCSVReader.Type)
    }
}
