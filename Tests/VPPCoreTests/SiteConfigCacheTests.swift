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
        func get(_ id: String, _ sha: String, _ c: SiteConfig) async throws -> SiteConfig? {
            try await cache.config(siteID: id, sha256: sha) { loads.n += 1; return c }
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
    }
}
