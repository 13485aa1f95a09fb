import VPPCore
/// Errors that stop a whole file from being ingested (design.md §4). Row-level problems are
/// not errors: they become `rejected_row` entries and the good rows still land.
public struct IngestError: CategorizedError, Equatable {
    public enum Reason: Equatable, Sendable {
        /// The file does not exist or cannot be opened.
        case cannotOpen(String)
        /// The file has no bytes at all.
        case empty
        /// The file has a header but no data rows.
        case noDataRows
        /// The text cannot be decoded in the requested or detected encoding.
        case encoding(String)
        /// The file's layout cannot be understood (missing columns, no unit, ...).
        case layout(String)
        /// An .xlsx that is not a readable workbook (truncated, not a zip, missing sheet).
        case workbook(String)
        /// A mapping file that cannot be read or is invalid.
        case mapping(String)
        /// The upload cannot be attached to a site asset.
        case unknownAsset(String)
        /// Wrong arguments (e.g. a billing month that cannot be parsed).
        case usage(String)
        /// A deliberately injected failure (tests of atomicity).
        case injectedFailure(line: Int)
    }

    public var file: String
    public var line: Int?
    public var reason: Reason

    public init(file: String, line: Int? = nil, _ reason: Reason) {
        self.file = file; self.line = line; self.reason = reason
    }

    public var category: ErrorCategory {
        switch reason {
        case .cannotOpen: return .noInput
        case .usage, .mapping: return .usage
        case .injectedFailure: return .internal
        default: return .badData
        }
    }

    public var description: String {
        let loc = line.map { "\(file):\($0)" } ?? file
        switch reason {
        case .cannotOpen(let why): return "\(loc): cannot open: \(why)"
        case .empty: return "\(loc): file is empty (0 bytes); nothing ingested"
        case .noDataRows: return "\(loc): no data rows (header only?); nothing ingested"
        case .encoding(let why): return "\(loc): cannot decode text: \(why) (try --encoding utf-8|cp949)"
        case .layout(let why): return "\(loc): \(why)"
        case .workbook(let why): return "\(loc): not a readable .xlsx workbook: \(why); nothing ingested"
        case .mapping(let why): return "\(loc): mapping: \(why)"
        case .unknownAsset(let why): return "\(loc): \(why)"
        case .usage(let why): return "\(loc): \(why)"
        case .injectedFailure: return "\(loc): injected failure (test); transaction rolled back"
        }
    }
}
