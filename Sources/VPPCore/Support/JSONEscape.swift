import Foundation
/// Appends `s` as a quoted JSON string (RFC 8259 §7). `<` is written as `\u003c` so the text is
/// also safe inside an HTML `<script>` block. Shared by the tracking report and the server.
package func jsonEscape(_ s: String, into out: inout String) {
    out += "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "<": out += "\\u003c"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else { out.unicodeScalars.append(u) }
        }
    }
    out += "\""
}
