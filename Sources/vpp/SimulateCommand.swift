import ArgumentParser

/// `vpp simulate`: plants in the loop (issue 12). TEMPORARY group file of the telemetry branch:
/// another branch creates the same group; when merging, keep one group and list `Run` in it.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate the district's plants (batteries following their setpoints) and emit telemetry.",
        subcommands: [Run.self])
}
