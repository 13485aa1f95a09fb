import VPPAuth
import Foundation
import VPPCore
import VPPStore
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads one worksheet of an Office Open XML workbook (.xlsx, ECMA-376 Part 1 §18): the zip
/// is opened with ZIPFoundation, `xl/workbook.xml` + its relationships name the sheets,
/// `xl/sharedStrings.xml` holds the text of `t="s"` cells, and each `<c r="B7" t="…"><v>…</v></c>`
/// is placed by its column letters. Numbers are kept as written (dates stay Excel serials,
/// which the time parser reads). Apartment ERP uploads are small, so the sheet is read whole.
public struct XLSXReader {
    public struct Sheet: Sendable {
        public var name: String
        /// Rows in sheet order: 1-based row number and cell texts by column (A = index 0).
        public var rows: [(row: Int, cells: [String])]
    }

    /// Bounds on what a workbook may expand to, so that a small zip cannot take the process's
    /// memory or minutes of CPU (a 1 MB sharedStrings.xml that inflates to 1 GiB, millions of
    /// tiny strings). ERP uploads are far below every default.
    public struct Limits: Sendable, Equatable {
        /// Largest decompressed size of any one part (sheet, shared strings, workbook) [bytes].
        public var maxPartBytes: Int
        /// Most cells read from the sheet, and most shared strings.
        public var maxCells: Int
        public var maxSharedStrings: Int
        public init(maxPartBytes: Int = 64 << 20, maxCells: Int = 2_000_000, maxSharedStrings: Int = 1_000_000) {
            self.maxPartBytes = maxPartBytes; self.maxCells = maxCells; self.maxSharedStrings = maxSharedStrings
        }
    }

    /// Excel's own sheet bounds (ECMA-376: 1,048,576 rows, 16,384 columns A–XFD).
    static let maxRows = 1_048_576
    static let maxColumns = 16_384

    public let path: String
    public let limits: Limits
    public init(path: String, limits: Limits = Limits()) { self.path = path; self.limits = limits }

    /// Whether bytes start like a zip archive (`PK\3\4`).
    public static func looksLikeZip(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 4 && prefix[0] == 0x50 && prefix[1] == 0x4B && prefix[2] == 3 && prefix[3] == 4
    }

    private func fail(_ why: String) -> IngestError { IngestError(file: path, .workbook(why)) }

    private func entryData(_ archive: Archive, _ name: String) throws -> Data? {
        guard let entry = archive[name] else { return nil }
        let limit = limits.maxPartBytes
        let tooBig = fail("\(name) expands to more than \(limit >> 20) MiB (the limit for one workbook part; raise it with --xlsx-max-mib if the file is genuine)")
        if entry.uncompressedSize > UInt64(limit) { throw tooBig }
        // ZIPFoundation reads an entry's compressed bytes until it has the declared count and never
        // stops at the end of the file, so an entry whose data would run past the end spins for
        // ever (found by the fuzz test on a mutated workbook). Check the bounds first.
        try checkEntryBounds(name)
        var data = Data()
        do {
            // The declared size may lie: count what really comes out.
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if data.count + chunk.count > limit { throw PartTooLarge() }
                data.append(chunk)
            }
        } catch is PartTooLarge {
            throw tooBig
        } catch {
            throw fail("cannot extract \(name) (\(error)); the file is probably truncated")
        }
        // Foundation's XMLParser on Linux traps on element or attribute text that is not UTF-8
        // (found by the ingest fuzz test), so such a part never reaches it. Workbook parts are UTF-8.
        guard data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }) != nil else {
            throw fail("\(name) is not UTF-8 text")
        }
        return data
    }

    /// Every central-directory entry called `name` must have its local header and compressed data
    /// inside the file (PKWARE APPNOTE 6.3.x §4.3.7, §4.3.12, §4.3.16). ZIP64 sizes are refused.
    private func checkEntryBounds(_ name: String) throws {
        guard let d = FileManager.default.contents(atPath: path) else { throw IngestError(file: path, .cannotOpen("cannot read")) }
        let b = [UInt8](d), n = b.count
        func u16(_ i: Int) -> Int { i + 2 <= n ? Int(b[i]) | Int(b[i + 1]) << 8 : -1 }
        func u32(_ i: Int) -> Int { i + 4 <= n ? Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 : -1 }
        var eocd = -1
        var i = n - 22
        while i >= max(0, n - 22 - 65_535) {
            if u32(i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no zip end-of-central-directory record; the file is corrupt or truncated") }
        let count = u16(eocd + 10)
        var p = u32(eocd + 16)
        let target = Array(name.utf8)
        for _ in 0..<max(0, count) {
            guard p >= 0, u32(p) == 0x0201_4B50 else { throw fail("zip central directory is corrupt") }
            let csize = u32(p + 20), nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32), local = u32(p + 42)
            guard csize >= 0, nameLen >= 0, extraLen >= 0, commentLen >= 0, local >= 0, p + 46 + nameLen <= n else {
                throw fail("zip central directory is corrupt")
            }
            if Array(b[(p + 46)..<(p + 46 + nameLen)]) == target {
                guard csize != 0xFFFF_FFFF, local != 0xFFFF_FFFF else { throw fail("\(name) uses ZIP64 sizes, which a workbook part never needs") }
                guard u32(local) == 0x0403_4B50 else { throw fail("\(name): no local file header where the directory says; the file is corrupt") }
                let ln = u16(local + 26), le = u16(local + 28), flags = u16(local + 6), lcsize = u32(local + 18)
                // Without a data descriptor (flag bit 3) the local header's size is the one read.
                let sizes = flags >= 0 && flags & 8 == 0 ? [csize, lcsize] : [csize]
                for size in sizes {
                    guard ln >= 0, le >= 0, size >= 0, size != 0xFFFF_FFFF, local + 30 + ln + le + size <= n else {
                        throw fail("\(name) claims \(size) compressed bytes past the end of the \(n)-byte file; the file is corrupt or truncated")
                    }
                }
            }
            p += 46 + nameLen + extraLen + commentLen
        }
    }

    /// Sheet names in workbook order.
    public func sheetNames() throws -> [String] { try sheets(openArchive()).map(\.name) }

    private func openArchive() throws -> Archive {
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attrs?[.size] as? NSNumber)?.intValue else {
            throw IngestError(file: path, .cannotOpen("no such file"))
        }
        if size == 0 { throw fail("0 bytes") }
        do { return try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw fail("not a zip archive (\(error)); truncated or not an .xlsx file")
        }
    }

    private func sheets(_ archive: Archive) throws -> [(name: String, target: String)] {
        guard let wb = try entryData(archive, "xl/workbook.xml") else { throw fail("no xl/workbook.xml") }
        let sheetsXML = XMLCollector(data: wb, element: "sheet")
        guard sheetsXML.parse() else { throw fail("xl/workbook.xml is not well-formed XML") }
        var targets: [String: String] = [:]
        if let rels = try entryData(archive, "xl/_rels/workbook.xml.rels") {
            let r = XMLCollector(data: rels, element: "Relationship")
            guard r.parse() else { throw fail("xl/_rels/workbook.xml.rels is not well-formed XML") }
            for a in r.found { if let id = a["Id"], let t = a["Target"] { targets[id] = t } }
        }
        var out: [(String, String)] = []
        for (i, a) in sheetsXML.found.enumerated() {
            let name = a["name"] ?? "Sheet\(i + 1)"
            var target = a["r:id"].flatMap { targets[$0] } ?? "worksheets/sheet\(i + 1).xml"
            if target.hasPrefix("/") { target.removeFirst() } else { target = "xl/" + target }
            out.append((name, target))
        }
        if out.isEmpty { throw fail("workbook has no sheets") }
        return out
    }

    /// Reads the sheet named `sheet` (or its 1-based index); the first sheet when nil.
    public func read(sheet: String? = nil) throws -> Sheet {
        let archive = try openArchive()
        let all = try sheets(archive)
        let chosen: (name: String, target: String)
        if let sheet {
            if let s = all.first(where: { $0.name == sheet }) { chosen = s }
            else if let i = Int(sheet), i >= 1, i <= all.count { chosen = all[i - 1] }
            else { throw fail("no sheet \"\(sheet)\" (sheets: \(all.map(\.name).joined(separator: ", ")))") }
        } else { chosen = all[0] }
        var shared: [String] = []
        if let ss = try entryData(archive, "xl/sharedStrings.xml") {
            let p = SharedStringsParser(data: ss, limit: limits.maxSharedStrings)
            guard p.parse() else {
                if p.overLimit {
                    throw fail("more than \(limits.maxSharedStrings) shared strings (the limit per workbook; raise it with --xlsx-max-cells if the file is genuine)")
                }
                throw fail("xl/sharedStrings.xml is not well-formed XML")
            }
            shared = p.strings
        }
        guard let sheetData = try entryData(archive, chosen.target) else { throw fail("sheet file \(chosen.target) missing") }
        let sp = SheetParser(data: sheetData, shared: shared, maxCells: limits.maxCells)
        guard sp.parse() else {
            if let limit = sp.limitError { throw fail("sheet \(chosen.name): \(limit)") }
            throw fail("sheet \(chosen.name) is not well-formed XML (\(sp.error ?? "?"))")
        }
        return Sheet(name: chosen.name, rows: sp.rows)
    }
}

private struct PartTooLarge: Error {}

/// Column letters of a cell reference ("AB12" → 27, zero-based); nil when there are none or more
/// than three (Excel's last column is XFD), so that no reference can overflow.
func columnIndex(ofCellRef ref: String) -> Int? {
    var v = 0, n = 0
    for u in ref.unicodeScalars {
        guard u.value >= 65 && u.value <= 90 else { break }
        n += 1
        if n > 3 { return nil }
        v = v * 26 + Int(u.value - 64)
    }
    return n == 0 ? nil : v - 1
}

/// A 1-based row number from a `r` attribute, within Excel's bounds; nil otherwise.
func rowNumber(_ text: String) -> Int? {
    guard text.utf8.count <= 7, let r = Int(text), r >= 1, r <= XLSXReader.maxRows else { return nil }
    return r
}

private final class XMLCollector: NSObject, XMLParserDelegate {
    let parser: XMLParser
    let element: String
    var found: [[String: String]] = []
    init(data: Data, element: String) { parser = XMLParser(data: data); self.element = element; super.init(); parser.delegate = self }
    func parse() -> Bool { parser.parse() }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == element || name.hasSuffix(":" + element) { found.append(attributes) }
    }
}

private final class SharedStringsParser: NSObject, XMLParserDelegate {
    let parser: XMLParser
    var strings: [String] = []
    let limit: Int
    private(set) var overLimit = false
    private var cur = ""
    private var inSI = false, inT = false, inRPh = false
    init(data: Data, limit: Int) { parser = XMLParser(data: data); self.limit = limit; super.init(); parser.delegate = self }
    func parse() -> Bool { parser.parse() && !overLimit }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "si": inSI = true; cur = ""
        case "t": inT = true
        case "rPh": inRPh = true // phonetic runs are not cell text
        default: break
        }
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "si":
            inSI = false; strings.append(cur)
            if strings.count > limit { overLimit = true; parser.abortParsing() }
        case "t": inT = false
        case "rPh": inRPh = false
        default: break
        }
    }
    func parser(_ parser: XMLParser, foundCharacters s: String) { if inSI && inT && !inRPh { cur += s } }
}

private final class SheetParser: NSObject, XMLParserDelegate {
    let parser: XMLParser
    let shared: [String]
    let maxCells: Int
    var rows: [(row: Int, cells: [String])] = []
    var error: String?
    /// Why parsing stopped at a bound (cell count, row or column out of Excel's range).
    private(set) var limitError: String?
    private var cellCount = 0
    private var rowNum = 0, nextRow = 1
    private var cells: [String] = []
    private var col = 0, nextCol = 0
    private var type = ""
    private var text = ""
    private var inV = false, inT = false
    init(data: Data, shared: [String], maxCells: Int) {
        parser = XMLParser(data: data); self.shared = shared; self.maxCells = maxCells
        super.init(); parser.delegate = self
    }
    func parse() -> Bool {
        let ok = parser.parse() && limitError == nil
        if !ok { error = parser.parserError.map { "\($0)" } }
        return ok
    }
    private func stop(_ why: String) {
        if limitError == nil { limitError = why }
        parser.abortParsing()
    }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes a: [String: String] = [:]) {
        switch name {
        case "row":
            if let r = a["r"] {
                guard let n = rowNumber(r) else { return stop("row number \"\(r.prefix(20))\" outside 1–\(XLSXReader.maxRows)") }
                rowNum = n
            } else { rowNum = nextRow }
            guard rowNum <= XLSXReader.maxRows else { return stop("more than \(XLSXReader.maxRows) rows") }
            nextRow = rowNum + 1; cells = []; nextCol = 0
        case "c":
            if let r = a["r"] {
                guard let c = columnIndex(ofCellRef: r) else { return stop("cell reference \"\(r.prefix(20))\" outside columns A–XFD") }
                col = c
            } else { col = nextCol }
            guard col < XLSXReader.maxColumns else { return stop("more than \(XLSXReader.maxColumns) columns") }
            cellCount += 1
            if cellCount > maxCells {
                return stop("more than \(maxCells) cells (the limit per workbook; raise it with --xlsx-max-cells if the file is genuine)")
            }
            nextCol = col + 1; type = a["t"] ?? "n"; text = ""
        case "v": inV = true
        case "t": inT = true
        default: break
        }
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "v": inV = false
        case "t": inT = false
        case "c":
            var value = text
            switch type {
            case "s": value = Int(text.trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 && $0 < shared.count ? shared[$0] : nil } ?? ""
            case "b": value = text == "1" ? "TRUE" : "FALSE"
            default: break
            }
            if col < XLSXReader.maxColumns {
                if cells.count <= col {
                    // Empty cells before this one count against the bound too (a lone cell at XFD).
                    cellCount += col - cells.count
                    if cellCount > maxCells {
                        return stop("more than \(maxCells) cells with the empty ones before far columns (the limit per workbook; raise it with --xlsx-max-cells if the file is genuine)")
                    }
                    cells.append(contentsOf: repeatElement("", count: col + 1 - cells.count))
                }
                cells[col] = value
            }
        case "row": rows.append((rowNum, cells))
        default: break
        }
    }
    func parser(_ parser: XMLParser, foundCharacters s: String) { if inV || inT { text += s } }
}
