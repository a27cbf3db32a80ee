// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode plus the upcoming features
/// grpc-swift-2 adopts, so imports and existentials are explicit.
let swiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "SafeMap",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "account-service", targets: ["AccountServiceMain"]),
    .executable(name: "assessment-service", targets: ["AssessmentServiceMain"]),
    .executable(name: "reporting-service", targets: ["ReportingServiceMain"]),
    .executable(name: "safemap-admin", targets: ["SafeMapAdmin"]),
    .executable(name: "safemap", targets: ["SafeMapCLIMain"]),
    .executable(name: "web-service", targets: ["WebServiceMain"]),
    .executable(name: "account-benchmark", targets: ["AccountBenchmark"]),
    .executable(name: "assessment-benchmark", targets: ["AssessmentBenchmark"]),
    .executable(name: "reporting-benchmark", targets: ["ReportingBenchmark"]),
  ],
  dependencies: [
    .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
    .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    // Already in the graph through grpc-swift-nio-transport: reads the client certificate's
    // names (TrustedProxyPolicy).
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    .package(url: "https://github.com/ordo-one/TextTable.git", from: "0.0.2"),
    .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
    // Without its default traits: swift-configuration is not needed (web-service reads its own
    // environment variables) and would lengthen every clean build.
    .package(
      url: "https://github.com/hummingbird-project/hummingbird.git",
      from: "2.28.1",
      traits: []
    ),
    .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
    .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
  ],
  targets: [
    // MARK: Shared layers

    /// Generated messages and stubs from Proto/ (committed; scripts/generate-protos.sh).
    .target(
      name: "SafeMapAPI",
      dependencies: [
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Shared/API",
      swiftSettings: swiftSettings
    ),
    /// Domain types and rules without I/O.
    .target(
      name: "SafeMapCore",
      dependencies: [.product(name: "ExtrasBase64", package: "swift-extras-base64")],
      path: "Shared/Core",
      swiftSettings: swiftSettings
    ),
    /// The contract's enums converted one way: Core's type (raw value = SQL text) to and from
    /// the API's (`ContractEnum`).
    .target(
      name: "SafeMapContract",
      dependencies: [
        "SafeMapCore", "SafeMapAPI",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Shared/Contract",
      swiftSettings: swiftSettings
    ),
    /// The reference Argon2 implementation (Debian: libargon2-dev).
    .systemLibrary(
      name: "CArgon2",
      path: "Shared/CArgon2",
      pkgConfig: "libargon2",
      providers: [.apt(["libargon2-dev"])]
    ),
    .target(
      name: "SafeMapDatabase",
      dependencies: [
        "SafeMapCore",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Shared/Database",
      resources: [.copy("Migrations")],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SafeMapAuth",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "CArgon2",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Shared/Auth",
      swiftSettings: swiftSettings
    ),
    /// gRPC server reflection (v1 and v1alpha) from the descriptors generated from Proto/.
    .target(
      name: "SafeMapReflection",
      dependencies: [
        "SafeMapAPI",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Shared/Reflection",
      swiftSettings: swiftSettings
    ),
    /// Spreadsheets: the bulk-issuance sheet and CSV records (the CLI and web-service).
    .target(
      name: "SafeMapSheets",
      dependencies: [
        "SafeMapAPI",
        .product(name: "CSV", package: "CSV.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      path: "Shared/Sheets",
      swiftSettings: swiftSettings
    ),
    /// What every client of the services shares, and nothing that needs a database: addresses,
    /// TLS, connections, configuration from the environment, logging (web-service, the CLI,
    /// the demo loader, the services' calls to each other, tests and benchmarks).
    .target(
      name: "SafeMapClient",
      dependencies: [
        "SafeMapAPI",
        "SafeMapCore",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Shared/Client",
      swiftSettings: swiftSettings
    ),
    /// The process's own Prometheus figures and the `/metrics` endpoint, for every server.
    .target(
      name: "SafeMapMetrics",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Shared/Metrics",
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SafeMapRuntime",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "SafeMapContract", "SafeMapDatabase", "SafeMapAuth",
        "SafeMapReflection", "SafeMapClient", "SafeMapMetrics",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Shared/Runtime",
      swiftSettings: swiftSettings
    ),

    // MARK: Services (handlers as libraries; executables only wire them)

    .target(
      name: "SafeMapAccount",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "SafeMapDatabase", "SafeMapAuth", "SafeMapRuntime",
        "SafeMapContract",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Services/Account/Handlers",
      resources: [.copy("Resources/common-passwords.txt")],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SafeMapAssessment",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "SafeMapDatabase", "SafeMapAuth", "SafeMapRuntime",
        "SafeMapContract",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Services/Assessment/Handlers",
      resources: [.copy("Resources/catalogues")],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "SafeMapReporting",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "SafeMapDatabase", "SafeMapAuth", "SafeMapRuntime",
        "SafeMapContract",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      path: "Services/Reporting/Handlers",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "AccountServiceMain",
      dependencies: ["SafeMapAccount", "SafeMapRuntime"],
      path: "Services/Account/Main",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "AssessmentServiceMain",
      dependencies: ["SafeMapAssessment", "SafeMapRuntime"],
      path: "Services/Assessment/Main",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "ReportingServiceMain",
      dependencies: ["SafeMapReporting", "SafeMapRuntime"],
      path: "Services/Reporting/Main",
      swiftSettings: swiftSettings
    ),
    /// The national demo of `make run`, loaded through the services' RPCs.
    .target(
      name: "SafeMapDemo",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "SafeMapAuth", "SafeMapClient",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Services/Admin/Demo",
      swiftSettings: swiftSettings
    ),
    /// Operator command: migrate, import districts, the national demo, health checks.
    .executableTarget(
      name: "SafeMapAdmin",
      dependencies: [
        "SafeMapCore", "SafeMapDatabase", "SafeMapAuth", "SafeMapRuntime", "SafeMapAPI",
        "SafeMapDemo",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Services/Admin/Main",
      swiftSettings: swiftSettings
    ),

    // MARK: The command-line tool (a gRPC client of the three services)

    .target(
      name: "SafeMapCLI",
      dependencies: [
        "SafeMapAPI", "SafeMapClient", "SafeMapSheets",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "TextTable", package: "TextTable"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      path: "Services/CLI/Commands",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "SafeMapCLIMain",
      dependencies: [
        "SafeMapCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Services/CLI/Main",
      swiftSettings: swiftSettings
    ),

    // MARK: The web front end (a gRPC client of the three services; no SQL)

    .target(
      name: "SafeMapWeb",
      dependencies: [
        "SafeMapAPI", "SafeMapCore", "SafeMapClient", "SafeMapMetrics", "SafeMapSheets",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        .product(name: "CompressNIO", package: "compress-nio"),
      ],
      path: "Services/Web/Site",
      resources: [.copy("Templates"), .copy("Static")],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "WebServiceMain",
      dependencies: ["SafeMapWeb", "SafeMapClient"],
      path: "Services/Web/Main",
      swiftSettings: swiftSettings
    ),

    // MARK: Benchmarks (release builds; README says how to run them)

    .executableTarget(
      name: "AccountBenchmark",
      dependencies: ["SafeMapTestSupport"],
      path: "Benchmarks/AccountBenchmark",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "AssessmentBenchmark",
      dependencies: [
        "SafeMapTestSupport", "SafeMapAssessment", "SafeMapDatabase",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      path: "Benchmarks/AssessmentBenchmark",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "ReportingBenchmark",
      dependencies: [
        "SafeMapTestSupport", "SafeMapDatabase",
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      path: "Benchmarks/ReportingBenchmark",
      swiftSettings: swiftSettings
    ),

    // MARK: Tests

    /// Starts a throwaway PostgreSQL and the real services for the test suites.
    .target(
      name: "SafeMapTestSupport",
      dependencies: [
        "SafeMapCore", "SafeMapAPI", "SafeMapDatabase", "SafeMapAuth", "SafeMapRuntime",
        "SafeMapAccount", "SafeMapAssessment", "SafeMapReporting",
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Tests/Support",
      swiftSettings: swiftSettings
    ),
    /// Swift Testing helpers shared by the suites (kept out of SafeMapTestSupport, which the
    /// benchmarks link).
    .target(
      name: "SafeMapTestExpectations",
      dependencies: [.product(name: "GRPCCore", package: "grpc-swift-2")],
      path: "Tests/Expectations",
      swiftSettings: swiftSettings + [.enableUpcomingFeature("InternalImportsByDefault")]
    ),
    .testTarget(
      name: "SafeMapCoreTests",
      dependencies: ["SafeMapCore"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapContractTests",
      dependencies: [
        "SafeMapContract", "SafeMapCore", "SafeMapAPI",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapDatabaseTests",
      dependencies: ["SafeMapTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapAuthTests",
      dependencies: ["SafeMapTestSupport", "SafeMapTestExpectations"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapAccountTests",
      dependencies: ["SafeMapTestSupport", "SafeMapTestExpectations"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapAssessmentTests",
      dependencies: ["SafeMapTestSupport", "SafeMapTestExpectations"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapReportingTests",
      dependencies: ["SafeMapTestSupport", "SafeMapTestExpectations", "SafeMapDemo"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapCLITests",
      dependencies: [
        "SafeMapTestSupport", "SafeMapCLI", "SafeMapSheets",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapWebTests",
      dependencies: [
        "SafeMapTestSupport", "SafeMapWeb", "SafeMapDemo",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
      ],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "SafeMapRuntimeTests",
      dependencies: ["SafeMapTestSupport"],
      swiftSettings: swiftSettings
    ),
  ]
)
