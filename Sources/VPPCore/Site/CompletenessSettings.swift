/// `[completeness]` of the site config (issue 16): how the data-completeness page judges arrival.
public struct CompletenessSettings: Sendable, Equatable, Codable {
    /// Interval data for a KST day that arrive (their upload's `received_at`) more than this many
    /// hours after the day's end are "late" [h] (`late_after_h`, default 36).
    /// ASSUMPTION (ESTIMATE): apartment offices export AMI/ERP data the next working day, so 36 h
    /// after midnight (noon of the day after next) is the latest an on-time file arrives; no
    /// published service level exists for it. Set it per district.
    public var lateAfterH: Double

    public static let defaultLateAfterH = 36.0

    public init(lateAfterH: Double = CompletenessSettings.defaultLateAfterH) { self.lateAfterH = lateAfterH }

    /// The threshold [s].
    public var lateAfterS: Int64 { Int64((lateAfterH * 3600).rounded()) }
}
