/// A problem in a site config file, with the key path and the line it was found on.
public struct SiteConfigError: CategorizedError, Equatable {
    public enum Reason: Sendable, Equatable {
        case syntax(String)
        case unsupportedVersion(Int)
        case missingKey
        /// A key this version does not know; `suggestion` is the known key it most resembles.
        case unknownKey(suggestion: String?)
        case wrongType(expected: String)
        case invalidValue(String)
        case duplicate(String)
    }
    public var file: String
    /// 1-based line, or nil when the key is absent from the file.
    public var line: Int?
    /// Dotted key path, e.g. `dong[3].battery[0].capacity_kwh`.
    public var key: String
    public var reason: Reason

    public init(file: String, line: Int?, key: String, reason: Reason) {
        self.file = file; self.line = line; self.key = key; self.reason = reason
    }

    public var category: ErrorCategory { .badData }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        let what: String
        switch reason {
        case .syntax(let m): what = "TOML syntax error: \(m)"
        case .unsupportedVersion(let v): what = "unsupported config version \(v) (this vpp reads versions \(SiteConfig.supportedVersions.lowerBound)–\(SiteConfig.supportedVersions.upperBound))"
        case .missingKey: what = "missing required key"
        case .unknownKey(let s?): what = "unknown key; did you mean \(s)? (every key carries its unit, e.g. capacity_kwh)"
        case .unknownKey(nil): what = "unknown key (check spelling; every key carries its unit, e.g. capacity_kwh)"
        case .wrongType(let e): what = "wrong type, expected \(e)"
        case .invalidValue(let m): what = m
        case .duplicate(let m): what = "duplicate \(m)"
        }
        return key.isEmpty ? "\(place): \(what)" : "\(place): \(key): \(what)"
    }
}
