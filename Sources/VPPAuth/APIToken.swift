import Crypto
import Foundation
import VPPCore

/// A bearer token as presented: `vpp_<key id: 16 hex>_<secret: 43 base64url chars>`.
///
/// The key id is public (it finds the row); the secret is 32 bytes from
/// `SystemRandomNumberGenerator` (the OS CSPRNG: getrandom(2) on Linux) and is never stored:
/// only HMAC-SHA256(key: per-token 16-byte random salt, message: secret) is kept (RFC 2104 with
/// SHA-256, FIPS 180-4), and a presented secret is checked by recomputing it and comparing in
/// constant time.
public struct TokenSecret: Sendable, Equatable {
    public static let prefix = "vpp_"
    public var keyID: String
    public var secret: [UInt8]

    public init(keyID: String, secret: [UInt8]) { self.keyID = keyID; self.secret = secret }

    /// A fresh random token.
    public static func generate() -> TokenSecret {
        generate(using: SystemRandomNumberGenerator())
    }

    /// A token from `rng` (tests pass a seeded generator; production always uses the system CSPRNG).
    public static func generate<R: RandomNumberGenerator>(using rng: R) -> TokenSecret {
        var g = rng
        let kid = randomBytes(8, &g).map { String(format: "%02x", $0) }.joined()
        return TokenSecret(keyID: kid, secret: randomBytes(32, &g))
    }

    static func randomBytes<R: RandomNumberGenerator>(_ n: Int, _ g: inout R) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n)
        while out.count < n {
            var v = g.next()
            for _ in 0..<8 where out.count < n { out.append(UInt8(truncatingIfNeeded: v)); v >>= 8 }
        }
        return out
    }

    /// The text the user is shown once and sends as `Authorization: Bearer <text>`.
    public var text: String { Self.prefix + keyID + "_" + Base64URL.encode(secret) }

    /// Parses presented text; nil when it is not shaped like a vpp token.
    public init?(text: String) {
        let u = Array(text.utf8)
        let p = Array(Self.prefix.utf8)
        guard u.count == p.count + 16 + 1 + 43, u.starts(with: p), u[p.count + 16] == UInt8(ascii: "_") else { return nil }
        let kid = u[p.count..<(p.count + 16)]
        guard kid.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        guard let secret = Base64URL.decode(Array(u[(p.count + 17)...])), secret.count == 32 else { return nil }
        self.keyID = String(decoding: kid, as: UTF8.self)
        self.secret = secret
    }
}

/// Salted token hashing and verification.
public enum TokenHasher {
    public static let saltBytes = 16

    public static func newSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return TokenSecret.randomBytes(saltBytes, &g)
    }

    /// HMAC-SHA256(key: salt, message: secret).
    public static func hash(secret: [UInt8], salt: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: secret, using: SymmetricKey(data: salt)))
    }

    /// True when `secret` hashes to `expected`; the comparison takes the same time wherever
    /// the first differing byte is.
    public static func verify(secret: [UInt8], salt: [UInt8], expected: [UInt8]) -> Bool {
        constantTimeEqual(hash(secret: secret, salt: salt), expected)
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// Base64url without padding (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ chars: [UInt8]) -> [UInt8]? {
        func val(_ c: UInt8) -> UInt32? {
            switch c {
            case 65...90: return UInt32(c - 65)
            case 97...122: return UInt32(c - 97 + 26)
            case 48...57: return UInt32(c - 48 + 52)
            case 45: return 62
            case 95: return 63
            default: return nil
            }
        }
        if chars.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            let chunk = chars[i..<min(i + 4, chars.count)]
            var n: UInt32 = 0
            for c in chunk { guard let v = val(c) else { return nil }; n = n << 6 | v }
            n <<= UInt32(6 * (4 - chunk.count))
            out.append(UInt8(n >> 16 & 255))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 255)) }
            if chunk.count > 3 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
