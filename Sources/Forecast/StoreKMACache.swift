import Foundation
import VPPCore

/// KMA replies cached in the store's weather_cache table.
public struct StoreKMACache: KMAReplyCache {
    public let store: VPPStore
    public init(store: VPPStore) { self.store = store }
    public func body(forKey key: String) async throws -> Data? { try store.weatherCacheBody(key: key) }
    public func store(body: Data, forKey key: String, fetchedAt: Int64) async throws {
        try store.putWeatherCache(key: key, fetchedAt: fetchedAt, body: body)
    }
}
