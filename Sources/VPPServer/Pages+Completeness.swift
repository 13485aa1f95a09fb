import Foundation
import VPPCore
import VPPStore

extension Pages {
    // MARK: Data completeness

    /// Per meter and per day (per month for a year): the share of the bucket's seconds that
    /// arrived, flagged ok (≥ 99 %), partial, missing (the bucket is over and nothing arrived) or
    /// pending (not over yet, by the store's clock); monthly register uploads per meter; and the
    /// uploads received in the period with their rows, rejects and review items, linked. Data that
    /// arrived late (their upload received more than `[completeness] late_after_h` after the KST
    /// day's end) are marked per cell with the upload that brought them, and listed.
    func completenessPage(query q: [String: String]) async throws -> String {
        guard let site = try await storage.sites.loadedSiteConfig(siteID: settings.site?.id) else { throw APIError.notFound("loaded site") }
        let p = try await period(q)
        let now = storage.clock.now()
        let meters = site.dongs.flatMap { d in d.meters.map { (dong: d, meter: $0) } }
        let ids = meters.map(\.meter.id)
        let hourly = try await storage.readings.assetHourly(assetIDs: ids, from: p.start, to: p.end)
        let registers = try await storage.readings.registerMonthly(assetIDs: ids, from: p.start, to: p.end)
        let lateAfter = site.completeness ?? CompletenessSettings()
        var lateNote: String? = nil
        var late: [LateArrival] = []
        do {
            late = LateArrival.find(try await storage.readingArrivalStore().readingArrivals(assetIDs: ids, from: p.start, to: p.end),
                                    lateAfterS: lateAfter.lateAfterS)
        } catch { lateNote = "late arrivals unknown: \(error)" }
        var lateByMeter: [String: [LateArrival]] = [:]
        for l in late { lateByMeter[l.assetID, default: []].append(l) }
        let byMonth = p.scope == .year
        var bucketStarts: [Int64] = []
        var t = p.start
        while t < p.end {
            bucketStarts.append(t)
            if byMonth { let k = KSTDateTime(epochSeconds: t); t = YearMonth(year: k.year, month: k.month).endEpoch } else { t += 86_400 }
        }
        let bucketEnds = Array(bucketStarts.dropFirst()) + [p.end]
        var b = periodNav(path: "/completeness", p)
        var missing = 0, partial = 0, ok = 0, lateCells = 0
        var grid = "<div class=\"scroll\"><table id=\"completeness\" class=\"grid\"><tr><th>동 dong</th><th>meter (complex)</th><th>role</th>"
        for s in bucketStarts {
            let k = KSTDateTime(epochSeconds: s)
            grid += "<th class=n>\(byMonth ? String(format: "%02d월", k.month) : String(format: "%02d", k.day))</th>"
        }
        grid += "<th>monthly uploads</th></tr>"
        for (d, m) in meters {
            grid += "<tr><td>\(esc(d.nameKo))</td><td>\(esc(m.id)) (\(esc(m.complex)))</td><td>\(esc(m.role.rawValue))</td>"
            let hours = hourly[m.id] ?? [:]
            let meterLate = lateByMeter[m.id] ?? []
            for (i, s) in bucketStarts.enumerated() {
                let e = bucketEnds[i]
                let covered = hours.filter { $0.key >= s && $0.key < e }.reduce(Int64(0)) { $0 + $1.value.coveredS }
                let pct = Double(covered) / Double(e - s) * 100
                let cls: String, text: String
                let k = KSTDateTime(epochSeconds: s)
                let monthly = registers.contains { $0.assetID == m.id && $0.period.year == k.year && $0.period.month == k.month }
                if s >= now { cls = "pending"; text = "…" }
                else if pct >= 99 { cls = "full"; text = "✓"; ok += 1 }
                else if covered > 0 { cls = "part"; text = String(Int(pct.rounded())); partial += 1 }
                else if monthly { cls = "monthly"; text = "M" }   // billed monthly: the register upload covers it
                else { cls = e > now ? "pending" : "miss"; text = e > now ? "…" : "✗"; if e <= now { missing += 1 } }
                var title = "\(m.id) \(KSTDateTime(epochSeconds: s).dateString): \(fmtNum(pct, 1)) % of the \(byMonth ? "month" : "day") metered"
                let cellLate = meterLate.filter { $0.dayStart >= s && $0.dayStart < e }
                if let first = cellLate.max(by: { $0.hoursAfterDayEnd < $1.hoursAfterDayEnd }) {
                    lateCells += 1
                    let hoursLate = cellLate.reduce(Int64(0)) { $0 + $1.coveredS } / 3600
                    let uploads = Set(cellLate.compactMap(\.uploadID)).sorted()
                    title += "; late: \(hoursLate) h of data arrived in upload \(uploads.map(String.init).joined(separator: ", ")), "
                        + "up to \(fmtNum(first.hoursAfterDayEnd, 1)) h after the day's end (received \(KSTDateTime(epochSeconds: first.receivedAt)) KST)"
                    let link = first.uploadID.map { "/uploads/\($0)" } ?? "/uploads"
                    grid += "<td class=\"n \(cls) late\" title=\"\(esc(title))\"><a href=\"\(link)\">\(esc(text))L</a></td>"
                } else {
                    grid += "<td class=\"n \(cls)\" title=\"\(esc(title))\">\(esc(text))</td>"
                }
            }
            let months = registers.filter { $0.assetID == m.id }.map { String(format: "%04d-%02d", $0.period.year, $0.period.month) }
            grid += "<td>\(esc(months.isEmpty ? "–" : Array(Set(months)).sorted().joined(separator: ", ")))</td></tr>"
        }
        grid += "</table></div>"
        b += "<div class=\"cards\">"
        b += card("계량기 Meters", "\(meters.count)", coverage: "in \(site.dongs.count) dongs (site config)")
        b += card("완전 Complete", "\(ok)", coverage: "meter-\(byMonth ? "months" : "days") ≥ 99 % metered")
        b += card("부분 Partial", "\(partial)", coverage: "some hours missing")
        b += card("누락 Missing", "\(missing)", coverage: "over, and nothing arrived (interval data)")
        b += card("늦음 Late", lateNote == nil ? "\(lateCells)" : "–",
                  coverage: lateNote ?? "meter-\(byMonth ? "months" : "days") with data received > \(fmtNum(lateAfter.lateAfterH, 0)) h after the day's end")
        b += "</div>"
        b += "<section><h2>계량 자료 도착 Interval data arrived per meter and \(byMonth ? "month" : "day") (% of hours, KST)</h2>"
        b += "<p class=\"legend\"><span><i class=\"sw full\"></i>✓ ≥ 99 %</span><span><i class=\"sw part\"></i>partial %</span><span><i class=\"sw miss\"></i>✗ missing</span><span><i class=\"sw pending\"></i>… not over yet</span><span><i class=\"sw monthly\"></i>M monthly register upload for the month, no interval data</span><span><i class=\"sw late\"></i>L some of it arrived late: upload received more than \(fmtNum(lateAfter.lateAfterH, 0)) h after the KST day's end (site config [completeness] late_after_h); the cell links to that upload</span></p>"
        b += grid + "</section>"
        b += lateSection(late, meters: Dictionary(meters.map { ($0.meter.id, $0.meter.complex) }, uniquingKeysWith: { a, _ in a }),
                         lateAfterH: lateAfter.lateAfterH, note: lateNote)
        let uploads = try await storage.uploads.uploads(limit: 1000).filter { $0.receivedAt >= p.start && $0.receivedAt < p.end }
        b += "<section><h2>받은 업로드 Uploads received in the period (\(uploads.count))</h2><div class=\"scroll\"><table id=\"uploads\"><tr><th class=n>id</th><th>file</th><th>office / complex</th><th>kind</th><th>received (KST)</th>"
        b += "<th class=n>rows ok</th><th class=n>rejected</th><th class=n>review</th><th>status</th></tr>"
        for u in uploads.prefix(200) {
            let owner = try? await storage.auth.uploadOwner(uploadID: u.id)
            let reviews = (try? await storage.uploads.reviewItems(uploadID: u.id, all: true, limit: 1000).count) ?? 0
            b += "<tr class=\"\(u.rowsRejected > 0 ? "warn" : "")\"><td class=n><a href=\"/uploads/\(u.id)\">\(u.id)</a></td><td>\(esc(u.fileName))</td>"
            b += "<td>\(esc([owner?.office, owner?.complex].compactMap { $0 }.joined(separator: " / ").ifEmpty(u.source)))</td><td>\(esc(u.kind))</td>"
            b += "<td>\(KSTDateTime(epochSeconds: u.receivedAt))</td><td class=n>\(u.rowsOK)</td>"
            b += "<td class=n>\(u.rowsRejected > 0 ? "<a href=\"/uploads/\(u.id)#rejects\">\(u.rowsRejected)</a>" : "0")</td><td class=n>\(reviews)</td><td>\(esc(u.status))</td></tr>"
        }
        if uploads.isEmpty { b += "<tr><td colspan=9 class=muted>no upload received in this period</td></tr>" }
        b += "</table></div></section>"
        return page(title: Self.siteTitle(site.site, "데이터 현황 Data completeness"), subtitle: "\(p.title) · store clock \(KSTDateTime(epochSeconds: now)) KST", body: b)
    }

    /// The late arrivals of the period, newest day first: meter, day, the upload and how late.
    func lateSection(_ late: [LateArrival], meters: [String: String], lateAfterH: Double, note: String?) -> String {
        var b = "<section id=\"late\"><h2>늦게 도착 Late data (received > \(fmtNum(lateAfterH, 0)) h after the KST day's end) (\(late.count))</h2>"
        if let note { return b + "<p class=muted>\(esc(note))</p></section>" }
        b += "<div class=\"scroll\"><table id=\"late-arrivals\"><tr><th>meter (complex)</th><th>day (KST)</th><th class=n>upload</th><th>received (KST)</th>"
        b += "<th class=n>h after day end</th><th class=n>hours of data</th><th class=n>rows</th></tr>"
        let rows = late.sorted { ($0.dayStart, $0.assetID) > ($1.dayStart, $1.assetID) }
        for l in rows.prefix(200) {
            b += "<tr><td>\(esc(l.assetID)) (\(esc(meters[l.assetID] ?? "")))</td><td>\(KSTDateTime(epochSeconds: l.dayStart).dateString)</td>"
            b += "<td class=n>\(l.uploadID.map { "<a href=\"/uploads/\($0)\">\($0)</a>" } ?? "–")</td><td>\(KSTDateTime(epochSeconds: l.receivedAt))</td>"
            b += "<td class=n>\(fmtNum(l.hoursAfterDayEnd, 1))</td><td class=n>\(fmtNum(Double(l.coveredS) / 3600, 1))</td><td class=n>\(l.rows)</td></tr>"
        }
        if rows.isEmpty { b += "<tr><td colspan=7 class=muted>nothing arrived late in this period</td></tr>" }
        if rows.count > 200 { b += "<tr><td colspan=7 class=muted>newest 200 of \(rows.count) shown</td></tr>" }
        return b + "</table></div></section>"
    }

    // MARK: Uploads (offices: their own)

    /// Whether `p` may see upload `id`: operators any; offices only their own token's uploads.
    func mayRead(upload id: Int64, principal p: Principal) async throws -> Bool {
        if p.role == .operator { return true }
        guard p.role == .office, let owner = try await storage.auth.uploadOwner(uploadID: id) else { return false }
        return owner.tokenID == p.tokenID
    }

    func uploadsPage(principal p: Principal) async throws -> String {
        var rows: [UploadSummary] = []
        for u in try await storage.uploads.uploads(limit: 500) where try await mayRead(upload: u.id, principal: p) {
            rows.append(u)
            if rows.count >= 100 { break }
        }
        var b = "<section><h2>\(p.role == .operator ? "최근 업로드 Recent uploads" : "내 업로드 My uploads") (\(rows.count))</h2><table id=\"uploads\"><tr><th class=n>id</th><th>file</th><th>kind</th><th>received (KST)</th><th class=n>ok</th><th class=n>rejected</th><th>status</th></tr>"
        for u in rows {
            b += "<tr><td class=n><a href=\"/uploads/\(u.id)\">\(u.id)</a></td><td>\(esc(u.fileName))</td><td>\(esc(u.kind))</td><td>\(KSTDateTime(epochSeconds: u.receivedAt))</td>"
            b += "<td class=n>\(u.rowsOK)</td><td class=n>\(u.rowsRejected)</td><td>\(esc(u.status))</td></tr>"
        }
        if rows.isEmpty { b += "<tr><td colspan=7 class=muted>no uploads yet</td></tr>" }
        b += "</table></section><p><a href=\"/upload\">파일 올리기 Upload a file</a></p>"
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 업로드 목록"), subtitle: p.office ?? "uploads", body: b)
    }

    /// One upload and its rejected rows; nil when it does not exist or is not the viewer's.
    func uploadPage(id: Int64, principal p: Principal) async throws -> String? {
        guard let u = try await storage.uploads.upload(id: id), try await mayRead(upload: id, principal: p) else { return nil }
        let rejects = try await storage.uploads.rejectedRows(uploadID: id, limit: 500)
        let reviews = try await storage.uploads.reviewItems(uploadID: id, all: true, limit: 500)
        var b = "<div class=\"cards\">" + card("받아들인 행 accepted", "\(u.rowsOK)") + card("거부된 행 rejected", "\(u.rowsRejected)")
            + card("검토 review items", "\(reviews.count)") + card("상태 status", u.status) + "</div>"
        b += "<section><h2>업로드 \(u.id): \(esc(u.fileName))</h2><p class=muted>\(esc(u.kind)) · received \(KSTDateTime(epochSeconds: u.receivedAt)) KST · sha256 \(esc(String(u.sha256.prefix(16))))…</p>"
        if let m = u.message { b += "<p>\(esc(m))</p>" }
        b += "</section><section id=\"rejects\"><h2>거부된 행 Rejected rows (\(rejects.count)\(u.rowsRejected > rejects.count ? " of \(u.rowsRejected)" : ""))</h2>"
        b += "<table><tr><th class=n>줄 line</th><th class=n>열 col</th><th>이유 reason</th><th>내용 raw</th></tr>"
        for x in rejects {
            b += "<tr><td class=n>\(x.line)</td><td class=n>\(x.column.map(String.init) ?? "")</td><td>\(esc(x.reason))</td><td><code>\(esc(String(x.raw.prefix(120))))</code></td></tr>"
        }
        if rejects.isEmpty { b += "<tr><td colspan=4 class=muted>none</td></tr>" }
        b += "</table></section>"
        b += "<p><a href=\"/uploads\">업로드 목록 All my uploads</a></p>"
        return page(title: Self.siteTitle(settings.site, "가상발전소 — 업로드 \(u.id)"), subtitle: u.fileName, body: b)
    }
}

extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}
