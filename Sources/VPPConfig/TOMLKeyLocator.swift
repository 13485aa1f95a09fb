/// Finds the line on which a TOML key was written, so config errors can name it.
///
/// TOMLKit reports positions for syntax errors only; this scanner follows table headers
/// (`[a]`, `[[a]]`, `[[a.b]]`) and `key = value` lines and records, for each dotted path with
/// array indices (`dong[2].battery[0].capacity_kwh`), the first line it appears on. It handles
/// the subset of TOML site configs use (no multi-line strings spanning keys).
struct TOMLKeyLocator {
    private(set) var lines: [String: Int] = [:]

    init(text: String) {
        var arrayCounts: [String: Int] = [:]   // "dong" -> count, "dong[3].battery" -> count
        var current = ""                        // current table path with indices
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[[") {
                guard let end = line.range(of: "]]") else { continue }
                let name = line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound].trimmingSpaces
                let base = Self.resolve(name, arrayCounts: arrayCounts)
                let idx = arrayCounts[base, default: 0]
                arrayCounts[base] = idx + 1
                current = "\(base)[\(idx)]"
                if lines[current] == nil { lines[current] = lineNo }
            } else if line.hasPrefix("[") {
                guard let end = line.firstIndex(of: "]") else { continue }
                let name = line[line.index(after: line.startIndex)..<end].trimmingSpaces
                current = Self.resolve(name, arrayCounts: arrayCounts)
                if lines[current] == nil { lines[current] = lineNo }
            } else if let eq = line.firstIndex(of: "=") {
                var key = line[..<eq].trimmingSpaces
                if key.hasPrefix("\"") && key.hasSuffix("\"") && key.count >= 2 { key = String(key.dropFirst().dropLast()) }
                let path = current.isEmpty ? key : "\(current).\(key)"
                if lines[path] == nil { lines[path] = lineNo }
            }
        }
    }

    /// Maps `dong.battery` to `dong[<last>].battery` using the arrays seen so far.
    private static func resolve(_ name: String, arrayCounts: [String: Int]) -> String {
        var out = ""
        for part in name.split(separator: ".") {
            let p = String(part).trimmingSpaces
            out = out.isEmpty ? p : "\(out).\(p)"
            if let n = arrayCounts[out], n > 0 { out += "[\(n - 1)]" }
        }
        // The last component must not carry the index of a previous array element.
        if let r = out.range(of: "[", options: .backwards), out.hasSuffix("]"),
           !name.hasSuffix("]"), out.split(separator: ".").last?.contains("[") == true,
           arrayCounts[String(out[..<r.lowerBound])] != nil {
            return String(out[..<r.lowerBound])
        }
        return out
    }

    /// Line of `path`, else of its nearest ancestor.
    func line(of path: String) -> Int? {
        var p = path
        while true {
            if let l = lines[p] { return l }
            if let dot = p.range(of: ".", options: .backwards) { p = String(p[..<dot.lowerBound]) }
            else if let br = p.range(of: "[", options: .backwards) { p = String(p[..<br.lowerBound]) }
            else { return nil }
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
