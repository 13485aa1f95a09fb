import ArgumentParser
import Foundation
import PlantSimulator
import VPPAuth
import VPPCore
import VPPStore

extension SimulateCommand {
    /// `vpp simulate run`: every battery follows the stored schedule (or the outbox's setpoint
    /// files) with its efficiencies, limits and seeded noise; the telemetry goes to a CSV in the
    /// ingest format (`--out`) or straight into the store through the telemetry ingest checks.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Batteries follow the stored schedule or the outbox setpoints; emit telemetry (CSV or into the store).",
            discussion: """
                One sample per battery and setpoint slot, measured at the slot's end (KST). Power > 0 discharge,
                < 0 charge. Start state: the newest stored telemetry at or before --from, else the planned SoC,
                else the config's initial SoC. Without --out the samples are ingested (kind telemetry, source
                "simulator"): rejected samples are listed like any upload's rejects.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Window start, KST (YYYY-MM-DDTHH:MM); default: the first slot of the newest schedule.") var from: String?
        @Option(help: "Window end, KST; default: now (samples after it would be in the future).") var to: String?
        @Option(help: "Follow the setpoint files in this folder instead of the stored schedule.") var outbox: String?
        @Option(help: "Standard deviation of the relative power error [%] (0–50).") var noisePct: Double = 0
        @Option(help: "Seed of the noise (same seed, same telemetry).") var seed: UInt64 = 1
        @Option(help: "Write the telemetry CSV here instead of ingesting it.") var out: String?
        @OptionGroup var siteOption: SiteOption

        func validate() throws {
            guard noisePct.isFinite, (0...50).contains(noisePct) else { throw ValidationError("--noise-pct must be 0…50") }
        }

        func run() async throws {
            let store = try global.openStore()
            guard let site = try await store.selectSite(siteOption.code) else {
                throw VPPError(.noInput, "no site loaded in \(store.location); run `vpp site load` first")
            }
            let sim = PlantSimulator(site: site, options: .init(source: outbox.map { .outbox($0) } ?? .storedSchedule,
                                                                noisePct: noisePct, seed: seed))
            let toEpoch = try to.map(Self.kst) ?? store.clock.now()
            let fromEpoch: Int64
            if let from { fromEpoch = try Self.kst(from) } else {
                let sps = try await sim.setpoints(storage: store)
                guard let first = sps.values.flatMap({ $0 }).map(\.slotStart).min() else {
                    throw VPPError(.noInput, "the setpoints hold no slot; give --from")
                }
                fromEpoch = first
            }
            let samples = try await sim.simulate(storage: store, from: fromEpoch, to: toEpoch)
            let csv = TelemetryCSV.csv(samples)
            if let out {
                do { try Data(csv.utf8).write(to: URL(fileURLWithPath: out)) }
                catch { throw VPPError(.noInput, "cannot write \(out): \(error.localizedDescription)") }
                print("\(samples.count) telemetry samples of \(Set(samples.map(\.batteryID)).count) batteries written to \(out)")
                return
            }
            let r = try await store.uploads.appendTelemetry(samples, source: "simulator", directory: try await store.sites.assetDirectory(),
                                                            receivedAt: store.clock.now(), sha256: sha256Hex(Data(csv.utf8)))
            if r.duplicate { print("duplicate: the same samples are upload \(r.uploadID ?? 0)"); return }
            print("upload \(r.uploadID ?? 0): \(r.accepted) telemetry samples stored, \(r.rejected) rejected, \(r.changed) changed")
            for j in r.rejects.prefix(5) { print("  reject \(j.line): \(j.reason)") }
            if r.accepted == 0 && r.rejected > 0 { throw VPPError(.badData, "every simulated sample was rejected") }
        }

        static func kst(_ s: String) throws -> Int64 {
            guard let k = KSTDateTime.parse(s) else { throw ValidationError("'\(s)' is not a KST date/time") }
            return k.epochSeconds
        }
    }
}
