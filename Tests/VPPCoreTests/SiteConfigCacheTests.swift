import Testing
import VPPCore
import VPPStore
import VPPTestSupport

@Suite("site config cache")
struct SiteConfigCacheTests {
    final class Counter: @unchecked Sendable { var n = 0 }

    @Test("a config is decoded once per fingerprint; a new fingerprint decodes again; the cache is bounded")
    func hitsMissesAndBound() async throws {
        let cache = SiteConfigCache(capacity: 2)
        let loads = Counter()
        var a = SiteBuilder.tiny()
        a.site = SiteInfo(id: "a", name: "A", nameKo: "가")
        /// `stored`: the sha256 the store holds when the JSON is read (a load may have committed
        /// since the caller read `sha`).
        func get(_ id: String, _ sha: String, _ c: SiteConfig, stored: String? = nil) async throws -> SiteConfig? {
            try await cache.config(siteID: id, sha256: sha) { loads.n += 1; return (stored ?? sha, c) }
        }
        #expect(try await get("a", "s1", a) == a)
        #expect(try await get("a", "s1", a) == a)
        #expect(loads.n == 1)
        var a2 = a
        a2.dongs[0].households += 1
        #expect(try await get("a", "s2", a2) == a2)   // changed config: new fingerprint
        #expect(loads.n == 2)
        _ = try await get("b", "t", a)
        _ = try await get("c", "u", a)                // third id past capacity 2: starts over
        _ = try await get("a", "s2", a2)
        #expect(loads.n == 5)
        #expect(try await cache.config(siteID: "none", sha256: "x") { nil } == nil)
        // A site load between the caller's read of the hash and the JSON: the new config is kept
        // under its own hash, so a caller holding the old hash reads again instead of getting it.
        var a3 = a2
        a3.dongs[0].households += 1
        #expect(try await get("a", "s2-old", a3, stored: "s3") == a3)
        #expect(loads.n == 6)
        #expect(try await get("a", "s2-old", a2) == a2)
        #expect(loads.n == 7)
    }
}
