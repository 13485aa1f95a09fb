import Foundation
import Testing
@testable import Forecast
import VPPConfig
import VPPCore
import VPPTestSupport

/// The clear-sky turbidity comes from the loaded site's config, not from a built-in district.
struct SiteLinkeTests {
    @Test func seodaemunConfigCarriesItsTable() throws {
        let site = try SiteConfigParser().parse(fileAt: Paths.seodaemunConfig.path)
        #expect(LinkeTurbidity(site: site.site) == .seodaemun)
    }

    @Test func aSiteWithoutATableGetsTheGenericClimatology() {
        #expect(LinkeTurbidity(site: SiteBuilder.tiny().site) == .generic)
        let own = SiteInfo(id: "x", name: "X", nameKo: "엑스", linkeTurbidityMonthly: Array(repeating: 2.5, count: 12))
        #expect(LinkeTurbidity(site: own).monthly == Array(repeating: 2.5, count: 12))
    }
}
