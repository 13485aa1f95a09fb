import Foundation
import Testing
@testable import VPPServer
import VPPConfig
import VPPCore
import VPPStore
import VPPStoreSQLite
import VPPTestSupport

/// Page titles come from the loaded site, not from one district.
struct SiteTitleTests {
    @Test func pagesAreTitledWithTheLoadedSite() async throws {
        let (store, dir) = try TestStore.make(clock: SystemWallClock())
        defer { TempDirectory.remove(dir) }
        try await store.loadSite(SiteBuilder.tiny())                       // 시험구 / Test-gu
        let op = try await store.createToken(role: .operator, office: nil, complexes: []).text
        var settings = ServerSettings()
        settings.port = 0
        settings.spoolDirectory = dir.appendingPathComponent("spool").path
        settings.requestTimeoutS = 120; settings.headerTimeoutS = 120   // as LiveServer: a loaded suite is slow, not broken
        settings.site = try await store.storage.sites.loadedSiteConfig()?.site   // as `vpp serve` does
        let running = try await RunningServer.start(storage: store.storage, settings: settings)
        let dash = try await LoopbackHTTP.async(port: running.port, method: "GET", path: "/dashboard",
                                                headers: [("Authorization", "Bearer \(op)")])
        let upload = try await LoopbackHTTP.async(port: running.port, method: "GET", path: "/upload", headers: [])
        let login = try await LoopbackHTTP.async(port: running.port, method: "GET", path: "/login", headers: [])
        await running.stop()
        #expect(dash.status == 200)
        #expect(dash.text.contains("<title>시험구 가상발전소 VPP — 운영 대시보드</title>"), "\(dash.text.prefix(600))")
        #expect(upload.text.contains("<title>시험구 가상발전소 — 관리사무소 업로드</title>") && upload.text.contains("Test-gu VPP"))
        #expect(login.text.contains("<title>시험구 가상발전소 — 로그인</title>"))
        for page in [dash.text, upload.text, login.text] {
            #expect(!page.contains("서대문") && !page.contains("Seodaemun"))
        }
    }

    @Test func titleWithoutALoadedSiteNamesNoDistrict() {
        #expect(Pages.siteTitle(nil, "가상발전소 — 로그인") == "가상발전소 — 로그인")
        #expect(Pages.siteTitle(SiteInfo(id: "b", name: "Busan Jin-gu", nameKo: "부산진구"), "가상발전소") == "부산진구 가상발전소")
    }
}
