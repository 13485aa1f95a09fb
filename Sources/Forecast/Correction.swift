import Foundation
import VPPCore
import VPPStore

/// Learned correction of the physical PV forecast: ridge regression (Hoerl & Kennard,
/// "Ridge regression", Technometrics 12:55–67, 1970) of measured output / capacity on features
/// built from the physical forecast, the clear-sky output, cloud, humidity, sun elevation, hour
/// and season. No intercept, so the forecast is exactly zero when the sun is down. The penalty
/// is chosen by k-fold cross-validation with folds drawn by day from a seeded generator, so a
/// fit is deterministic for a fixed seed and training window.
public struct PVCorrectionModel: Sendable, Equatable, Codable {
    public static let featureNames = [
        "phys", "cs", "cs*cf", "cs*cf^2", "cs*cf^3", "cs*rh", "cs*rh*cf", "cs*sinEl", "phys^2", "cs*cosDoy", "cs*sinDoy",
        "cs*cosHour", "cs*sinHour", "cs*T/30", "phys*cf", "cs*cosDoy*cf", "cs*sinDoy*cf",
        "cs*sky1", "cs*sky2", "cs*sky3", "cs*sky4", "cs*sky1*rh", "cs*sky3*rh", "cs*sky4*rh",
        "cs*skyBefore1", "cs*skyBefore2", "cs*skyBefore3", "cs*skyBefore4",
        "cs*skyAfter1", "cs*skyAfter2", "cs*skyAfter3", "cs*skyAfter4", "cs*dayCF", "cs*dayCF^2",
    ]
    public var version = 1
    public var systemID: String
    public var capacityKW: Double
    /// Ridge coefficients in the original feature scale.
    public var coefficients: [Double]
    public var lambda: Double
    /// Training window [UTC epoch s, half-open] and rows used.
    public var trainFrom: Int64
    public var trainTo: Int64
    public var trainRows: Int
    public var seed: UInt64

    /// Feature vector of one physical slot result (values normalised by capacity).
    public static func features(_ r: PhysicalPV.SlotResult, capacityKW cap: Double) -> [Double] {
        let p = r.acKW / cap, c = r.clearSkyACKW / cap
        let cf = r.weather.cloudFraction
        let rh = r.weather.humidityPct / 100
        let sinEl = sin(max(r.midElevationDeg, 0) * .pi / 180)
        let t = KSTDateTime(epochSeconds: r.slotStart + Int64(r.seconds / 2))
        let doy = Double(KST.daysFromCivil(year: t.year, month: t.month, day: t.day) - KST.daysFromCivil(year: t.year, month: 1, day: 1))
        let dA = 2 * Double.pi * doy / 365.25
        let hA = 2 * Double.pi * (Double(t.hour) + Double(t.minute) / 60) / 24
        // Triangular memberships of the (possibly interpolated) KMA sky code in its four classes.
        let sky = min(max(r.weather.sky, 1), 4)
        func memberships(_ v: Double) -> [Double] {
            let x = min(max(v, 1), 4)
            return (1...4).map { max(0, 1 - abs(x - Double($0))) }
        }
        let m = memberships(sky)
        let mb = memberships(r.skyBefore ?? sky), ma = memberships(r.skyAfter ?? sky)
        let dcf = r.dayCloudFraction ?? cf
        return [p, c, c * cf, c * cf * cf, c * cf * cf * cf, c * rh, c * rh * cf, c * sinEl, p * p, c * cos(dA), c * sin(dA),
                c * cos(hA), c * sin(hA), c * r.weather.temperatureC / 30, p * cf, c * cos(dA) * cf, c * sin(dA) * cf,
                c * m[0], c * m[1], c * m[2], c * m[3], c * m[0] * rh, c * m[2] * rh, c * m[3] * rh,
                c * mb[0], c * mb[1], c * mb[2], c * mb[3], c * ma[0], c * ma[1], c * ma[2], c * ma[3], c * dcf, c * dcf * dcf]
    }

    /// Corrected mean AC power [kW] for a physical slot result, clamped to [0, inverter limit].
    /// The model is fitted on capacity-normalised values, so it can be applied to another system
    /// of similar design by passing that system's capacity.
    public func predictKW(_ r: PhysicalPV.SlotResult, acLimitKW: Double, capacityKW cap: Double? = nil) -> Double {
        guard r.clearSkyACKW > 0 else { return 0 }
        let c = cap ?? capacityKW
        let x = Self.features(r, capacityKW: c)
        var y = 0.0
        for j in 0..<min(x.count, coefficients.count) { y += x[j] * coefficients[j] }
        return min(max(y * c, 0), acLimitKW)
    }

    /// Fits on paired (physical result, measured mean kW). Rows with the sun down are skipped.
    public static func fit(systemID: String, capacityKW cap: Double, rows: [(PhysicalPV.SlotResult, Double)],
                           trainFrom: Int64, trainTo: Int64, seed: UInt64 = 42,
                           lambdas: [Double] = [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1], folds: Int = 5,
                           lowOutputWeight: Double = 0.3) throws -> PVCorrectionModel {
        let use = rows.filter { $0.0.clearSkyACKW > 0 }
        guard use.count >= 50 else { throw ForecastError.insufficientData("correction fit needs ≥ 50 daylight rows, got \(use.count)") }
        let xs = use.map { features($0.0, capacityKW: cap) }
        let ys = use.map { $0.1 / cap }
        // KPX scores only hours with output ≥ 10 % of capacity; weight the others down.
        let rowWeights = ys.map { $0 >= 0.1 ? 1.0 : lowOutputWeight }
        let p = featureNames.count
        // Column scales (RMS) so one penalty fits all features.
        var scale = [Double](repeating: 0, count: p)
        for x in xs { for j in 0..<p { scale[j] += x[j] * x[j] } }
        for j in 0..<p { scale[j] = max((scale[j] / Double(xs.count)).squareRoot(), 1e-9) }
        let zs = xs.map { x in (0..<p).map { x[$0] / scale[$0] } }
        // Folds by KST day, shuffled with the seed.
        var dayIDs: [Int64] = []
        var seen = Set<Int64>()
        let rowDay = use.map { ($0.0.slotStart + KST.offsetSeconds) / 86_400 }
        for d in rowDay where !seen.contains(d) { seen.insert(d); dayIDs.append(d) }
        var rng = SplitMix64(seed: seed)
        dayIDs.shuffle(using: &rng)
        var foldOfDay: [Int64: Int] = [:]
        for (i, d) in dayIDs.enumerated() { foldOfDay[d] = i % folds }
        let rowFold = rowDay.map { foldOfDay[$0] ?? 0 }

        // Weighted normal equations per fold, accumulated once; training on "all but fold k" is the
        // total minus fold k (the same sums as refitting per fold, without the repeated pass).
        var gram = [[Double]](repeating: [Double](repeating: 0, count: p * p), count: folds)
        var rhs = [[Double]](repeating: [Double](repeating: 0, count: p), count: folds)
        var wsum = [Double](repeating: 0, count: folds)
        for i in 0..<zs.count {
            let k = rowFold[i], r = zs[i], wi = rowWeights[i]
            wsum[k] += wi
            for j in 0..<p {
                let wr = wi * r[j]
                rhs[k][j] += wr * ys[i]
                for l in j..<p { gram[k][j * p + l] += wr * r[l] }
            }
        }
        var totalGram = [Double](repeating: 0, count: p * p), totalRHS = [Double](repeating: 0, count: p)
        for k in 0..<folds {
            for j in 0..<(p * p) { totalGram[j] += gram[k][j] }
            for j in 0..<p { totalRHS[j] += rhs[k][j] }
        }
        let totalW = wsum.reduce(0, +)
        func solve(_ a0: [Double], _ b: [Double], lambda: Double, wsum: Double) -> [Double]? {
            var a = a0
            for j in 0..<p { for l in 0..<j { a[j * p + l] = a[l * p + j] } }
            for j in 0..<p { a[j * p + j] += lambda * wsum }
            return choleskySolve(a, b, p)
        }
        var bestLambda = lambdas[0], bestErr = Double.infinity
        for lam in lambdas {
            var err = 0.0
            for k in 0..<folds {
                let a = (0..<(p * p)).map { totalGram[$0] - gram[k][$0] }
                let b = (0..<p).map { totalRHS[$0] - rhs[k][$0] }
                guard let w = solve(a, b, lambda: lam, wsum: totalW - wsum[k]) else { continue }
                for i in 0..<zs.count where rowFold[i] == k {
                    var yh = 0.0
                    for j in 0..<p { yh += zs[i][j] * w[j] }
                    err += rowWeights[i] * abs(max(yh, 0) - ys[i])
                }
            }
            if err < bestErr { bestErr = err; bestLambda = lam }
        }
        guard let w = solve(totalGram, totalRHS, lambda: bestLambda, wsum: totalW) else {
            throw ForecastError.insufficientData("correction fit: singular system")
        }
        return PVCorrectionModel(systemID: systemID, capacityKW: cap, coefficients: (0..<p).map { w[$0] / scale[$0] },
                                 lambda: bestLambda, trainFrom: trainFrom, trainTo: trainTo, trainRows: use.count, seed: seed)
    }

    /// Solves (XᵀX + λ·n·I) w = Xᵀy by Cholesky decomposition.
    static func ridge(_ x: [[Double]], _ y: [Double], rows: [Int], lambda: Double, weights: [Double]? = nil) -> [Double]? {
        guard let p = x.first?.count, !rows.isEmpty else { return nil }
        var a = [Double](repeating: 0, count: p * p)
        var b = [Double](repeating: 0, count: p)
        var wsum = 0.0
        for i in rows {
            let r = x[i]
            let wi = weights?[i] ?? 1
            wsum += wi
            for j in 0..<p {
                b[j] += wi * r[j] * y[i]
                for k in j..<p { a[j * p + k] += wi * r[j] * r[k] }
            }
        }
        for j in 0..<p { for k in 0..<j { a[j * p + k] = a[k * p + j] } }
        for j in 0..<p { a[j * p + j] += lambda * wsum }
        return choleskySolve(a, b, p)
    }

    static func choleskySolve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else { l[i * n + j] = s / l[j * n + j] }
            }
        }
        var z = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = b[i]
            for k in 0..<i { s -= l[i * n + k] * z[k] }
            z[i] = s / l[i * n + i]
        }
        var w = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = z[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * w[k] }
            w[i] = s / l[i * n + i]
        }
        return w
    }

    /// JSON for persisting (the store's forecast_model table).
    public func jsonData() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(self)
    }

    public static func decode(_ data: Data) throws -> PVCorrectionModel {
        do { return try JSONDecoder().decode(PVCorrectionModel.self, from: data) }
        catch { throw ForecastError.badData(path: "forecast_model", line: 1, column: 1, reason: "bad model JSON: \(error)") }
    }
}
