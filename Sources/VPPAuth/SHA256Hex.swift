import Crypto
import Foundation
import VPPCore

/// Hex SHA-256 of bytes (upload identity, config fingerprints).
public func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
