import Foundation
import Synchronization
import VPPCore

/// Decoded site configs by site id and the sha256 of their stored JSON, so a store does not decode
/// the same config on every read (the city page reads every district's: decoding 25 configs was
/// about half the server's CPU per uncached request). A changed config has another sha256 and is
/// decoded afresh. Bounded: past `capacity` entries the cache starts over.
public final class SiteConfigCache: Sendable {
    private let entries = Mutex<[String: (sha256: String, config: SiteConfig)]>([:])
    public let capacity: Int

    public init(capacity: Int = 256) { self.capacity = max(1, capacity) }

    /// The config of `siteID` stored with `sha256`: the cached one, else what `load()` reads —
    /// the stored JSON's own sha256 with the decoded config, read together (a site load between
    /// the caller's read of `sha256` and `load` then keeps the new config under its own hash).
    public func config(siteID: String, sha256: String,
                       load: () async throws -> (sha256: String, config: SiteConfig)?) async throws -> SiteConfig? {
        if let hit = entries.withLock({ $0[siteID] }), hit.sha256 == sha256 { return hit.config }
        guard let (sha, c) = try await load() else { return nil }
        entries.withLock { e in
            if e.count >= capacity, e[siteID] == nil { e.removeAll(keepingCapacity: true) }
            e[siteID] = (sha, c)
        }
        return c
    }

    /// Decodes a stored config (a store's own JSON; a failure is the store's, not the caller's input).
    public static func decode(_ json: String) throws -> SiteConfig {
        do { return try JSONDecoder().decode(SiteConfig.self, from: Data(json.utf8)) } catch {
            throw VPPError(.internal, "stored site config cannot be decoded: \(error)")
        }
    }
}
