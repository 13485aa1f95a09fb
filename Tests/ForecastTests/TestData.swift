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

import Forecast

extension LinkeTurbidity {
    /// Seodaemun-gu's table as in site-configs/seodaemun.toml (SoDa climatology, Remund et al. 2003,
    /// at mid-month for 37.5792 N 126.9368 E, shared/data/reference/solar/linke_turbidity_monthly.csv).
    static let seodaemun = LinkeTurbidity(monthly: [2.0, 2.522, 2.985, 3.618, 3.843, 4.278, 4.348, 3.818,
                                                    2.897, 2.415, 2.067, 2.002])
}
