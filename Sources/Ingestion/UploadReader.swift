import VPPCore
import VPPStore

/// What a reader sees of an upload before anything is written: the file, how it is to be read,
/// the loaded site's assets, and its first records.
struct UploadSample {
    let file: String
    let kind: IngestKind
    let mapping: IngestMapping
    let dir: AssetDirectory
    /// `--source` of the upload (the complex meter of a monthly upload when no `--meter` is given).
    let source: String
    /// The first records (at most 5000): their bytes and line (or sheet row) numbers.
    let records: [([UInt8], Int)]
    /// Whether fields may be quoted (text files; sheet cells are never quoted).
    let quotes: Bool
    /// The delimiter when the container fixes it (sheet rows are joined with 0x1F); nil = detect.
    let fixedDelimiter: UInt8?
}

/// How a reader will read one upload, worked out from its sample (before any write: a file the
/// reader cannot understand changes nothing).
struct UploadPlan<Layout> {
    var layout: Layout
    var warnings: [String] = []
    /// Billing month of a monthly upload (part of the upload key; the report's period).
    var month: YearMonth?
    /// Asset id the whole file goes to (part of the upload key), nil when rows name their meters.
    var target: String?
}

/// Notes a reader has after the last record: warnings for the report, and review notes (which
/// make the upload's status `review` when anything was accepted or kept).
struct UploadNotes {
    var warnings: [String] = []
    var review: [String] = []
}

/// One upload format. A new export format is one new file with a type conforming to this
/// protocol plus its line in `UploadReaders.registry`.
///
/// The hot path is `process`: one call per record with the record's bytes, nothing allocated
/// per row by the caller; accepted readings, rejects and review items go to the sink (the
/// store's bulk writer).
protocol UploadReader: AnyObject {
    associatedtype Layout
    /// Works out the layout from the upload's first records.
    static func plan(_ sample: UploadSample) throws -> UploadPlan<Layout>
    init(sample: UploadSample, plan: UploadPlan<Layout>) throws
    /// Reads one record (without its line end): readings, rejects and review items go to `sink`.
    func process(_ record: UnsafeBufferPointer<UInt8>, line: Int, sink: any ReadingSink) throws
    /// After the last record: findings over the whole file (may store review items).
    func finish(sink: any ReadingSink) throws -> UploadNotes
}

/// The registered upload formats, by kind.
enum UploadReaders {
    static var registry: [IngestKind: any UploadReader.Type] {
        [
            .interval: IntervalCSVReader.self,
            .pv: IntervalCSVReader.self,
            .monthly: MonthlyERPReader.self,
            .telemetry: TelemetryCSVReader.self,
        ]
    }

    static func reader(for kind: IngestKind, file: String) throws -> any UploadReader.Type {
        guard let r = registry[kind] else { throw IngestError(file: file, .usage("no reader for kind \(kind.rawValue)")) }
        return r
    }
}
