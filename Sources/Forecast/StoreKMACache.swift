import Foundation
import VPPCore
import VPPStore

/// KMA replies kept in the store's weather archive.
public struct StoreKMACache: KMAReplyCache {
    public let archive: any WeatherArchive
    public init(archive: any WeatherArchive) { self.archive = archive }
    public func body(forKey key: String) async throws -> Data? { try await archive.weatherBody(key: key) }
    public func store(body: Data, forKey key: String, fetchedAt: Int64) async throws {
        try await archive.putWeather(key: key, fetchedAt: fetchedAt, body: body)
    }
}
