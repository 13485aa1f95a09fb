// swift-tools-version:6.0
// vpp — a district virtual power plant for a Seoul district energy centre.
import PackageDescription

let package = Package(
    name: "vpp",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vpp", targets: ["vpp"]),
        .library(name: "VPPCore", targets: ["VPPCore"]),
        .library(name: "VPPStore", targets: ["VPPStore"]),
        .library(name: "VPPStoreSQLite", targets: ["VPPStoreSQLite"]),
        .library(name: "VPPStorePostgres", targets: ["VPPStorePostgres"]),
        .library(name: "Ingestion", targets: ["Ingestion"]),
        .library(name: "VPPCharts", targets: ["VPPCharts"]),
        .library(name: "Tracking", targets: ["Tracking"]),
        .library(name: "VPPServer", targets: ["VPPServer"]),
        .library(name: "Forecast", targets: ["Forecast"]),
        .library(name: "Dispatcher", targets: ["Dispatcher"]),
        .library(name: "PlantSimulator", targets: ["PlantSimulator"]),
        .library(name: "Resilience", targets: ["Resilience"]),
        .library(name: "OpenADR", targets: ["OpenADR"]),
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
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // COIN-OR CLP through its C API (Debian: coinor-libclp-dev).
        .systemLibrary(
            name: "CClp",
            pkgConfig: "clp",
            providers: [.apt(["coinor-libclp-dev"])]
        ),
        // Units, KST time, the site's domain (config types, auth records): no dependencies.
        .target(name: "VPPCore"),
        // The site config file (TOML) → SiteConfig.
        .target(name: "VPPConfig", dependencies: ["VPPCore", .product(name: "TOMLKit", package: "TOMLKit")]),
        // Token secrets and hashing (salted HMAC-SHA256), SHA-256 of uploads.
        .target(name: "VPPAuth", dependencies: ["VPPCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The store as protocols, one per concern, and the records they exchange (no driver).
        .target(name: "VPPStore", dependencies: ["VPPCore"]),
        // The embedded SQLite driver (GRDB): migrations, queries, the bulk reading sink.
        .target(name: "VPPStoreSQLite", dependencies: [
            "VPPCore", "VPPStore", "VPPAuth",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The PostgreSQL driver (postgres-nio, no ORM): migrations, queries, COPY bulk ingest (issue 14).
        .target(name: "VPPStorePostgres", dependencies: [
            "VPPCore", "VPPStore", "VPPAuth",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // File readers (CSV, XLSX, XpERP) and the ingest orchestration.
        .target(name: "Ingestion", dependencies: [
            "VPPCore", "VPPStore", "VPPAuth",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // Inline SVG charts (line, grouped and signed bars, axes) for the report and the dashboard.
        .target(name: "VPPCharts", dependencies: ["VPPCore"]),
        // RE100 share, tCO2 avoided, target progress; report renderers.
        .target(name: "Tracking", dependencies: ["VPPCore", "VPPStore", "VPPCharts", "Forecast"]),
        .target(name: "Forecast", dependencies: ["VPPCore", "VPPStore"]),
        .target(name: "Dispatcher", dependencies: ["VPPCore", "VPPStore", "CClp"]),
        // A battery plant in the loop: follows setpoints with efficiencies, limits and seeded noise; emits telemetry.
        .target(name: "PlantSimulator", dependencies: ["VPPCore", "VPPStore", "Dispatcher"]),
        // Heat-wave resilience (issue 17): KMA warnings, alert import, shelter reserve, outage drill.
        .target(name: "Resilience", dependencies: ["VPPCore", "VPPStore", "Dispatcher"]),
        // OpenADR 3.1.0 models (Codable, from the specification's YAML) and the VTN's rules.
        .target(name: "OpenADR", dependencies: ["VPPCore", "VPPStore", "VPPAuth"]),
        // The HTTP server (Hummingbird 2): routes, handlers, pages.
        .target(name: "VPPServer", dependencies: [
            "VPPCore", "VPPStore", "VPPAuth", "Ingestion", "Tracking", "Forecast", "Dispatcher", "VPPCharts", "OpenADR",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Public datasets (Dangjin, GIST, KPX), benchmarks and synthetic data: never a product dependency.
        .target(name: "VPPBenchmarks", dependencies: [
            "VPPCore", "VPPConfig", "VPPStore", "VPPStoreSQLite", "Ingestion", "Tracking", "Forecast", "Dispatcher",
        ]),
        .executableTarget(
            name: "vpp",
            dependencies: [
                "VPPCore", "VPPConfig", "VPPAuth", "VPPStore", "VPPStoreSQLite", "VPPStorePostgres", "Ingestion", "Tracking", "Forecast",
                "Dispatcher", "Resilience", "VPPServer", "VPPBenchmarks", "PlantSimulator", "OpenADR",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "VPPTestSupport", dependencies: ["VPPCore", "VPPConfig", "VPPStore", "VPPStoreSQLite"]),
        .testTarget(name: "VPPCoreTests", dependencies: [
            "VPPCore", "VPPConfig", "VPPAuth", "VPPStore", "VPPStoreSQLite", "Ingestion", "Tracking", "Forecast", "VPPBenchmarks",
            "VPPTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "ForecastTests", dependencies: ["Forecast", "VPPBenchmarks", "VPPTestSupport", "VPPStoreSQLite", "VPPConfig"]),
        .testTarget(name: "DispatcherTests", dependencies: [
            "Dispatcher", "Resilience", "VPPBenchmarks", "VPPTestSupport", "VPPStoreSQLite", "VPPConfig", "PlantSimulator", "Ingestion",
        ]),
        // One set of store tests run against both drivers (issue 14); PostgreSQL via $VPP_TEST_POSTGRES_URL.
        .testTarget(name: "StoreConformanceTests", dependencies: [
            "VPPStore", "VPPStoreSQLite", "VPPStorePostgres", "VPPTestSupport", "Ingestion", "VPPConfig", "VPPAuth", "VPPCore", "Tracking",
            // Tests that change the server's state behind the store's back (a detached partition).
            .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            // A store put back to an older schema to test a migration's upgrade path.
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "vppTests", dependencies: [
            "vpp", "VPPServer", "VPPBenchmarks", "VPPTestSupport", "Ingestion", "VPPAuth", "VPPStoreSQLite", "VPPStorePostgres", "VPPConfig", "OpenADR",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
