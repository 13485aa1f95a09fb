import Tracking
import Ingestion
import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// A minimal multipart/form-data reader (RFC 7578) for the upload form: text fields and one
/// file part. File names are kept only as labels; nothing here touches the file system.
struct MultipartForm: Sendable {
    struct Part: Sendable {
        var name: String
        var fileName: String?
        var contentType: String?
        var body: [UInt8]
    }
    var parts: [Part] = []

    func field(_ name: String) -> String? {
        parts.first { $0.name == name && $0.fileName == nil }.map { String(decoding: $0.body, as: UTF8.self) }
    }
    var file: Part? { parts.first { $0.fileName != nil } ?? parts.first { $0.name == "file" } }

    enum ParseError: Error { case malformed(String) }

    /// The boundary parameter of a `multipart/form-data` content type.
    static func boundary(contentType: String) -> String? {
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var v = kv[1].trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v.isEmpty || v.utf8.count > 70 ? nil : v
        }
        return nil
    }

    static func parse(_ body: [UInt8], boundary: String) throws -> MultipartForm {
        let delim = Array(("--" + boundary).utf8)
        var form = MultipartForm()
        guard var pos = find(delim, in: body, from: 0) else { throw ParseError.malformed("no multipart boundary in body") }
        pos += delim.count
        while true {
            // After a delimiter: "--" ends the body, else CRLF then headers.
            if pos + 1 < body.count, body[pos] == 45, body[pos + 1] == 45 { break }
            guard pos + 1 < body.count, body[pos] == 13, body[pos + 1] == 10 else { throw ParseError.malformed("bad boundary line") }
            pos += 2
            guard let headerEnd = find([13, 10, 13, 10], in: body, from: pos) else { throw ParseError.malformed("part without headers end") }
            let headerText = String(decoding: body[pos..<headerEnd], as: UTF8.self)
            pos = headerEnd + 4
            guard let next = find([13, 10] + delim, in: body, from: pos) else { throw ParseError.malformed("part without closing boundary") }
            var part = Part(name: "", fileName: nil, contentType: nil, body: Array(body[pos..<next]))
            for line in headerText.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if key == "content-disposition" {
                    part.name = param("name", in: value) ?? ""
                    part.fileName = param("filename", in: value)
                } else if key == "content-type" {
                    part.contentType = value
                }
            }
            if form.parts.count >= 32 { throw ParseError.malformed("too many parts") }
            form.parts.append(part)
            pos = next + 2 + delim.count
        }
        return form
    }

    /// What the start of a multipart body says about a text field expected as its first part.
    enum LeadingField: Equatable, Sendable {
        /// The first part is not complete yet.
        case needMore
        /// The first part is the field, with this value.
        case found(String)
        /// The first part is something else (or the prefix is malformed or longer than `limit`).
        case absent
    }

    /// Reads the first part of a (possibly incomplete) multipart body, so the upload form's token
    /// can be checked before the file after it is read. Looks at no more than `limit` bytes.
    static func leadingField(_ name: String, in body: [UInt8], boundary: String, limit: Int = 16 * 1024) -> LeadingField {
        let delim = Array(("--" + boundary).utf8)
        let window = body.count > limit ? Array(body[0..<limit]) : body
        guard let start = find(delim, in: window, from: 0) else { return body.count > limit ? .absent : .needMore }
        var pos = start + delim.count
        guard pos + 2 <= window.count else { return body.count > limit ? .absent : .needMore }
        guard window[pos] == 13, window[pos + 1] == 10 else { return .absent }
        pos += 2
        guard let headerEnd = find([13, 10, 13, 10], in: window, from: pos) else { return body.count > limit ? .absent : .needMore }
        let headerText = String(decoding: window[pos..<headerEnd], as: UTF8.self)
        var fieldName: String?, isFile = false
        for line in headerText.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" {
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                fieldName = param("name", in: value)
                isFile = param("filename", in: value) != nil
            }
        }
        guard fieldName == name, !isFile else { return .absent }
        guard let end = find([13, 10] + delim, in: window, from: headerEnd + 4) else { return body.count > limit ? .absent : .needMore }
        return .found(String(decoding: window[(headerEnd + 4)..<end], as: UTF8.self))
    }

    private static func param(_ key: String, in header: String) -> String? {
        // Parameters after the disposition type; quoted values may contain ';'.
        var i = header.startIndex
        while i < header.endIndex {
            guard let semi = header[i...].firstIndex(of: ";") else { return nil }
            var j = header.index(after: semi)
            while j < header.endIndex, header[j] == " " { j = header.index(after: j) }
            guard let eq = header[j...].firstIndex(of: "=") else { return nil }
            let name = header[j..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var k = header.index(after: eq)
            var value = ""
            if k < header.endIndex, header[k] == "\"" {
                k = header.index(after: k)
                while k < header.endIndex, header[k] != "\"" {
                    if header[k] == "\\", header.index(after: k) < header.endIndex { k = header.index(after: k) }
                    value.append(header[k]); k = header.index(after: k)
                }
                if k < header.endIndex { k = header.index(after: k) }
            } else {
                while k < header.endIndex, header[k] != ";" { value.append(header[k]); k = header.index(after: k) }
            }
            if name == key { return value.trimmingCharacters(in: .whitespaces) }
            i = k
        }
        return nil
    }

    /// First index of `needle` in `hay` at or after `from` (memchr on the first byte, then compare).
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        let first = needle[0]
        let n = needle.count
        return hay.withUnsafeBufferPointer { h -> Int? in
            needle.withUnsafeBufferPointer { nd -> Int? in
                guard let hb = h.baseAddress, let nb = nd.baseAddress else { return nil }
                var i = from
                let last = h.count - n
                while i <= last {
                    guard let p = memchr(hb + i, Int32(first), last - i + 1) else { return nil }
                    let idx = hb.distance(to: p.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hb + idx, nb, n) == 0 { return idx }
                    i = idx + 1
                }
                return nil
            }
        }
    }
}
