import ArgumentParser
@main struct VPP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vpp", abstract: "District virtual power plant")
    func run() async throws {}
}
