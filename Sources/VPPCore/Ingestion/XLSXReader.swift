import Foundation
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

    public let path: String
    public init(path: String) { self.path = path }

    /// Whether bytes start like a zip archive (`PK\3\4`).
    public static func looksLikeZip(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 4 && prefix[0] == 0x50 && prefix[1] == 0x4B && prefix[2] == 3 && prefix[3] == 4
    }

    private func fail(_ why: String) -> IngestError { IngestError(file: path, .workbook(why)) }

    private func entryData(_ archive: Archive, _ name: String) throws -> Data? {
        guard let entry = archive[name] else { return nil }
        var data = Data()
        do { _ = try archive.extract(entry, skipCRC32: false) { data.append($0) } } catch {
            throw fail("cannot extract \(name) (\(error)); the file is probably truncated")
        }
        return data
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
            let p = SharedStringsParser(data: ss)
            guard p.parse() else { throw fail("xl/sharedStrings.xml is not well-formed XML") }
            shared = p.strings
        }
        guard let sheetData = try entryData(archive, chosen.target) else { throw fail("sheet file \(chosen.target) missing") }
        let sp = SheetParser(data: sheetData, shared: shared)
        guard sp.parse() else { throw fail("sheet \(chosen.name) is not well-formed XML (\(sp.error ?? "?"))") }
        return Sheet(name: chosen.name, rows: sp.rows)
    }
}

/// Column letters of a cell reference ("AB12" → 27, zero-based).
func columnIndex(ofCellRef ref: String) -> Int? {
    var v = 0, n = 0
    for u in ref.unicodeScalars {
        guard u.value >= 65 && u.value <= 90 else { break }
        v = v * 26 + Int(u.value - 64); n += 1
    }
    return n == 0 ? nil : v - 1
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
    private var cur = ""
    private var inSI = false, inT = false, inRPh = false
    init(data: Data) { parser = XMLParser(data: data); super.init(); parser.delegate = self }
    func parse() -> Bool { parser.parse() }
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
        case "si": inSI = false; strings.append(cur)
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
    var rows: [(row: Int, cells: [String])] = []
    var error: String?
    private var rowNum = 0, nextRow = 1
    private var cells: [String] = []
    private var col = 0, nextCol = 0
    private var type = ""
    private var text = ""
    private var inV = false, inT = false
    init(data: Data, shared: [String]) { parser = XMLParser(data: data); self.shared = shared; super.init(); parser.delegate = self }
    func parse() -> Bool {
        let ok = parser.parse()
        if !ok { error = parser.parserError.map { "\($0)" } }
        return ok
    }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes a: [String: String] = [:]) {
        switch name {
        case "row":
            rowNum = a["r"].flatMap(Int.init) ?? nextRow
            nextRow = rowNum + 1; cells = []; nextCol = 0
        case "c":
            col = a["r"].flatMap(columnIndex(ofCellRef:)) ?? nextCol
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
            if col < 16_384 {
                if cells.count <= col { cells.append(contentsOf: repeatElement("", count: col + 1 - cells.count)) }
                cells[col] = value
            }
        case "row": rows.append((rowNum, cells))
        default: break
        }
    }
    func parser(_ parser: XMLParser, foundCharacters s: String) { if inV || inT { text += s } }
}
