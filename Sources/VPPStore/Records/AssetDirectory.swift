import Foundation
import VPPCore

/// The site's assets as ingestion sees them: index, dong, what a reading of it means for the
/// hourly rollups, and every name a file may use for it (id, aliases, complex name).
public struct AssetDirectory: Sendable {
    public enum Flow: Int, Sendable { case generation, consumption, none }
    public struct Asset: Sendable {
        public var id: String
        public var dongCode: String
        public var dongIndex: Int
        public var kind: String
        public var flow: Flow
        public var complex: String?
        /// The most power the asset can produce or draw [W]; nil = no physical bound known.
        public var maxPowerW: Double?
        /// Where `maxPowerW` comes from, for the reject reason.
        public var maxPowerBasis: String = ""

        /// The most energy a reading of `seconds` can hold [Wh], or nil.
        public func maxWh(slotSeconds: Int) -> Int64? {
            guard let w = maxPowerW else { return nil }
            return WattHours(checked: w * Double(slotSeconds) / 3600)?.wh
        }
    }
    /// PV can exceed its DC nameplate briefly (cloud-edge over-irradiance above the 1000 W/m² of
    /// STC); averaged over a 15-min or hourly slot it stays well below 1.25 × nameplate.
    /// ASSUMPTION: the margin is a bound for plausibility, not a model.
    public static let pvNameplateMargin = 1.25
    public private(set) var assets: [Asset] = []
    public private(set) var dongs: [String] = []
    private var byName: [String: Int] = [:]
    private var byFolded: [String: Int] = [:]

    /// `dongImportLimitKW`: each dong's grid import limit [kW], the bound of a meter without `max_kw`.
    public init(rows: [(id: String, dong: String, kind: String, paramsJSON: String)], dongImportLimitKW: [String: Double] = [:]) {
        var dongIndex: [String: Int] = [:]
        var dongPVW: [String: Double] = [:]
        var meterMaxKW: [Int: Double] = [:]
        for r in rows.sorted(by: { $0.id < $1.id }) {
            let di: Int
            if let d = dongIndex[r.dong] { di = d } else { di = dongs.count; dongIndex[r.dong] = di; dongs.append(r.dong) }
            var flow: Flow = .none
            var names = [r.id]
            var complex: String?
            let idx = assets.count
            var maxW: Double?
            var basis = ""
            switch r.kind {
            case "pv_fleet":
                flow = .generation
                if let f = try? JSONDecoder().decode(PVFleetConfig.self, from: Data(r.paramsJSON.utf8)) {
                    let w = Double(f.units) * f.unitW
                    dongPVW[r.dong, default: 0] += w
                    maxW = w * Self.pvNameplateMargin
                    basis = "\(fmtNum(w / 1000)) kWp nameplate × \(Self.pvNameplateMargin)"
                }
            case "meter":
                if let m = try? JSONDecoder().decode(MeterConfig.self, from: Data(r.paramsJSON.utf8)) {
                    flow = m.role == .generation ? .generation : m.role == .consumption ? .consumption : .none
                    names += m.aliases
                    complex = m.complex
                    if let k = m.maxKW { meterMaxKW[idx] = k }
                } else { flow = .consumption }
            default: flow = .none
            }
            assets.append(Asset(id: r.id, dongCode: r.dong, dongIndex: di, kind: r.kind, flow: flow, complex: complex,
                                maxPowerW: maxW, maxPowerBasis: basis))
            for n in names {
                if byName[n] == nil { byName[n] = idx }
                let f = Self.fold(n)
                if byFolded[f] == nil { byFolded[f] = idx }
            }
        }
        // Meters: their own connection limit, else everything the dong's grid connection can
        // deliver plus all of the dong's PV.
        for i in assets.indices where assets[i].kind == "meter" {
            if let k = meterMaxKW[i] {
                assets[i].maxPowerW = k * 1000
                assets[i].maxPowerBasis = "max_kw \(fmtNum(k)) of the meter"
            } else if let imp = dongImportLimitKW[assets[i].dongCode] {
                let pv = dongPVW[assets[i].dongCode] ?? 0
                assets[i].maxPowerW = imp * 1000 + pv * Self.pvNameplateMargin
                assets[i].maxPowerBasis = "import_limit_kw \(fmtNum(imp)) of dong \(assets[i].dongCode) + \(fmtNum(pv / 1000)) kWp PV × \(Self.pvNameplateMargin); set max_kw on the meter"
            }
        }
    }

    static func fold(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { !CharacterSet.whitespaces.contains($0) && $0 != "-" && $0 != "_" })
    }

    /// Asset index for a name in a file: exact id or alias, then ignoring case, blanks, `-`, `_`.
    public func lookup(_ name: String) -> Int? {
        byName[name] ?? byFolded[Self.fold(name)]
    }

    /// Asset index of a meter whose complex (관리사무소) name equals `office`.
    public func lookupComplex(_ office: String) -> Int? {
        let f = Self.fold(office)
        return assets.firstIndex { $0.kind == "meter" && $0.complex.map(Self.fold) == f }
    }

    /// A one-line hint for an unknown meter id.
    public func hint(for name: String) -> String {
        let f = Self.fold(name)
        let near = assets.map(\.id).filter { Self.fold($0).contains(f) || f.contains(Self.fold($0)) }.prefix(3)
        let known = assets.filter { $0.kind != "battery" }.prefix(4).map(\.id).joined(separator: ", ")
        return near.isEmpty
            ? "add it to a meter's aliases in the site config or map it under [meters] in a --map file (known assets include \(known), …)"
            : "did you mean \(near.joined(separator: ", "))? map it under [meters] in a --map file or add an alias in the site config"
    }
}
