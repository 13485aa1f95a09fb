import VPPCore

extension SiteConfigParser {
    /// `[openadr]`: program_scope = "dong" | "district", event_priority (≥ 0), price_currency (3 letters).
    func parseOpenADR(_ t: TableReader?) throws -> OpenADRProgramConfig? {
        guard let t else { return nil }
        var c = OpenADRProgramConfig()
        if let s = try t.optionalString("program_scope") {
            guard let v = OpenADRProgramConfig.Scope(rawValue: s) else {
                throw t.ctx.error(t.path + ".program_scope", .invalidValue("'\(s)' is not dong or district"))
            }
            c.programScope = v
        }
        if let p = try t.optionalInt("event_priority", min: 0) { c.eventPriority = p }
        if let cur = try t.optionalString("price_currency") {
            guard cur.count == 3, cur.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw t.ctx.error(t.path + ".price_currency", .invalidValue("'\(cur)' is not an ISO 4217 code such as KRW"))
            }
            c.priceCurrency = cur
        }
        try t.finish()
        return c
    }
}
