import Foundation
import VPPCore
import VPPStore

/// Writes a `SparseLP` as free-format MPS (the subset `Benchmarks/dispatch-mps-check.py` parses):
/// NAME, ROWS (N/E/L/G), COLUMNS, RHS, RANGES (rows with both bounds finite and different),
/// BOUNDS (LO/UP/FX/MI/PL), ENDATA. Numbers are written with 17 significant digits so the
/// independent solver sees exactly the same model.
public enum MPSWriter {
    public static func mps(_ lp: SparseLP, name: String = "VPPDISPATCH") -> String {
        func rn(_ r: Int) -> String { lp.rowNames.count == lp.numRows ? lp.rowNames[r] : "R\(r)" }
        func cn(_ c: Int) -> String { lp.colNames.count == lp.numCols ? lp.colNames[c] : "C\(c)" }
        func num(_ v: Double) -> String { String(format: "%.17g", v) }
        var out = "NAME \(name)\nROWS\n N OBJ\n"
        out.reserveCapacity(lp.nonZeros * 40)
        var kinds: [Character] = []
        for r in 0..<lp.numRows {
            let lo = lp.rowLower[r], up = lp.rowUpper[r]
            let k: Character = lo == up ? "E" : (lo == -.infinity ? "L" : (up == .infinity ? "G" : "L"))
            kinds.append(k)
            out += " \(k) \(rn(r))\n"
        }
        out += "COLUMNS\n"
        for c in 0..<lp.numCols {
            let name = cn(c)
            if lp.objective[c] != 0 { out += " \(name) OBJ \(num(lp.objective[c]))\n" }
            for j in Int(lp.colStart[c])..<Int(lp.colStart[c + 1]) {
                out += " \(name) \(rn(Int(lp.rowIndex[j]))) \(num(lp.value[j]))\n"
            }
            if lp.objective[c] == 0 && lp.colStart[c] == lp.colStart[c + 1] { out += " \(name) OBJ 0\n" }
        }
        out += "RHS\n"
        for r in 0..<lp.numRows {
            let lo = lp.rowLower[r], up = lp.rowUpper[r]
            let rhs: Double
            switch kinds[r] {
            case "E": rhs = lo
            case "G": rhs = lo
            default: rhs = up
            }
            if rhs != 0 && rhs.isFinite { out += " RHS \(rn(r)) \(num(rhs))\n" }
        }
        var ranges = ""
        for r in 0..<lp.numRows where kinds[r] == "L" && lp.rowLower[r] != -.infinity {
            ranges += " RNG \(rn(r)) \(num(lp.rowUpper[r] - lp.rowLower[r]))\n"
        }
        if !ranges.isEmpty { out += "RANGES\n" + ranges }
        out += "BOUNDS\n"
        for c in 0..<lp.numCols {
            let lo = lp.colLower[c], up = lp.colUpper[c], name = cn(c)
            if lo == up { out += " FX BND \(name) \(num(lo))\n"; continue }
            if lo == -.infinity && up == .infinity { out += " FR BND \(name)\n"; continue }
            if lo == -.infinity { out += " MI BND \(name)\n" } else if lo != 0 { out += " LO BND \(name) \(num(lo))\n" }
            if up != .infinity { out += " UP BND \(name) \(num(up))\n" }
        }
        out += "ENDATA\n"
        return out
    }

    public static func write(_ lp: SparseLP, to path: String) throws {
        do { try mps(lp).write(toFile: path, atomically: true, encoding: .utf8) }
        catch { throw DispatchError.io("cannot write MPS to \(path): \(error.localizedDescription)") }
    }
}
