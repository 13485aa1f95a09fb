import Foundation
import Hummingbird
import Tracking
import VPPCore
import VPPStore

/// `GET /api/v1/city?period=YYYY|YYYY-MM` (operators): every district loaded in the store rolled
/// up against the city targets with each district's share (`CityReportPayload`, the same JSON as
/// `vpp report --scope city --format json`), cached until the data changes. Without `period`, the
/// KST year of the newest rollup.
extension HTTPServer {
    func cityRoutes() -> Routes {
        let routes = Routes(context: VPPRequestContext.self)
        let storage = self.storage, cache = self.cache
        readRoute(routes) { request, _ in
            let period = try await ReadAPI.reportPeriod(Self.query(request)["period"], storage: storage)
            return try await cache.body("city|\(period.label)") {
                try APIJSON.encode(try await CityReportBuilder.build(storage: storage, period: period))
            }
        }
        return routes
    }
}
