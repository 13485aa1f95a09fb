/// How `dispatch run` publishes to OpenADR 3 VENs (`[openadr]` in the site config, issue 13).
public struct OpenADRProgramConfig: Sendable, Equatable, Codable {
    public enum Scope: String, Sendable, Codable, CaseIterable {
        /// One program per dong (`<site id>-<dong code>-storage`), its events targeted to the dong's batteries.
        case dong
        /// One program for the district (`<site id>-storage`).
        case district
    }
    /// `program_scope`: dong (default) or district.
    public var programScope: Scope
    /// `event_priority`: the events' OpenADR priority (0 = highest).
    public var eventPriority: Int
    /// `price_currency`: ISO 4217 code of the price event's PRICE and EXPORT_PRICE payloads.
    public var priceCurrency: String

    public init(programScope: Scope = .dong, eventPriority: Int = 0, priceCurrency: String = "KRW") {
        self.programScope = programScope; self.eventPriority = eventPriority; self.priceCurrency = priceCurrency
    }
}
