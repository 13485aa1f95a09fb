import ArgumentParser

/// `--site CODE`: which district a command works on when the store holds several (issue 14).
/// A site id ("seodaemun") or a KOSTAT sigungu code ("11410"); without it the only loaded site is
/// used, and a store holding several refuses, listing them (`Storage.selectSite`).
struct SiteOption: ParsableArguments {
    @Option(name: .customLong("site"),
            help: "District (site id or sigungu code) when the store holds several sites; default: the only loaded site.")
    var code: String?
}
