import Forecast
import Foundation
import Tracking
import VPPCharts
import VPPCore
import VPPStore

extension Pages {
    // MARK: Dong page

    func dongPage(code: String, query q: [String: String]) async throws -> String {
        guard let site = try await storage.sites.loadedSiteConfig(siteID: settings.site?.id), let dong = site.dong(code: code) else { throw APIError.notFound("dong \(code)") }
        let p = try await period(q)
        let rep = try await report(p)
        let row = rep.summary.first { $0.level == .dong && $0.dongCode == code }
        var b = "<p class=crumbs><a href=\"/dashboard?\(esc(p.query))\">대시보드 Dashboard</a> › \(esc(dong.nameKo))</p>"
        b += periodNav(path: "/dong/\(code)", p)
        b += "<div class=\"cards\">"
        let cov = "coverage: load \(fmt(row?.consumptionCoveragePct, 0, "%")), PV \(fmt(row?.generationCoveragePct, 0, "%"))"
        b += card("소비 Consumption", fmtKWh(row?.consumptionKWh), coverage: cov)
        b += card("PV 계량 metered", fmtKWh(row?.generationMeteredKWh), coverage: "\(dong.pvFleets.count) PV fleets configured")
        b += card("PV 추정 estimated", fmtKWh(row?.generationEstimatedKWh), coverage: "unmetered PV (ESTIMATE)")
        b += card("수전 Import / 역송 Export", "\(fmtKWh(row?.importKWh)) / \(fmtKWh(row?.exportKWh))", coverage: "hours with both PV and load")
        b += card("RE100 비율 share", fmt(row?.re100SharePct, 1, "%"), coverage: "estimated part \(fmt(row?.renewableEstimatedSharePct, 1, "%"))")
        b += card("감축 tCO2 avoided", fmt(row?.tco2eAvoided, 3, "tCO2"), coverage: "factor \(fmt(row?.emissionFactor, 4)) tCO2/MWh")
        b += "</div>"
        var labels: [String] = [], cons: [Double?] = [], pvm: [Double?] = [], pve: [Double?] = [], imp: [Double?] = [], exp: [Double?] = []
        if p.scope == .day {
            let hourly = try await storage.readings.hourlyRollups(dongCodes: [code], from: p.start, to: p.end)[code] ?? []
            for h in 0..<24 {
                let t = p.start + Int64(h) * 3600
                let r = hourly.first { $0.hourStart == t }
                labels.append(String(format: "%02d", h))
                cons.append(r.flatMap { $0.consumptionCoveredS > 0 ? Double($0.consumptionWh) / 1000 : nil })
                pvm.append(r.flatMap { $0.generationCoveredS > 0 ? Double($0.generationWh) / 1000 : nil })
                pve.append(nil)
                imp.append(r.map { Double($0.importWh) / 1000 }); exp.append(r.map { Double($0.exportWh) / 1000 })
            }
        } else {
            let bk = buckets(rep, p, dong: code)
            labels = bk.labels
            cons = bk.rows.map { $0?.consumptionKWh }; pvm = bk.rows.map { $0?.generationMeteredKWh ?? $0?.generationKWh }
            pve = bk.rows.map { $0?.generationEstimatedKWh }; imp = bk.rows.map { $0?.importKWh }; exp = bk.rows.map { $0?.exportKWh }
        }
        let per = p.scope == .day ? "hour" : (p.scope == .year ? "month" : "day")
        b += "<section><h2>소비·태양광 Consumption and PV per \(per) (kWh)</h2>"
        b += legend([("#2f6db5", "소비 consumption"), ("#e8a317", "PV 계량 metered"), ("#b58a2f", "PV 추정 estimated")])
        b += seriesChart([(cons, "#2f6db5"), (pvm, "#e8a317"), (pve, "#b58a2f")], labels: labels, id: "chart-dong")
        b += "</section><section><h2>수전·역송 Import and export per \(per) (kWh)</h2>"
        b += legend([("#c0392b", "수전 import"), ("#2e9d5b", "역송 export")])
        b += seriesChart([(imp, "#c0392b"), (exp, "#2e9d5b")], labels: labels, id: "chart-grid", height: 180)
        b += "</section>"
        b += await forecastVsActual(dong: dong, site: site, period: p)
        b += try await batteryTable(dong: dong, period: p)
        return page(title: Self.siteTitle(site.site, "\(dong.nameKo) \(dong.name)"), subtitle: "\(p.title) · dong \(code) · energies in kWh", body: b)
    }

    /// PV forecast (runs as issued by D-1 10:00 KST) against the metered PV, and its KPX NMAE.
    func forecastVsActual(dong: DongConfig, site: SiteConfig, period p: DashboardPeriod) async -> String {
        var b = "<section id=\"forecast\"><h2>예측 vs 실적 PV forecast vs actual (kWh; KPX NMAE)</h2>"
        guard let scoring = storage.forecasts as? any ForecastScoringStore,
              let s = try? await ForecastScorer.scoreWithSeries(forecasts: scoring, readings: storage.readings,
                                                                request: ForecastScoreRequest(from: p.start, to: p.end, dongs: [dong])) else {
            return b + "<p class=muted>forecast scores not available</p></section>"
        }
        let score = s.report.pv.first { $0.dong == dong.code }
        b += "<div class=\"cards\">"
        b += card("PV NMAE (KPX)", score.map { $0.nmaePct.map { fmtNum($0, 2) + " %" } ?? $0.status.rawValue } ?? "–",
                  coverage: "\(score?.scoredHours ?? 0) scored hours; \(s.report.runs.count) of \(s.report.runs.count + s.report.daysWithoutRun.count) days with a run")
        b += card("skill vs persistence", score?.skillVsPersistence.map { fmtNum($0, 3) } ?? "–", coverage: "1 − NMAE / NMAE(persistence)")
        b += "</div>"
        let hours = s.pv[dong.code] ?? []
        guard hours.contains(where: { $0.forecastWh != nil }) else { return b + "<p class=muted>no stored forecast run covers this period</p></section>" }
        // Aggregate to the period's buckets: hours for a day, days for week/month, months for a year.
        var labels: [String] = [], f: [Double?] = [], a: [Double?] = []
        var key: [String: Int] = [:]
        for h in hours {
            let k = KSTDateTime(epochSeconds: h.hourStart)
            let label = p.scope == .day ? String(format: "%02d", k.hour) : (p.scope == .year ? String(format: "%02d월", k.month) : String(k.dateString.suffix(5)))
            let i: Int
            if let j = key[label] { i = j } else { i = labels.count; key[label] = i; labels.append(label); f.append(nil); a.append(nil) }
            if let v = h.forecastWh { f[i] = (f[i] ?? 0) + Double(v) / 1000 }
            if let v = h.actualWh { a[i] = (a[i] ?? 0) + Double(v) / 1000 }
        }
        b += legend([("#7a4fb5", "예측 forecast"), ("#e8a317", "실적 actual")])
        b += seriesChart([(f, "#7a4fb5"), (a, "#e8a317")], labels: labels, id: "chart-forecast", height: 180)
        return b + "</section>"
    }

    func batteryTable(dong: DongConfig, period p: DashboardPeriod) async throws -> String {
        var b = "<section id=\"batteries\"><h2>배터리 Batteries</h2>"
        guard !dong.batteries.isEmpty else { return b + "<p class=muted>no battery in this dong</p></section>" }
        let latest = (try? await storage.telemetryStore().latestTelemetry(at: storage.clock.now(), notBefore: nil)) ?? [:]
        b += "<table><tr><th>battery</th><th class=n>kWh</th><th class=n>kW ch/dis</th><th class=n>SoC min–max %</th><th class=n>reserve %</th><th class=n>SoC now %</th><th>last telemetry (KST)</th></tr>"
        for bat in dong.batteries {
            let t = latest[bat.id]
            b += "<tr><td><a href=\"/battery/\(esc(urlq(bat.id)))?\(esc(p.query))\">\(esc(bat.id))</a></td><td class=n>\(fmtNum(bat.capacityKWh, 0))</td>"
            b += "<td class=n>\(fmtNum(bat.maxChargeKW, 0))/\(fmtNum(bat.maxDischargeKW, 0))</td><td class=n>\(fmtNum(bat.socMinPct, 0))–\(fmtNum(bat.socMaxPct, 0))</td>"
            b += "<td class=n>\(fmtNum(bat.reservePct, 0))</td><td class=n>\(t.map { fmtNum(Double($0.socWh) / (bat.capacityKWh * 10), 1) } ?? "–")</td>"
            b += "<td>\(t.map { KSTDateTime(epochSeconds: $0.measuredAt).description } ?? "never")</td></tr>"
        }
        return b + "</table></section>"
    }

    // MARK: Battery page

    func batteryPage(id: String, query q: [String: String]) async throws -> String {
        guard let site = try await storage.sites.loadedSiteConfig(siteID: settings.site?.id), let (code, bat) = site.batteries.first(where: { $0.battery.id == id }),
              let dong = site.dong(code: code) else { throw APIError.notFound("battery \(id)") }
        let p = try await period(q)
        let tele = try storage.telemetryStore()
        let samples = try await tele.telemetrySeries(batteryIDs: [id], from: p.start, to: p.end)
        let planned = try await tele.plannedSlots(batteryIDs: [id], from: p.start, to: p.end)
        let last = try await tele.latestTelemetry(at: storage.clock.now(), notBefore: nil)[id]
        // Buckets: 1 h for a day or week, 6 h for a month, 1 day for a year (means of SoC; sums of energy).
        let step: Int64 = switch p.scope { case .day, .week: 3600; case .month: 6 * 3600; case .year: 86_400 }
        let n = Int((p.end - p.start) / step)
        let capWh = bat.capacityKWh * 1000
        var pSoC = [(Double, Int)](repeating: (0, 0), count: n), aSoC = pSoC
        var pCh = [Double?](repeating: nil, count: n), pDis = pCh, aNet = pCh
        for s in planned {
            let i = Int((s.slotStart - p.start) / step); guard (0..<n).contains(i) else { continue }
            pSoC[i].0 += Double(s.socWh) / capWh * 100; pSoC[i].1 += 1
            pCh[i] = (pCh[i] ?? 0) + s.chargeW * Double(s.durationS) / 3.6e6
            pDis[i] = (pDis[i] ?? 0) + s.dischargeW * Double(s.durationS) / 3.6e6
        }
        var prev: TelemetryPoint?
        for s in samples {
            let i = Int((s.measuredAt - p.start) / step); guard (0..<n).contains(i) else { continue }
            aSoC[i].0 += Double(s.socWh) / capWh * 100; aSoC[i].1 += 1
            if let d = s.dischargedWh, let c = s.chargedWh { aNet[i] = (aNet[i] ?? 0) + Double(d - c) / 1000 }
            else if let q = prev, s.measuredAt - q.measuredAt <= 3600 {
                // Without counters: −ΔSoC (discharge positive), an ESTIMATE that ignores losses.
                aNet[i] = (aNet[i] ?? 0) - Double(s.socWh - q.socWh) / 1000
            }
            prev = s
        }
        func mean(_ x: (Double, Int)) -> Double? { x.1 > 0 ? x.0 / Double(x.1) : nil }
        let labels = (0..<n).map { i -> String in
            let k = KSTDateTime(epochSeconds: p.start + Int64(i) * step)
            return p.scope == .day ? String(format: "%02d", k.hour) : (p.scope == .year ? String(k.dateString.suffix(5)) : String(format: "%02d-%02d %02d", k.month, k.day, k.hour))
        }
        var b = "<p class=crumbs><a href=\"/dashboard?\(esc(p.query))\">대시보드 Dashboard</a> › <a href=\"/dong/\(esc(code))?\(esc(p.query))\">\(esc(dong.nameKo))</a> › \(esc(id))</p>"
        b += periodNav(path: "/battery/\(urlq(id))", p)
        b += "<div class=\"cards\">"
        b += card("용량 Capacity", fmtNum(bat.capacityKWh, 0) + " kWh", coverage: "\(fmtNum(bat.maxChargeKW, 0)) kW charge / \(fmtNum(bat.maxDischargeKW, 0)) kW discharge")
        b += card("SoC now", last.map { fmtNum(Double($0.socWh) / capWh * 100, 1) + " %" } ?? "–",
                  coverage: "last telemetry " + (last.map { KSTDateTime(epochSeconds: $0.measuredAt).description + " KST" } ?? "never"))
        b += card("실측 telemetry", "\(samples.count) samples", coverage: "\(aSoC.filter { $0.1 > 0 }.count) of \(n) buckets")
        b += card("계획 planned", "\(planned.count) slots", coverage: "\(pSoC.filter { $0.1 > 0 }.count) of \(n) buckets (newest plan per slot)")
        let outbox = await outboxDelivery(battery: id, period: p)
        b += await deliveryCard(battery: id, period: p, outbox: outbox)
        b += "</div>"
        let per = step == 3600 ? "hour" : (step == 86_400 ? "day" : "6 h")
        b += "<section><h2>SoC 계획 vs 실측 Planned vs actual SoC (% of usable capacity, mean per \(per))</h2>"
        b += legend([("#7a4fb5", "계획 planned"), ("#2e9d5b", "실측 actual"), ("#c0392b", "limits / reserve floor (dashed)")])
        b += seriesChart([(pSoC.map(mean), "#7a4fb5"), (aSoC.map(mean), "#2e9d5b")], labels: labels, id: "chart-soc", yMax: 100,
                         references: [ReferenceLine(value: bat.socMaxPct, label: "max \(fmtNum(bat.socMaxPct, 0)) %", color: "#c0392b"),
                                      ReferenceLine(value: bat.socMinPct, label: "min \(fmtNum(bat.socMinPct, 0)) %", color: "#c0392b"),
                                      ReferenceLine(value: bat.reservePct, label: "reserve \(fmtNum(bat.reservePct, 0)) %", color: "#d35400")])
        b += "</section><section><h2>충·방전 Charge and discharge per \(per) (kWh; discharge +, charge −)</h2>"
        b += legend([("#2e9d5b", "계획 planned discharge (bars +)"), ("#c0504d", "계획 planned charge (bars −)"), ("#1d2430", "실측 actual net (line; from counters, else −ΔSoC, an ESTIMATE)")])
        let pNet = (0..<n).map { i -> Double? in pCh[i] == nil && pDis[i] == nil ? nil : (pDis[i] ?? 0) - (pCh[i] ?? 0) }
        b += signedNetChart(planned: pNet, actual: aNet, labels: labels)
        b += "</section>" + outbox.section
        return page(title: Self.siteTitle(site.site, "배터리 \(id)"), subtitle: "\(dong.nameKo) · \(p.title) · SoC in % of usable capacity", body: b)
    }

    /// Net battery energy per bucket as bars (planned) and a line (actual) around a zero line.
    func signedNetChart(planned: [Double?], actual: [Double?], labels: [String]) -> String {
        guard planned.contains(where: { $0 != nil }) || actual.contains(where: { $0 != nil }) else {
            return "<p class=muted>no plan and no telemetry in this period</p>"
        }
        var c = SignedBarChart(width: 1120, height: 200, lineColor: "#1d2430")
        c.lineOnBarScale = true
        return "<div class=\"chartbox\">" + c.svg(bars: planned.map { $0 ?? 0 }, line: actual.map { $0 ?? 0 }, labels: labels) + "</div>"
    }

    /// Setpoint delivery, one card: the OpenADR events the VTN published for this battery (events
    /// target battery ids) in the period, and the outbox files `vpp dispatch run` wrote whose
    /// setpoints cover the period (`SetpointDeliveryStore`), each with its newest; the files are
    /// listed in `outbox.section`.
    func deliveryCard(battery id: String, period p: DashboardPeriod, outbox: OutboxDelivery) async -> String {
        var q = OpenADRQuery(kind: .event, targetsAny: [id])
        q.limit = 1000
        var value: [String] = [], lines: [String] = []
        if let n = outbox.count { value.append("\(n) outbox file\(n == 1 ? "" : "s")") }
        lines.append("outbox: " + outbox.note)
        if let oadr = try? storage.openADR(), let events = try? await oadr.openADRObjects(q) {
            let inPeriod = events.filter { $0.createdAt >= p.start && $0.createdAt < p.end }
            value.append("\(inPeriod.count) OpenADR event\(inPeriod.count == 1 ? "" : "s")")
            lines.append("OpenADR: published in the period; newest " + (events.map(\.createdAt).max().map { KSTDateTime(epochSeconds: $0).description + " KST" } ?? "never"))
        } else {
            lines.append("OpenADR: this store keeps no OpenADR objects")
        }
        return card("설정값 전달 Setpoint delivery", value.isEmpty ? "–" : value.joined(separator: " · "), coverage: lines.joined(separator: "; "))
    }

    /// The outbox files of a battery whose setpoints cover the period: how many (nil when the
    /// store cannot tell), a note naming the newest, and the table.
    struct OutboxDelivery { var count: Int?; var note: String; var section: String }

    func outboxDelivery(battery id: String, period p: DashboardPeriod) async -> OutboxDelivery {
        let store: any SetpointDeliveryStore
        do { store = try storage.setpointDeliveryStore() } catch {
            return OutboxDelivery(count: nil, note: "\(error)", section: "")
        }
        let rows: [SetpointDelivery], newest: SetpointDelivery?
        do {
            rows = try await store.setpointDeliveries(batteryID: id, from: p.start, to: p.end, limit: 500)
            newest = try await store.latestSetpointDelivery(batteryID: id)
        } catch {
            return OutboxDelivery(count: nil, note: "the store could not list the deliveries: \(error)", section: "")
        }
        let note = "files covering the period\(rows.count >= 500 ? " (first 500)" : ""); newest written "
            + (newest.map { KSTDateTime(epochSeconds: $0.writtenAt).description + " KST (run \($0.runID))" } ?? "never")
        var b = "<section id=\"outbox\"><h2>파일 전달 Outbox delivery: setpoint files covering the period (KST)</h2>"
        guard !rows.isEmpty else {
            return OutboxDelivery(count: 0, note: note, section: b + "<p class=muted>no setpoint file written for \(esc(id)) covers this period" + (newest == nil ? " (none ever written)" : "") + "</p></section>")
        }
        b += "<div class=\"scroll\"><table id=\"deliveries\"><tr><th>written (KST)</th><th class=n>run</th><th>file</th><th class=n>slots</th><th>covers (KST, slot starts to end)</th></tr>"
        for d in rows.prefix(50) {
            b += "<tr><td>\(KSTDateTime(epochSeconds: d.writtenAt))</td><td class=n>\(d.runID)</td><td><code>\(esc(d.path))</code></td><td class=n>\(d.slots)</td>"
            b += "<td>\(KSTDateTime(epochSeconds: d.firstSlotStart)) – \(KSTDateTime(epochSeconds: d.lastSlotEnd))</td></tr>"
        }
        b += "</table></div>"
        if rows.count > 50 { b += "<p class=muted>newest 50 of \(rows.count) shown</p>" }
        return OutboxDelivery(count: rows.count, note: note, section: b + "</section>")
    }
}
