import VPPAuth
import Foundation
import VPPCore
import VPPStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text encodings of uploaded files. Korean Excel and many office systems write CP949
/// (Microsoft's superset of EUC-KR); newer systems write UTF-8, often with a byte-order mark.
public enum TextEncoding: String, Sendable, CaseIterable, Codable {
    case utf8 = "utf-8"
    case cp949 = "cp949"

    /// Accepts common spellings: `utf8`, `utf-8`, `utf-8-bom`, `cp949`, `ms949`, `euc-kr`, `uhc`.
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf8", "utf-8", "utf-8-bom", "utf8-bom", "utf-8-sig": self = .utf8
        case "cp949", "ms949", "euc-kr", "euckr", "uhc", "ks-c-5601-1987", "windows-949": self = .cp949
        default: return nil
        }
    }
}

/// Encoding detection and conversion. Decoding happens on raw bytes, chunk by chunk, so a
/// file never has to be held in memory as a `String`.
///
/// Foundation on Linux (swift-corelibs-foundation) has no CP949/EUC-KR `String.Encoding`
/// (`String(data:encoding:)` only knows the CoreFoundation built-ins there), so CP949 goes
/// through glibc's iconv(3), which ships the CP949 converter (`iconv -l` lists `CP949//`).
public enum TextDecoding {
    /// What a sample of a file's first bytes says about its encoding.
    public struct Detection: Sendable, Equatable {
        public var encoding: TextEncoding
        /// Length of a UTF-8 byte-order mark at the start (0 or 3).
        public var bomLength: Int
    }

    /// UTF-8 with a BOM → utf8 (BOM skipped); valid UTF-8 → utf8; anything else → cp949.
    /// `sampleIsWholeFile` false allows a multi-byte sequence cut at the end of the sample.
    public static func detect(_ sample: UnsafeBufferPointer<UInt8>, sampleIsWholeFile: Bool) -> Detection {
        if sample.count >= 3, sample[0] == 0xEF, sample[1] == 0xBB, sample[2] == 0xBF {
            return Detection(encoding: .utf8, bomLength: 3)
        }
        return Detection(encoding: isValidUTF8(sample, allowTruncatedTail: !sampleIsWholeFile) ? .utf8 : .cp949, bomLength: 0)
    }

    public static func detect(_ bytes: [UInt8]) -> Detection {
        bytes.withUnsafeBufferPointer { detect($0, sampleIsWholeFile: true) }
    }

    /// Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
    public static func isValidUTF8(_ p: UnsafeBufferPointer<UInt8>, allowTruncatedTail: Bool) -> Bool {
        var i = 0
        let n = p.count
        while i < n {
            let b = p[i]
            if b < 0x80 { i += 1; continue }
            var need = 0
            var minNext: UInt8 = 0x80, maxNext: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; minNext = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: need = 2
            case 0xED: need = 2; maxNext = 0x9F
            case 0xF0: need = 3; minNext = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; maxNext = 0x8F
            default: return false
            }
            for k in 1...need {
                if i + k >= n { return allowTruncatedTail }
                let c = p[i + k]
                if k == 1 { if c < minNext || c > maxNext { return false } } else if c < 0x80 || c > 0xBF { return false }
            }
            i += need + 1
        }
        return true
    }

    /// Decodes a whole byte array to a String (small inputs: mapping files, tests, raw reject text).
    public static func decode(_ bytes: [UInt8], as encoding: TextEncoding) throws -> String {
        switch encoding {
        case .utf8:
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
            return String(decoding: body, as: UTF8.self)
        case .cp949:
            let conv = try IconvConverter(from: "CP949")
            var out: [UInt8] = []
            _ = bytes.withUnsafeBufferPointer { conv.convert($0, into: &out, final: true) }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// A streaming iconv(3) converter to UTF-8. Invalid input bytes become U+FFFD (so the row
/// that contains them is rejected by the reader with its raw text, not silently altered).
final class IconvConverter {
    private let cd: iconv_t

    init(from source: String) throws {
        let cd = iconv_open("UTF-8", source)
        if cd == iconv_t(bitPattern: -1) {
            throw IngestError(file: "", .encoding("iconv cannot convert from \(source) on this system"))
        }
        self.cd = cd!
    }

    deinit { iconv_close(cd) }

    /// Converts as much of `input` as possible, appending UTF-8 to `out`. Returns the number of
    /// input bytes consumed; an incomplete multi-byte sequence at the end is left unconsumed
    /// unless `final` is true, in which case it becomes U+FFFD.
    func convert(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], final: Bool) -> Int {
        guard input.count > 0, let base = input.baseAddress else { return 0 }
        var consumed = 0
        var scratch = [UInt8](repeating: 0, count: max(4096, input.count * 2))
        while consumed < input.count {
            var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: base + consumed)
                .assumingMemoryBound(to: CChar.self)
            var inLeft = input.count - consumed
            let before = inLeft
            let (rc, produced, err): (Int, Int, Int32) = scratch.withUnsafeMutableBufferPointer { sb in
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(sb.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = sb.count
                let rc = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                let e = rc == -1 ? errno : 0
                return (rc, sb.count - outLeft, e)
            }
            out.append(contentsOf: scratch[0..<produced])
            consumed += before - inLeft
            if rc != -1 { break }
            switch err {
            case E2BIG: continue
            case EINVAL:
                // Incomplete sequence at the end of the input.
                if final { out.append(contentsOf: [0xEF, 0xBF, 0xBD]); consumed = input.count }
                return consumed
            default:
                // EILSEQ: an invalid byte; mark it and go on.
                out.append(contentsOf: [0xEF, 0xBF, 0xBD]); consumed += 1
            }
        }
        return consumed
    }
}

/// Streams a text file as records (lines, with quoted newlines kept inside a record), decoded
/// to UTF-8, in fixed-size chunks so memory stays flat however large the file is.
final class RecordStream {
    let path: String
    let encoding: TextEncoding
    let quoteAware: Bool
    let chunkSize: Int
    /// Total bytes of the file and bytes read so far (for progress).
    private(set) var totalBytes: Int64 = 0
    private(set) var bytesRead: Int64 = 0

    init(path: String, encoding: TextEncoding, quoteAware: Bool = true, chunkSize: Int = 1 << 20) {
        self.path = path; self.encoding = encoding; self.quoteAware = quoteAware; self.chunkSize = chunkSize
    }

    /// Calls `body(record, lineNumber)` for every record (without its line terminator), then
    /// stops early if `body` returns false. Line numbers are 1-based physical lines.
    func forEach(progress: ((Int64, Int64) -> Void)? = nil,
                 _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Bool) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw IngestError(file: path, .cannotOpen(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 { totalBytes = Int64(st.st_size) }
        let converter = encoding == .cp949 ? try IconvConverter(from: "CP949") : nil
        var raw = [UInt8](repeating: 0, count: chunkSize)
        var rawPending: [UInt8] = [] // undecoded CP949 tail
        var buf: [UInt8] = []
        buf.reserveCapacity(chunkSize * 2 + 16)
        var scanPos = 0, recStart = 0
        var inQuote = false
        var line = 1, recLine = 1
        var first = true
        var eof = false
        var lastProgress: Int64 = 0
        while !eof {
            let n = raw.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunkSize) }
            if n < 0 { throw IngestError(file: path, .cannotOpen("read failed: \(String(cString: strerror(errno)))")) }
            if n == 0 { eof = true }
            bytesRead += Int64(max(0, n))
            if let progress, bytesRead - lastProgress >= 1 << 20 || eof { progress(bytesRead, totalBytes); lastProgress = bytesRead }
            // Compact the decoded buffer: drop consumed records.
            if recStart > 0 {
                buf.removeSubrange(0..<recStart)
                scanPos -= recStart; recStart = 0
            }
            if let converter {
                rawPending.append(contentsOf: raw[0..<max(0, n)])
                let used = rawPending.withUnsafeBufferPointer { converter.convert($0, into: &buf, final: eof) }
                rawPending.removeSubrange(0..<used)
            } else if n > 0 {
                buf.append(contentsOf: raw[0..<n])
            }
            if first && buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF {
                buf.removeSubrange(0..<3)
            }
            if first && (buf.count >= 3 || eof) { first = false }
            var stop = false
            try buf.withUnsafeBufferPointer { p in
                let count = p.count
                var i = scanPos
                while i < count {
                    let b = p[i]
                    if b == 10 /* \n */ && !inQuote {
                        var end = i
                        if end > recStart && p[end - 1] == 13 { end -= 1 }
                        let rec = UnsafeBufferPointer(rebasing: p[recStart..<end])
                        if !(try body(rec, recLine)) { stop = true; return }
                        line += 1; recLine = line
                        recStart = i + 1
                    } else if b == 10 {
                        line += 1
                    } else if b == 34 /* " */ && quoteAware {
                        inQuote.toggle()
                    }
                    i += 1
                }
                scanPos = count
                if eof && recStart < count {
                    var end = count
                    if p[end - 1] == 13 { end -= 1 }
                    let rec = UnsafeBufferPointer(rebasing: p[recStart..<end])
                    if !(try body(rec, recLine)) { stop = true; return }
                    recStart = count
                }
            }
            if stop { return }
        }
    }
}

/// Reads the first `limit` bytes of a file (encoding sniffing, format checks).
func readPrefix(path: String, limit: Int) throws -> [UInt8] {
    guard let h = FileHandle(forReadingAtPath: path) else {
        throw IngestError(file: path, .cannotOpen(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))
    }
    defer { try? h.close() }
    return [UInt8]((try? h.read(upToCount: limit)) ?? Data())
}

/// Streaming SHA-256 and size of a file (upload identity) without holding it in memory.
func fileDigest(path: String) throws -> (sha256: String, bytes: Int64) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw IngestError(file: path, .cannotOpen(String(cString: strerror(errno)))) }
    defer { close(fd) }
    var hasher = SHA256Hasher()
    var buf = [UInt8](repeating: 0, count: 1 << 20)
    var total: Int64 = 0
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 1 << 20) }
        if n < 0 { throw IngestError(file: path, .cannotOpen("read failed")) }
        if n == 0 { break }
        total += Int64(n)
        buf.withUnsafeBufferPointer { hasher.update(UnsafeBufferPointer(rebasing: $0[0..<n])) }
    }
    return (hasher.finalize(), total)
}
