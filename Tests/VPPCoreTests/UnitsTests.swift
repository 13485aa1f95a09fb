import Testing
@testable import VPPBenchmarks
@testable import VPPAuth
@testable import Tracking
@testable import Ingestion
import VPPConfig
import VPPStoreSQLite
import VPPStore
import VPPCore

@Suite("Units and KST time")
struct UnitsTests {
    @Test func energyConversions() {
        #expect(WattHours(kWh: 1.2345).wh == 1235)
        #expect(WattHours(kWh: -0.0005).wh == -1)   // half away from zero
        #expect(WattHours(MWh: 2).kWh == 2000)
        #expect(WattHours(1500).kWh == 1.5)
        #expect(Watts(kW: 2).energy(over: 900).wh == 500)    // 2 kW for 15 min = 500 Wh
        #expect(WattHours(500).averagePower(over: 900).w == 2000)
        #expect(KilowattsPeak(watts: 325 * 299).kWp == 97.175)
        #expect(EmissionFactor(tonnesPerMWh: 0.4173).emissions(for: WattHours(MWh: 10)).t == 4.173)
    }

    @Test func civilDaysRoundTrip() {
        // 1970-01-01 is day 0; 2000-03-01 is day 11017 (Hinnant's worked example values).
        #expect(KST.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(KST.daysFromCivil(year: 2000, month: 3, day: 1) == 11017)
        for d in stride(from: Int64(-1000), to: 30000, by: 37) {
            let c = KST.civilFromDays(d)
            #expect(KST.daysFromCivil(year: c.year, month: c.month, day: c.day) == d)
        }
        #expect(KST.daysInMonth(year: 2024, month: 2) == 29)
        #expect(KST.daysInMonth(year: 2100, month: 2) == 28)
        #expect(KST.daysInMonth(year: 2000, month: 2) == 29)
    }

    @Test func kstIsUTCPlusNine() {
        // 2024-01-01 00:00 KST = 2023-12-31 15:00 UTC = 1704034800.
        let t = KSTDateTime(year: 2024, month: 1, day: 1)
        #expect(t.epochSeconds == 1_704_034_800)
        #expect(KSTDateTime(epochSeconds: 1_704_034_800) == t)
        #expect(t.iso8601 == "2024-01-01T00:00:00+09:00")
    }

    @Test(arguments: [
        ("2018-03-01 1:00", KSTDateTime(year: 2018, month: 3, day: 1, hour: 1)),
        ("2018-3-1 01:00:00", KSTDateTime(year: 2018, month: 3, day: 1, hour: 1)),
        ("2024/07/01 13:45", KSTDateTime(year: 2024, month: 7, day: 1, hour: 13, minute: 45)),
        ("2024.07.01", KSTDateTime(year: 2024, month: 7, day: 1)),
        ("202407011345", KSTDateTime(year: 2024, month: 7, day: 1, hour: 13, minute: 45)),
        ("2024-07-01T04:45:00Z", KSTDateTime(year: 2024, month: 7, day: 1, hour: 13, minute: 45)),
        ("2024-07-01T13:45:00+09:00", KSTDateTime(year: 2024, month: 7, day: 1, hour: 13, minute: 45)),
        ("2024-01-31 24:00", KSTDateTime(year: 2024, month: 1, day: 31, hour: 24)),
    ])
    func parsesStamps(text: String, expected: KSTDateTime) {
        let p = KSTDateTime.parse(text)
        #expect(p?.epochSeconds == expected.epochSeconds, "\(text)")
    }

    @Test(arguments: ["", "hello", "2024-13-01", "2024-02-30 10:00", "2024-01-01 25:00", "2024-01-01 24:30", "12:00"])
    func rejectsNonStamps(text: String) {
        #expect(KSTDateTime.parse(text) == nil, "\(text)")
    }

    @Test func hourEndingAtMidnightAndMonthEnd() {
        // Dangjin's "2018-03-02 0:00" hour-ending = energy 23:00–24:00 on 2018-03-01.
        let stamp = KSTDateTime.parse("2018-03-02 0:00")!
        let slot = Slot(stamp: stamp, convention: .hourEnding, length: .hour)
        #expect(slot.startKST == KSTDateTime(year: 2018, month: 3, day: 1, hour: 23))
        // "24:00" on the last day of a month labels 23:00–24:00 of that day and normalises to the 1st.
        let s24 = Slot(stamp: KSTDateTime.parse("2024-01-31 24:00")!, convention: .hourEnding, length: .hour)
        #expect(s24.startKST == KSTDateTime(year: 2024, month: 1, day: 31, hour: 23))
        #expect(s24.endKST == KSTDateTime(year: 2024, month: 2, day: 1))
        // Leap-year February end, 15-minute hour-ending stamp.
        let q = Slot(stamp: KSTDateTime(year: 2024, month: 3, day: 1), convention: .hourEnding, length: .quarterHour)
        #expect(q.startKST == KSTDateTime(year: 2024, month: 2, day: 29, hour: 23, minute: 45))
        // Year end.
        let y = Slot(stamp: KSTDateTime(year: 2025, month: 1, day: 1), convention: .hourEnding, length: .hour)
        #expect(y.startKST == KSTDateTime(year: 2024, month: 12, day: 31, hour: 23))
        // Round trip: the stamp each convention writes.
        #expect(StampConvention.hourEnding.stamp(slotStart: y.start, length: .hour) == KSTDateTime(year: 2025, month: 1, day: 1).epochSeconds)
        #expect(StampConvention.hourBeginning.slotStart(stampEpoch: y.start, length: .hour) == y.start)
    }

    @Test func slotArithmetic() {
        let t = KSTDateTime(year: 2024, month: 7, day: 1, hour: 13, minute: 52).epochSeconds
        let q = Slot(containing: t, length: .quarterHour)
        #expect(q.startKST == KSTDateTime(year: 2024, month: 7, day: 1, hour: 13, minute: 45))
        #expect(q.hour.startKST == KSTDateTime(year: 2024, month: 7, day: 1, hour: 13))
        let day = Slot.range(from: KSTDateTime(year: 2024, month: 7, day: 1).epochSeconds,
                             to: KSTDateTime(year: 2024, month: 7, day: 2).epochSeconds, length: .quarterHour)
        #expect(day.count == 96)
        #expect(day.first?.startKST.hour == 0)   // KST midnight aligned
        #expect(SlotLength(text: "15m") == .quarterHour)
        #expect(SlotLength(text: "1h") == .hour)
        #expect(SlotLength(text: "7m") == nil)
    }

    @Test func yearMonth() {
        let m = YearMonth("2024-02")!
        #expect(m.days == 29)
        #expect((m.endEpoch - m.startEpoch) == 29 * 86_400)
        #expect(YearMonth("2024-12")!.next == YearMonth(year: 2025, month: 1))
        #expect(YearMonth("202407") == YearMonth(year: 2024, month: 7))
        #expect(YearMonth("2024-13") == nil)
    }
}
