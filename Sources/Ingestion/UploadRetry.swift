import VPPAuth
import Foundation
import VPPCore
import VPPStore

/// Where `vpp uploads retry` found the original bytes.
public enum RetryOrigin: Sendable, Equatable {
    /// The store kept them (uploads that accepted nothing or rejected rows, up to a size bound).
    case kept
    /// Re-read from the path the CLI recorded, checked against the recorded sha256.
    case path(String)
}

extension Ingestor {
    /// Ingests upload `id`'s original bytes again with other parameters (issue 15: a refused
    /// upload can be fixed). Unless `freshParameters`, it starts from the parameters the upload
    /// was read with and `flags` override them. The retry is a new upload (`retry_of` = `id`) of
    /// the same owner; with unchanged parameters it is a duplicate of an upload that still holds
    /// its key. `kind` and `source` default to the original's.
    public func retry(uploadID id: Int64, kind: IngestKind? = nil, source: String? = nil, flags: IngestMapping,
                      freshParameters: Bool = false, progress: (@Sendable (Int64, Int64) -> Void)? = nil)
        async throws -> (report: IngestReport, origin: RetryOrigin)
    {
        guard let original = try await storage.uploads.retrySource(uploadID: id) else {
            throw VPPError(.noInput, "no upload \(id) (vpp uploads list)")
        }
        guard let kind = kind ?? IngestKind(rawValue: original.kind) else {
            throw VPPError(.usage, "upload \(id) has kind \"\(original.kind)\"; give --kind monthly|interval|pv")
        }
        var mapping = freshParameters ? IngestMapping() : (UploadKey.mapping(fromParams: original.params) ?? IngestMapping())
        mapping = mapping.overridden(by: flags)
        var options = IngestOptions(kind: kind, source: source ?? original.source, mapping: mapping, progress: progress,
                                    owner: original.owner, attribution: original.attribution, displayName: original.fileName,
                                    originalPath: original.originalPath, retryOf: id, expectedSHA256: original.sha256)
        if let bytes = original.bytes {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-retry-\(UUID().uuidString)").path
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw VPPError(.internal, "cannot create a temporary folder for the retry: \(error.localizedDescription)")
            }
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // The original name keeps what the readers use: the extension (.xlsx) and a month in it.
            let path = dir + "/" + Self.retryFileName(original.fileName, id: id)
            guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                throw VPPError(.internal, "cannot write upload \(id)'s bytes to \(path)")
            }
            do {
                var r = try await ingest(file: path, options: options)
                r.file = original.fileName
                return (r, .kept)
            } catch var e as IngestError {
                e.file = original.fileName   // not the temporary copy
                throw e
            }
        }
        // Not kept: re-read the file the CLI recorded (a path as given, for uploads from before
        // the path was recorded), refused unless it still has the same bytes.
        let candidate = original.originalPath ?? (original.attribution == nil ? original.fileName : nil)
        guard let path = candidate, FileManager.default.fileExists(atPath: path) else {
            let why = candidate.map { "\($0) no longer exists" } ?? "it came over HTTP, whose file is not kept"
            throw VPPError(.noInput, "upload \(id)'s original bytes were not kept (only for uploads that accepted nothing or "
                + "rejected rows, up to \(IngestOptions.defaultKeepOriginalMaxBytes >> 20) MiB) and \(why); send the file again")
        }
        options.displayName = nil
        options.originalPath = nil
        return (try await ingest(file: path, options: options), .path(path))
    }

    /// The last path component of a stored name, safe as a file name (≤ 200 bytes, no dot files).
    static func retryFileName(_ stored: String, id: Int64) -> String {
        let name = (stored as NSString).lastPathComponent
        if name.isEmpty || name.hasPrefix(".") || name.utf8.count > 200 {
            let ext = (name as NSString).pathExtension
            return "upload-\(id)" + (ext.isEmpty || ext.utf8.count > 10 ? "" : "." + ext)
        }
        return name
    }
}

extension UploadKey {
    /// The mapping an upload was read with, from its stored `params` (nil for uploads from
    /// before `hardening-v1-upload-key`, whose parameters were not recorded).
    public static func mapping(fromParams params: String) -> IngestMapping? {
        guard let p = try? JSONDecoder().decode([String: String].self, from: Data(params.utf8)) else { return nil }
        func dict(_ k: String) -> [String: String] {
            p[k].flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        }
        var m = IngestMapping()
        m.month = p["month"].flatMap(YearMonth.init)
        m.meter = p["target"]
        m.encoding = p["encoding"].flatMap(TextEncoding.init(rawValue:))
        m.sheet = p["sheet"]
        m.timeColumn = p["time_column"]
        m.convention = p["convention"].flatMap(StampConvention.init(rawValue:))
        m.slot = p["slot_s"].flatMap(Int.init).flatMap(SlotLength.init(rawValue:))
        m.unit = p["unit"].flatMap(EnergyUnit.init(rawValue:))
        m.meterColumn = p["meter_column"]
        m.valueColumn = p["value_column"]
        m.registerColumn = p["register_column"]
        m.unitColumn = p["unit_column"]
        m.maxKWhPerSlot = p["max_kwh_per_slot"].flatMap(Double.init)
        m.unmappedMeters = p["unmapped_meters"].flatMap(UnmappedPolicy.init(rawValue:)) ?? .reject
        m.meters = dict("meters")
        m.columns = dict("columns")
        return m
    }
}
