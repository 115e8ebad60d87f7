// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

/// One executable per service: `Services/<dir>/`, module `<Dir>Service`, product `<product>`.
func service(_ product: String, dir: String, dependencies: [Target.Dependency] = []) -> [Target] {
    let module = "\(dir)Service"
    return [
        .executableTarget(
            name: module,
            dependencies: ["StrypeService", "StrypeCore"] + dependencies,
            path: "Services/\(dir)",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "\(module)Tests",
            dependencies: [
                .byName(name: module), "StrypeService", "StrypeTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/\(module)Tests",
            swiftSettings: swiftSettings
        ),
    ]
}

let services: [(product: String, dir: String)] = [
    ("auth", "Auth"), ("cloud", "Cloud"), ("array", "Array"), ("chunk", "Chunk"), ("filesystem", "Filesystem"),
]

/// What each service needs beyond the shared runtime.
let serviceDependencies: [String: [Target.Dependency]] = [
    "Auth": [
        "StrypeCodec", "CSodium",
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
    ],
    "Array": [
        "StrypeCodec", "StrypeAgentWire",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
    ],
    "Chunk": [
        "StrypeCodec",
        .product(name: "NIOFoundationCompat", package: "swift-nio"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
    ],
    "Cloud": [
        "StrypeCodec",
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
    ],
    "Filesystem": [
        "StrypeCodec",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
    ],
]

let package = Package(
    name: "cloudstrype",
    platforms: [.macOS(.v15)],
    products: services.map { .executable(name: $0.product, targets: ["\($0.dir)Service"]) }
        + [
            .executable(name: "cloudstrype-agent", targets: ["CloudstrypeAgent"]),
            .executable(name: "cloudstrype-bench", targets: ["CodecBench"]),
        ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            path: "Shared/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(name: "CISAL", path: "Shared/CISAL", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(
            name: "CSodium",
            path: "Shared/CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .target(name: "CSHA256", path: "Shared/CSHA256"),
        .target(name: "StrypeCore", path: "Shared/StrypeCore", swiftSettings: swiftSettings),
        .target(
            name: "StrypeAgentWire",
            dependencies: [
                "StrypeCore",
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Shared/StrypeAgentWire",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StrypeCodec",
            dependencies: ["StrypeCore", "CISAL", "CSHA256", .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/StrypeCodec",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StrypeService",
            dependencies: [
                "StrypeCore", "StrypeCodec", "CHiredis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/StrypeService",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StrypeTestSupport",
            dependencies: [
                "StrypeService",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/StrypeTestSupport",
            swiftSettings: swiftSettings
        ),
        // The desktop agent links no server runtime: no Postgres, Redis or hiredis on a user's machine.
        .executableTarget(
            name: "CloudstrypeAgent",
            dependencies: [
                "StrypeCore", "StrypeAgentWire",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Services/Agent",
            swiftSettings: swiftSettings
        ),
        // Deploy/bench-codec: the codec next to the raw libraries it wraps.
        .executableTarget(
            name: "CodecBench",
            dependencies: ["StrypeCodec", "StrypeCore", "CISAL", .product(name: "Crypto", package: "swift-crypto")],
            path: "Deploy/Bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CloudstrypeAgentTests",
            dependencies: [
                "CloudstrypeAgent", "StrypeCore", "StrypeAgentWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "StrypeCoreTests", dependencies: ["StrypeCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StrypeCodecTests",
            dependencies: ["StrypeCodec", "StrypeCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StrypeServiceTests",
            dependencies: [
                "StrypeService", "StrypeTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ] + services.flatMap { service($0.product, dir: $0.dir, dependencies: serviceDependencies[$0.dir] ?? []) }
)
