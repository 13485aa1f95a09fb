import Foundation

/// CPU time of the processes a benchmark involves, so its figures can be read as CPU seconds as
/// well as wall time (the machines are shared: wall time alone swings with the neighbours).
public enum ProcessCPU {
    /// User + system CPU of this process's waited-for children so far [s].
    public static func childrenSeconds() -> Double {
        var u = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &u)
        #else
        getrusage(RUSAGE_CHILDREN, &u)
        #endif
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// User + system CPU so far of every process on this machine whose command name is `name`,
    /// with their reaped children's (e.g. the `postgres` server: a backend that exited is counted
    /// in the postmaster's children's time once reaped) [s]; nil where `/proc` cannot be read.
    public static func seconds(ofProcessesNamed name: String) -> Double? {
        #if os(Linux)
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0 else { return nil }
        var total = 0.0
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                  stat[stat.index(after: open)..<close] == name else { continue }
            // After "pid (comm) ": state is field 3; utime, stime, cutime, cstime are fields 14–17 (proc(5)).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 15 else { continue }
            total += fields[11...14].compactMap { Double($0) }.reduce(0, +) / ticks
        }
        return total
        #else
        return nil
        #endif
    }
}
