import Foundation

/// The one JSON encoding of vpp's payloads: the HTTP API's bodies and the CLI's `--format json`.
/// Names come from each type's explicit `CodingKeys` (snake_case with units: `pv_kwp`,
/// `capacity_kwh`, `received_at`), never from a key strategy; keys are sorted so that the same
/// value always gives the same bytes.
public enum APIJSON {
    /// Compact (HTTP bodies).
    public static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try compact.encode(value), as: UTF8.self)
    }

    /// Indented (the CLI).
    public static func encodePretty(_ value: some Encodable) throws -> String {
        String(decoding: try pretty.encode(value), as: UTF8.self)
    }

    private static let compact: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    private static let pretty: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}
