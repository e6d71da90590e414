// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "LeakHistory",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LeakHistory", targets: ["LeakHistory"]),
        .library(name: "LeakHistoryPrometheus", targets: ["LeakHistoryPrometheus"]),
        .executable(name: "leak-history", targets: ["LeakHistoryCLI"]),
        .executable(name: "leak-history-bench", targets: ["LeakHistoryBench"]),
    ],
    // A client that embeds only the `LeakHistory` library can turn the
    // default trait off (`.package(…, traits: [])`): it then resolves
    // swift-log alone instead of 25 packages (see DESIGN.md, "The map").
    traits: [
        .trait(name: "Server", description: "The HTTP server, the fleet reader and the executables: Hummingbird, ServiceLifecycle, AsyncHTTPClient and ArgumentParser."),
        .default(enabledTraits: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The system SQLite library (Debian: libsqlite3-dev), nothing more.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // A small connection / statement / migration layer over the C API.
        .target(
            name: "SQLiteStore",
            dependencies: [
                "CSQLite",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Turns migrations/*.sql, queries/*.sql and a target's Resources/ files
        // into Swift constants at build time.
        .executableTarget(name: "ResourceEmbedder"),
        .plugin(
            name: "EmbedResourcesPlugin",
            capability: .buildTool(),
            dependencies: ["ResourceEmbedder"]
        ),
        // Pure analysis: series, envelopes, regimes, checks, verdicts, the
        // report model. No I/O, no store, no dependency.
        .target(name: "LeakHistoryAnalysis"),
        // What an app embeds: tracking, the recorder, the store, queries, ingest.
        .target(
            name: "LeakHistory",
            dependencies: [
                "LeakHistoryAnalysis",
                "SQLiteStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedResourcesPlugin"]
        ),
        // Linux probes, child processes and the sampling loop of `watch`.
        .target(
            name: "LeakHistoryWatch",
            dependencies: ["LeakHistory"]
        ),
        // The HTTP server and dashboard; the LeakHistory library stays free of Hummingbird.
        .target(
            name: "LeakHistoryServer",
            dependencies: [
                "LeakHistory",
                "LeakHistoryAnalysis",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Server"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Server"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            // openapi.yaml and the dashboard's html, css and js, embedded.
            exclude: ["Resources"],
            plugins: ["EmbedResourcesPlugin"]
        ),
        // Reads memory series from a Prometheus HTTP API and gives each one a verdict;
        // its own target, so an app that embeds the recorder links no HTTP client.
        .target(
            name: "LeakHistoryPrometheus",
            dependencies: [
                "LeakHistory",
                .product(name: "AsyncHTTPClient", package: "async-http-client", condition: .when(traits: ["Server"])),
            ]
        ),
        .executableTarget(
            name: "LeakHistoryCLI",
            dependencies: [
                "LeakHistory",
                "LeakHistoryWatch",
                "LeakHistoryServer",
                "LeakHistoryPrometheus",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["Server"])),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `swift run -c release leak-history-bench`: the figures of BENCHMARKS.md.
        .executableTarget(
            name: "LeakHistoryBench",
            dependencies: [
                "LeakHistory",
                "LeakHistoryPrometheus",
                "SQLiteStore",
                "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser", condition: .when(traits: ["Server"])),
                .product(name: "AsyncHTTPClient", package: "async-http-client", condition: .when(traits: ["Server"])),
            ],
            plugins: ["EmbedResourcesPlugin"]
        ),
        // Helpers every test target shares: temporary directories, seeded
        // randomness, a manual clock, running the built executables, local
        // Prometheus and Python workloads. Not a test target itself.
        .target(
            name: "TestSupport",
            dependencies: ["LeakHistory", "LeakHistoryWatch", "LeakHistoryPrometheus", "SQLiteStore"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "SQLiteStoreTests",
            dependencies: ["SQLiteStore", "CSQLite", "TestSupport"]
        ),
        .testTarget(
            name: "LeakHistoryAnalysisTests",
            dependencies: ["LeakHistoryAnalysis", "TestSupport"]
        ),
        .testTarget(
            name: "LeakHistoryTests",
            dependencies: [
                "LeakHistory", "SQLiteStore", "TestSupport",
                .product(name: "SwiftCSV", package: "SwiftCSV"),
                // A few tests ask the built `leak-history` the same question
                // as the library, on the same file.
                "LeakHistoryCLI",
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "LeakHistoryWatchTests",
            // The process-tree tests also run `leak-history watch` on a real tree.
            dependencies: ["LeakHistoryWatch", "TestSupport", "LeakHistoryCLI"]
        ),
        .testTarget(
            name: "LeakHistoryPrometheusTests",
            dependencies: ["LeakHistoryPrometheus", "TestSupport"]
        ),
        .testTarget(
            name: "LeakHistoryServerTests",
            dependencies: [
                "LeakHistoryServer",
                "LeakHistory",
                "SQLiteStore",
                "TestSupport",
                // Crash and concurrency tests start `leak-history serve` and `ingest`.
                "LeakHistoryCLI",
                .product(name: "HummingbirdTesting", package: "hummingbird", condition: .when(traits: ["Server"])),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // End to end: runs the built `leak-history` and `leak-history-bench`
        // executables, which it declares so they are built first.
        .testTarget(
            name: "LeakHistoryCLITests",
            dependencies: [
                "LeakHistoryCLI", "LeakHistoryBench", "LeakHistory", "LeakHistoryWatch", "LeakHistoryPrometheus",
                "SQLiteStore", "TestSupport", .product(name: "SwiftCSV", package: "SwiftCSV"),
            ]
        ),
    ]
)
