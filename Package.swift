// swift-tools-version:6.0
// vpp — a district virtual power plant for a Seoul district energy centre.
import PackageDescription

let package = Package(
    name: "vpp",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vpp", targets: ["vpp"]),
        .library(name: "VPPCore", targets: ["VPPCore"]),
        .library(name: "Forecast", targets: ["Forecast"]),
        .library(name: "Dispatcher", targets: ["Dispatcher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // COIN-OR CLP through its C API (Debian: coinor-libclp-dev).
        .systemLibrary(
            name: "CClp",
            pkgConfig: "clp",
            providers: [.apt(["coinor-libclp-dev"])]
        ),
        .target(
            name: "VPPCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Forecast", dependencies: ["VPPCore"]),
        .target(name: "Dispatcher", dependencies: ["VPPCore", "CClp"]),
        .executableTarget(
            name: "vpp",
            dependencies: [
                "VPPCore", "Forecast", "Dispatcher",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "VPPTestSupport", dependencies: ["VPPCore"]),
        .testTarget(name: "VPPCoreTests", dependencies: ["VPPCore", "VPPTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ForecastTests", dependencies: ["Forecast", "VPPTestSupport"]),
        .testTarget(name: "DispatcherTests", dependencies: ["Dispatcher", "VPPTestSupport"]),
        .testTarget(name: "vppTests", dependencies: ["vpp", "VPPTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
