import Foundation
import Testing
@testable import VPPBenchmarks
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore
@testable import Forecast

@Suite("Solar position (NREL SPA)")
struct SolarGeometryTests {
    @Test("SPA tables have the paper's term counts")
    func tableCounts() {
        #expect(SPATables.L0.count == 64 && SPATables.L1.count == 34 && SPATables.L2.count == 20)
        #expect(SPATables.L3.count == 7 && SPATables.L4.count == 3 && SPATables.L5.count == 1)
        #expect(SPATables.B0.count == 5 && SPATables.B1.count == 2)
        #expect(SPATables.R0.count == 40 && SPATables.R1.count == 10 && SPATables.R2.count == 6)
        #expect(SPATables.R3.count == 2 && SPATables.R4.count == 1)
        #expect(SPATables.Y.count == 63 && SPATables.PE.count == 63)
    }

    /// Reda & Andreas (2004), Appendix A.5 test case: 2003-10-17 12:30:30 local time, UTC−7,
    /// ΔT 67 s, 39.742476 N 105.1786 W, 1830.14 m, 820 mbar, 11 °C →
    /// topocentric zenith 50.11162°, azimuth 194.34024°.
    @Test("SPA paper test case to 0.0001°")
    func paperCase() {
        let utc = KSTDateTime(year: 2003, month: 10, day: 17, hour: 12, minute: 30, second: 30).epochSeconds
            + KST.offsetSeconds + 7 * 3600   // KST wall-clock fields → UTC, then local −7 h
        let o = SPA.Observer(latitudeDeg: 39.742476, longitudeDeg: -105.1786, elevationM: 1830.14,
                             pressureMbar: 820, temperatureC: 11)
        let p = SPA.position(epochSeconds: Double(utc), observer: o, deltaT: 67)
        #expect(abs(p.apparentZenithDeg - 50.11162) < 0.0001)
        #expect(abs(p.azimuthDeg - 194.34024) < 0.0001)
    }

    @Test("Matches pvlib SPA reference for Seodaemun 2024 within 0.01°")
    func seodaemunReference() throws {
        guard let path = TestData.path("reference/solar/seodaemun_solar_position_clearsky_2024.csv") else {
            print("SKIP: shared/data/reference/solar not found"); return
        }
        let rows = try ReferenceRows.load(path)
        #expect(rows.count == 594)
        let o = SPA.Observer(latitudeDeg: 37.5792, longitudeDeg: 126.9368, elevationM: 40, pressureMbar: 1013.25, temperatureC: 12)
        var maxZ = 0.0, maxApp = 0.0, maxAz = 0.0
        for r in rows {
            let p = SPA.position(epochSeconds: Double(r.epoch), observer: o, deltaT: 69.2)
            maxZ = max(maxZ, abs(p.zenithDeg - r.zenith))
            maxApp = max(maxApp, abs(p.apparentZenithDeg - r.apparentZenith))
            var dAz = abs(p.azimuthDeg - r.azimuth); if dAz > 180 { dAz = 360 - dAz }
            maxAz = max(maxAz, dAz)
        }
        #expect(maxZ < 0.01, "max zenith error \(maxZ)")
        #expect(maxApp < 0.01, "max apparent zenith error \(maxApp)")
        #expect(maxAz < 0.01, "max azimuth error \(maxAz)")
    }
}

struct ReferenceRow { var epoch: Int64; var apparentZenith, zenith, azimuth, ghi, dni, dhi: Double }

enum ReferenceRows {
    static func load(_ path: String) throws -> [ReferenceRow] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [ReferenceRow] = []
        for (i, line) in text.components(separatedBy: "\n").enumerated() where i > 0 && !line.isEmpty {
            let f = line.components(separatedBy: ",")
            guard f.count >= 7, let t = KSTDateTime.parse(f[0]) else { continue }
            out.append(ReferenceRow(epoch: t.epochSeconds, apparentZenith: Double(f[1])!, zenith: Double(f[2])!,
                                    azimuth: Double(f[3])!, ghi: Double(f[4])!, dni: Double(f[5])!, dhi: Double(f[6])!))
        }
        return out
    }
}
