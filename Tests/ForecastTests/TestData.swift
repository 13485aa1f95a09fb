import Foundation

/// Locates shared/data: /work/main/Tests/ForecastTests/<file> → up 3 → package root → ../shared/data.
enum TestData {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/data").standardizedFileURL.path
    }
    static func path(_ relative: String) -> String? {
        let p = directory + "/" + relative
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }
}
