import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// When two uploads are "the same" (issue 15): the same owner sent the same bytes to be read the
/// same way. Bytes alone are not enough: another office sending the same bytes is a different
/// upload (and must not learn that the file exists), and the same bytes with another billing
/// month, meter, unit or column mapping mean different readings.
///
/// Stored as `upload.idempotency_key` (unique) while the upload holds it; an upload that accepted
/// no row releases it (NULL), so fixing the flags or mapping and trying again is never blocked.
public struct UploadKey: Sendable, Equatable {
    /// Who uploaded: the CLI's `--source`, or the server's principal (`office:NAME:KEYID`, `operator:KEYID`).
    public var owner: String
    /// Hex SHA-256 of the file's bytes.
    public var sha256: String
    /// Canonical JSON (sorted keys) of every parameter that changes how the bytes are read:
    /// kind, billing month and target asset (resolved, not as typed), and the mapping.
    public var params: String

    /// The value of `upload.idempotency_key`: SHA-256 over owner, bytes' hash and parameters.
    public var key: String { sha256Hex(Array((owner + "\u{0}" + sha256 + "\u{0}" + params).utf8)) }

    /// `month` and `target` are the resolved billing month (monthly uploads) and asset id (the
    /// monthly meter, or an interval file's `--meter`); other mapping fields are taken as given.
    public init(owner: String, sha256: String, kind: IngestKind, mapping m: IngestMapping, month: YearMonth?, target: String?) {
        self.owner = owner
        self.sha256 = sha256
        var p: [String: String] = ["kind": kind.rawValue]
        func put(_ k: String, _ v: String?) { if let v { p[k] = v } }
        put("month", month?.description)
        put("target", target)
        put("encoding", m.encoding?.rawValue)
        put("sheet", m.sheet)
        put("time_column", m.timeColumn)
        put("convention", m.convention?.rawValue)
        put("slot_s", m.slot.map { String($0.seconds) })
        put("unit", m.unit?.rawValue)
        put("meter_column", m.meterColumn)
        put("value_column", m.valueColumn)
        put("register_column", m.registerColumn)
        put("unit_column", m.unitColumn)
        put("max_kwh_per_slot", m.maxKWhPerSlot.map { String($0) })
        if m.unmappedMeters != .reject { p["unmapped_meters"] = m.unmappedMeters.rawValue }
        if !m.meters.isEmpty { p["meters"] = Self.canonical(m.meters) }
        if !m.columns.isEmpty { p["columns"] = Self.canonical(m.columns) }
        params = Self.canonical(p)
    }

    private static func canonical(_ d: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a [String: String] cannot fail; fall back to a sorted key=value list regardless.
        if let data = try? encoder.encode(d) { return String(decoding: data, as: UTF8.self) }
        return d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
    }
}
