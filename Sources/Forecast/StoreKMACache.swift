import Foundation
import VPPCore

/// KMA replies cached in the store's weather_cache table.
public struct StoreKMACache: KMAReplyCache {
    public let vppStore: VPPStore
    public init(store: VPPStore) { self.vppStore = store }
    public func body(forKey key: String) async throws -> Data? { try vppStore.weatherCacheBody(key: key) }
    public func store(body: Data, forKey key: String, fetchedAt: Int64) async throws {
        try vppStore.putWeatherCache(key: key, fetchedAt: fetchedAt, body: body)
    }
}
